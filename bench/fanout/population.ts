import { DEFAULT_SHARDS, addMinutes, slotOf } from '../../shared/storage/schedule-repository';

/**
 * The timer's fan-out, today's design (bench/baseline: one partition per minute, one timer
 * invocation, settings, connection and sync state read per due user) beside the sharded one
 * (shared/scheduling) in the same run: BENCH_USERS (100,000) users for real, BENCH_DUE
 * (1,000) of them due in the measured minute; and BENCH_MODEL_USERS (1,000,000) users in a
 * sampled store holding the rows due in the measured minute only (a minute's work reads
 * nothing else). Table traffic is counted on the wire (test/support/counting-tables.ts).
 */
export const USERS = Number(process.env.BENCH_USERS ?? 100_000);
export const DUE = Number(process.env.BENCH_DUE ?? 1_000);
export const MODEL_USERS = Number(process.env.BENCH_MODEL_USERS ?? 1_000_000);
export const SHARDS = Number(process.env.BENCH_SHARDS ?? DEFAULT_SHARDS);
/** Shard work items run at once: one Functions instance's sessions (host.json maxConcurrentSessions). */
export const SESSIONS = 8;
/** Organizations and their intervals; every 10th user overrides with 5 minutes. */
export const ORGS = [
  ['org15', 15],
  ['org30', 30],
  ['org60', 60],
  ['org240', 240],
] as const;
export const intervalOf = (i: number) => (i % 10 === 0 ? 5 : ORGS[i % ORGS.length]![1]);
export const orgOf = (i: number) => ORGS[i % ORGS.length]![0];
/**
 * Each run measures its own minute (a day apart): the runs share one Service Bus, whose
 * duplicate detection would drop a later run's messages with the same ids.
 */
export const minuteOf = (day: number) => {
  const now = new Date(Date.UTC(2026, 10, day, 19, 0, 20));
  return { now, target: slotOf(now) };
};
export type Minute = ReturnType<typeof minuteOf>;
export const STAMP = '2026-11-24T18:00:00.000Z';

/** The first DUE users are due in the measured minute; the rest later within their interval. */
export const slotFor = (i: number, due: number, target: string) =>
  i < due ? target : addMinutes(target, 1 + (i % intervalOf(i)));
export const userIds = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(7, '0')}`);
