import fc from 'fast-check';
import type { ExpiredTokenAnswer } from '../../dev/microsoft/respond';
import { CONFLICT_RESOLUTIONS, DIRECTIONS } from '../../shared/settings/schema';
import type { Fields, SyncSettings } from '../../shared/sync/model';
import { SimulatedCrash, type CrashPoint, type RunReport } from '../../shared/sync/runner';
import type { RunBounds } from '../../shared/sync/bounded';
import type { SyncHarness } from './sync-harness';

/**
 * Cases per property: `SYNC_PROPERTY_RUNS` when set, at least 1,000 on CI (`CI=true`),
 * else `laptop` (a quick local run).
 */
export function propertyRuns(laptop: number): number {
  const chosen = process.env.SYNC_PROPERTY_RUNS;
  if (chosen !== undefined && chosen !== '') {
    const runs = Number(chosen);
    if (!Number.isInteger(runs) || runs < 1) {
      throw new Error(`SYNC_PROPERTY_RUNS must be a positive integer, not ${chosen}`);
    }
    return runs;
  }
  return process.env.CI === 'true' ? 1000 : laptop;
}

/**
 * fast-check parameters for a property: `runs` cases (after `examples`, cases every run
 * must try), or the one failing case CI printed
 * when `SYNC_PROPERTY_SEED` (and optionally `SYNC_PROPERTY_PATH`) are set, so a failure
 * seen once can be replayed exactly.
 */
export function propertyParameters<Ts>(runs: number, examples: Ts[] = []): fc.Parameters<Ts> {
  const seed = process.env.SYNC_PROPERTY_SEED;
  if (seed === undefined || seed === '') {
    return { numRuns: runs, verbose: 1, examples };
  }
  if (!/^-?\d+$/.test(seed)) {
    throw new Error(`SYNC_PROPERTY_SEED must be an integer, not ${seed}`);
  }
  const path = process.env.SYNC_PROPERTY_PATH;
  return {
    seed: Number(seed),
    ...(path !== undefined && path !== '' ? { path, endOnFailure: true } : {}),
    numRuns: runs,
    verbose: 1,
    // A path counts the examples first, as the failing run did.
    examples,
  };
}

/** A test timeout for `runs` cases of about `perRunMs` each, never under `floorMs`. */
export const propertyTimeout = (runs: number, perRunMs: number, floorMs = 300_000): number =>
  Math.max(floorMs, runs * perRunMs);

/**
 * Mailbox time zones east and west of UTC (Windows and IANA names, as Graph answers
 * either), for task due dates.
 */
export const MAILBOX_ZONES = [
  'UTC',
  'W. Europe Standard Time',
  'Tokyo Standard Time',
  'Asia/Kolkata',
  'New Zealand Standard Time',
  'Pacific Standard Time',
  'Eastern Standard Time',
  'America/Sao_Paulo',
  'Hawaiian Standard Time',
] as const;
export const mailboxZoneArb: fc.Arbitrary<string> = fc.constantFrom(...MAILBOX_ZONES);

/** Faults the model-based tests inject between user actions. */
export type Fault =
  | { type: 'crash'; at: CrashPoint }
  | { type: 'oro'; what: 'error-500' | 'throttle-429' | 'apply-then-drop' | 'hang' }
  | { type: 'ms-throttle' }
  /**
   * The Graph request after `after` more loses its connection, before or after Graph carried
   * it out. (A request never answered is given up by its deadline, as a lost one is: tested
   * in test/integration/shared/microsoft/graph-timeout.test.ts, not here, where each would
   * cost the deadline.)
   */
  | { type: 'ms-drop'; after: number; applied: boolean }
  /** Graph loses the delta tokens; their next use answers as Graph documents an expired token. */
  | { type: 'ms-expired'; answer: ExpiredTokenAnswer }
  /**
   * The next run's process dies during its table writes: after `after` batch transactions
   * (links, log), between any two of them, the next lost before or once applied.
   */
  | { type: 'table-crash'; after: number; applied: boolean };

export const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({
    type: fc.constant('crash' as const),
    at: fc.constantFrom<CrashPoint>(
      'after-read',
      'after-pending-links',
      'after-oro-writes',
      'after-microsoft-writes',
      'after-links',
    ),
  }),
  fc.record({
    type: fc.constant('oro' as const),
    what: fc.constantFrom(
      'error-500' as const,
      'throttle-429' as const,
      'apply-then-drop' as const,
      'hang' as const,
    ),
  }),
  fc.constant({ type: 'ms-throttle' as const }),
  fc.record({ type: fc.constant('ms-drop' as const), after: fc.nat({ max: 4 }), applied: fc.boolean() }),
  fc.record({ type: fc.constant('table-crash' as const), after: fc.nat({ max: 6 }), applied: fc.boolean() }),
  fc.record({
    type: fc.constant('ms-expired' as const),
    // The delta overview's 410 Gone, and the "40X-series error" with a code seen for expired tokens.
    answer: fc.constantFrom<ExpiredTokenAnswer>(
      { status: 410, code: 'syncStateNotFound' },
      { status: 400, code: 'syncStateNotFound' },
      { status: 404, code: 'syncStateNotFound' },
      { status: 400, code: 'resyncRequired' },
    ),
  }),
);

/** Tiny run bounds (shared/sync/bounded.ts): 1 to 5 writes a run, chunks of 1 to 3. */
export const runBoundsArb: fc.Arbitrary<RunBounds> = fc.record({
  maxWrites: fc.integer({ min: 1, max: 5 }),
  // 0: out of time after the first chunk, so each run writes one chunk (the time bound).
  maxRunMs: fc.constantFrom(0, 60_000),
  chunkWrites: fc.integer({ min: 1, max: 3 }),
});

export const settingsArb: fc.Arbitrary<SyncSettings> = fc.record({
  direction: fc.constantFrom(...DIRECTIONS),
  conflictResolution: fc.constantFrom(...CONFLICT_RESOLUTIONS),
});

/**
 * Arms a fault: Oro's and Graph's take the next requests, a crash the next run (returned).
 * `expireDelta` loses the entity's Graph delta tokens (their next use gets the given answer).
 */
export function armFault<F extends Fields>(
  h: SyncHarness<F>,
  fault: Fault,
  expireDelta: (answer: ExpiredTokenAnswer) => void,
): CrashPoint | undefined {
  if (fault.type === 'oro') {
    h.oro.failNext(fault.what);
  }
  if (fault.type === 'ms-throttle') {
    h.microsoft.throttleNext(2, 0);
  }
  if (fault.type === 'ms-drop') {
    h.microsoft.dropNext(fault.after, fault.applied);
  }
  if (fault.type === 'ms-expired') {
    expireDelta(fault.answer);
  }
  if (fault.type === 'table-crash') {
    h.crashTablesAfter(fault.after, fault.applied);
  }
  return fault.type === 'crash' ? fault.at : undefined;
}

/**
 * One run; the side a one-way direction must not write is compared before and after
 * (`sideState` fingerprints it). The clock then moves on past a crashed run's lease.
 */
export async function checkedSync<F extends Fields>(
  h: SyncHarness<F>,
  settings: SyncSettings,
  sideState: (which: 'oro' | 'ms') => string,
  crash?: CrashPoint,
): Promise<RunReport | { status: 'thrown'; error: unknown }> {
  const disabled =
    settings.direction === 'oro-to-microsoft'
      ? 'oro'
      : settings.direction === 'microsoft-to-oro'
        ? 'ms'
        : undefined;
  const before = disabled && sideState(disabled);
  const report = await h
    .run(settings, crash)
    .catch((error: unknown) => ({ status: 'thrown' as const, error }));
  if (disabled) {
    expect(sideState(disabled)).toBe(before);
  }
  h.advance(10 * 60_000);
  return report;
}

/** Faults stopped: runs until one changes nothing (at most 8). True when it got there. */
export async function syncUntilQuiet(
  sync: () => Promise<RunReport | { status: 'thrown'; error: unknown }>,
): Promise<boolean> {
  for (let i = 0; i < 8; i++) {
    const report = await sync();
    if (report.status === 'thrown') {
      continue;
    }
    const r = report.result;
    if (report.status === 'ok' && r.created + r.updated + r.deleted === 0) {
      return true;
    }
  }
  return false;
}

/**
 * Runs of a bounded-run property (shared/sync/bounded.ts). The next run may die at its n-th
 * step point (`crashNext`); a run that crashed or failed (an Oro fault) returns undefined;
 * every report is held to the bound, and the clock then moves past a crashed run's lease.
 */
export function boundedRuns<F extends Fields>(
  h: SyncHarness<F>,
  settings: SyncSettings,
  bounds: RunBounds,
  advance: (ms: number) => void,
) {
  let crashAt: number | undefined;
  let continued = 0;
  const run = async (): Promise<RunReport | undefined> => {
    let points = 0;
    const dieAt = crashAt;
    crashAt = undefined;
    let report: RunReport;
    try {
      report = await h.run(settings, undefined, {
        bounds,
        during: (point: CrashPoint) => {
          if (++points === dieAt) {
            throw new SimulatedCrash(point);
          }
        },
      });
    } catch {
      // A crash, or a side's failure that ended the run: the next one goes on.
      return undefined;
    } finally {
      advance(10 * 60_000);
    }
    continued += report.continuation ? 1 : 0;
    const r = report.result;
    // Never past the bound; an item is never split, so one item of 2 writes may go alone.
    expect(r.created + r.updated + r.deleted + r.errors).toBeLessThanOrEqual(Math.max(bounds.maxWrites, 2));
    return report;
  };
  return {
    crashNext: (at: number) => {
      crashAt = at;
    },
    /** A run and the continuations it queues, up to `steps` runs (the rest of the chain waits). */
    chain: async (steps: number): Promise<void> => {
      for (let i = 0; i < steps && (await run())?.continuation; i++) {
        // each step a continuation of the one before
      }
    },
    /** Faults stop; runs go on until one changes nothing and queues nothing (at most 80). */
    settle: async (): Promise<boolean> => {
      crashAt = undefined;
      for (let i = 0; i < 80; i++) {
        const report = await run();
        const r = report?.result;
        if (report?.status === 'ok' && !report.continuation && r && r.created + r.updated + r.deleted === 0) {
          return true;
        }
      }
      return false;
    },
    /** Runs that stopped at their bound and were continued. */
    continued: () => continued,
  };
}
