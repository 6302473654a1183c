import { createHash } from 'node:crypto';
import type { FanOutBenchRow, Measured } from './measure';
import { DUE, MODEL_USERS, USERS, intervalOf } from './population';

/**
 * The 1,000,000-user model: a sampled store holding only the users due in the measured minute
 * (a minute's work reads nothing else), and today's design at that size extrapolated from its
 * own measured cost per due user.
 */

/**
 * Only the users due in the measured minute exist: each user's first slot is a stable
 * hash of the user within their interval, so about users × Σ 1/interval are due.
 */
export function sampledDueUsers(users: number, target: string): { id: string; i: number; slot: string }[] {
  const due: { id: string; i: number; slot: string }[] = [];
  for (let i = 0; i < users; i++) {
    if (phase(i) % intervalOf(i) === 0) {
      due.push({ id: `m${String(i).padStart(7, '0')}`, i, slot: target });
    }
  }
  return due;
}

/** Today's design at the model's size, from its own measured cost per due user. */
export function extrapolatedBaseline(b: Measured, modelDue: number): FanOutBenchRow {
  const scale = modelDue / DUE;
  return {
    design: "today's",
    scenario: `${MODEL_USERS} users (extrapolated from the ${USERS} run)`,
    due: modelDue,
    enqueued: modelDue,
    workItems: 1,
    seconds: `≈ ${Math.round(b.seconds * scale)}`,
    requests: Math.round(b.requests * scale),
    entitiesRead: Math.round(b.entitiesRead * scale),
    partitionPerSecond: `≈ ${b.partitionPerSecond}`,
    partitionTotal: `≈ ${Math.round(b.partitionTotal * scale)}`,
  };
}

/** A stable spread of user i's first slot over their interval, independent of the shard hash. */
function phase(i: number): number {
  return createHash('sha256').update(`phase:${i}`).digest().readUInt32BE(0);
}
