/**
 * The arithmetic of a shared concurrency budget (docs/budgets.md), kept pure so every
 * rule is unit- and property-tested without storage. One row per budget (an Oro base URL,
 * a mailbox) lists its holders: each Functions instance that sends requests under it,
 * with how many permits it holds, how many it wants, the most it allows and when its
 * lease lapses. Every holder computes the same allocation from the same row; the row is
 * written only at the ETag it was read at, so the sum of what holders hold never exceeds
 * the budget.
 */

export interface HolderEntry {
  /** Permits this holder may have in flight (its requests never exceed it). */
  held: number;
  /** Permits it would use: in flight plus waiting. */
  want: number;
  /** The budget this holder's settings allow (the lowest among live holders applies). */
  max: number;
  /** Epoch ms: past this, the holder counts as dead and its permits are free. */
  until: number;
}

export interface BudgetRow {
  holders: Record<string, HolderEntry>;
  /** The budget after throttling cut it (AIMD); absent: the configured maximum. */
  limit?: number | undefined;
  /** When the last cut happened (a cut per window, however many 429s it saw). */
  cutAt: number;
  /** The budget the last cut was made at: growing back to it again is slow (a probe). */
  ceiling?: number | undefined;
  /** When the budget last grew by one. */
  raisedAt: number;
  /** No holder starts a request before this (a Retry-After any holder saw). */
  slowUntil: number;
}

export const EMPTY_ROW: BudgetRow = { holders: {}, cutAt: 0, raisedAt: 0, slowUntil: 0 };

/** AIMD parameters: cut by a share on throttling at most once per window, add one per quiet period. */
export interface AimdRules {
  /** What a cut keeps of the budget (0.75: a quarter off, as gentler than halving keeps a sawtooth near capacity). */
  keep: number;
  /** A cut is not repeated within this window (requests in flight at the old budget still answer). */
  cutWindowMs: number;
  /** One more permit after this long without throttling. */
  raiseEveryMs: number;
  /** At the budget that was last refused, one more permit only after this long (a probe). */
  probeEveryMs: number;
  /** Longest Retry-After honoured as a shared pause. */
  maxSlowMs: number;
}

export const DEFAULT_AIMD: AimdRules = {
  keep: 0.75,
  cutWindowMs: 2_000,
  raiseEveryMs: 1_000,
  probeEveryMs: 30_000,
  maxSlowMs: 30_000,
};

/** Holders whose lease has not lapsed. */
export function liveHolders(row: BudgetRow, now: number): Record<string, HolderEntry> {
  return Object.fromEntries(Object.entries(row.holders).filter(([, h]) => h.until > now));
}

/** The budget in force: the lowest maximum among live holders, lowered by a throttling cut. */
export function budgetOf(row: BudgetRow, live: Record<string, HolderEntry>): number {
  const maxima = Object.values(live).map((h) => h.max);
  const configured = maxima.length > 0 ? Math.min(...maxima) : 0;
  return Math.max(0, Math.min(configured, row.limit ?? configured));
}

/**
 * Max-min fair shares of `budget` among holders' wants: nobody gets more than it wants, and
 * whatever one does not want is shared by the others. Ties in the last permits go to the
 * lowest ids, so every holder computes the same answer.
 */
export function allocate(budget: number, wants: Record<string, number>): Record<string, number> {
  const ids = Object.keys(wants).sort();
  const given: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  let remaining = Math.max(0, Math.floor(budget));
  for (;;) {
    const hungry = ids.filter((id) => given[id]! < wants[id]!);
    if (remaining === 0 || hungry.length === 0) {
      return given;
    }
    const share = Math.floor(remaining / hungry.length);
    if (share === 0) {
      for (const id of hungry.slice(0, remaining)) {
        given[id]! += 1;
      }
      return given;
    }
    for (const id of hungry) {
      const take = Math.min(share, wants[id]! - given[id]!);
      given[id]! += take;
      remaining -= take;
    }
  }
}

/** What a holder may do after reading the row: the entry to write and how many it may run. */
export interface HolderDecision {
  entry: HolderEntry;
  /** Requests it may have in flight from now on (0 while a shared pause lasts). */
  allowed: number;
  /** Below its fair share (others must yield first): worth reading the row again soon. */
  short: boolean;
}

/**
 * One holder's next entry. It grows only into permits nobody holds (so the written sum
 * stays within the budget), never below what it has in flight (those requests are on the
 * wire), and shrinks toward its fair share as others come to want permits.
 */
export function decide(
  row: BudgetRow,
  self: string,
  local: { inFlight: number; want: number; max: number },
  now: number,
  leaseMs: number,
): HolderDecision {
  const live = liveHolders(row, now);
  // Wants beyond the maximum change no share: capped, they need no write as they move.
  const mine: HolderEntry = {
    held: 0,
    want: Math.min(local.want, local.max),
    max: local.max,
    until: now + leaseMs,
  };
  const all = { ...live, [self]: mine };
  const budget = budgetOf(row, all);
  const share = allocate(budget, Object.fromEntries(Object.entries(all).map(([id, h]) => [id, h.want])))[
    self
  ]!;
  const othersHeld = Object.entries(live)
    .filter(([id]) => id !== self)
    .reduce((sum, [, h]) => sum + h.held, 0);
  const free = Math.max(0, budget - othersHeld);
  const paused = now < row.slowUntil;
  const held = Math.max(local.inFlight, paused ? 0 : Math.min(share, free));
  return { entry: { ...mine, held }, allowed: paused ? 0 : Math.min(held, share), short: held < share };
}

/** The row with dead holders dropped and `self` set (or removed when undefined). */
export function withHolder(
  row: BudgetRow,
  self: string,
  entry: HolderEntry | undefined,
  now: number,
): BudgetRow {
  const holders = liveHolders(row, now);
  if (entry) {
    holders[self] = entry;
  } else {
    delete holders[self];
  }
  return { ...row, holders };
}

/**
 * Multiplicative decrease: a 429, 503 or timeout cuts the budget to `keep` of itself (at
 * least 1) once per window, and a Retry-After pauses every holder until it has passed.
 */
export function cut(
  row: BudgetRow,
  now: number,
  retryAfterMs: number | undefined,
  rules: AimdRules,
): BudgetRow {
  const live = liveHolders(row, now);
  const next = { ...row };
  if (now - row.cutAt >= rules.cutWindowMs) {
    const budget = budgetOf(row, live);
    next.ceiling = budget;
    next.limit = Math.max(1, Math.floor(budget * rules.keep));
    next.cutAt = now;
  }
  if (retryAfterMs !== undefined && retryAfterMs > 0) {
    next.slowUntil = Math.max(row.slowUntil, now + Math.min(retryAfterMs, rules.maxSlowMs));
  }
  return next;
}

/**
 * Additive increase: one permit more per quiet second back up to just below the budget the
 * last cut was made at, then one per probe period past it, until the configured maximum is
 * back. The sawtooth stays near the capacity instead of meeting it every few seconds.
 */
export function raise(row: BudgetRow, now: number, rules: AimdRules): BudgetRow {
  if (row.limit === undefined) {
    return row;
  }
  const probing = row.ceiling !== undefined && row.limit + 1 >= row.ceiling;
  const every = probing ? rules.probeEveryMs : rules.raiseEveryMs;
  if (now - Math.max(row.cutAt, row.raisedAt) < every) {
    return row;
  }
  const maxima = Object.values(liveHolders(row, now)).map((h) => h.max);
  const configured = maxima.length > 0 ? Math.min(...maxima) : row.limit + 1;
  const limit = row.limit + 1;
  return { ...row, limit: limit >= configured ? undefined : limit, raisedAt: now };
}

/** One holder's read-decide-write, as BudgetHolder runs it (pure, for the property test too). */
export interface SyncPlan {
  /** The row to write at the ETag read; undefined: nothing changed, no write. */
  next: BudgetRow | undefined;
  /** What the holder may run while the write is on its way (a shrink applies at once). */
  allowedNow: number;
  /** Once the write landed (or at once when there is none); `short`: below its fair share. */
  after: { allowed: number; until: number; short: boolean };
}

export function planSync(
  row: BudgetRow,
  self: string,
  local: { inFlight: number; want: number; max: number; allowed: number; leaving: boolean },
  now: number,
  rules: { leaseMs: number; safetyMs: number; aimd: AimdRules },
  throttle: { retryAfterMs?: number | undefined } | undefined,
): SyncPlan {
  const adjusted = throttle ? cut(row, now, throttle.retryAfterMs, rules.aimd) : raise(row, now, rules.aimd);
  const decision = local.leaving
    ? undefined
    : decide(
        adjusted,
        self,
        { inFlight: local.inFlight, want: local.want, max: local.max },
        now,
        rules.leaseMs,
      );
  const mine = row.holders[self];
  // Renewed halfway through the part of the lease the holder may start requests in.
  const renewBelow = rules.safetyMs + (rules.leaseMs - rules.safetyMs) / 2;
  if (unchanged(row, adjusted, mine, decision?.entry, now, renewBelow)) {
    const allowed = Math.min(decision?.allowed ?? 0, mine?.held ?? 0);
    return {
      next: undefined,
      allowedNow: allowed,
      after: { allowed, until: mine?.until ?? 0, short: decision?.short ?? false },
    };
  }
  // Shrink before the write lands, grow only after: what runs never exceeds the row.
  return {
    next: withHolder(adjusted, self, decision?.entry, now),
    allowedNow: Math.min(local.allowed, decision?.allowed ?? 0),
    after: {
      allowed: decision?.allowed ?? 0,
      until: decision?.entry.until ?? 0,
      short: decision?.short ?? false,
    },
  };
}

/** Nothing to write: the entry is as stored, its lease is fresh and the budget did not move. */
function unchanged(
  row: BudgetRow,
  adjusted: BudgetRow,
  mine: HolderEntry | undefined,
  entry: HolderEntry | undefined,
  now: number,
  renewBelowMs: number,
): boolean {
  if (adjusted !== row) {
    return false;
  }
  if (!entry || !mine) {
    return !entry && !mine;
  }
  return (
    mine.held === entry.held &&
    mine.want === entry.want &&
    mine.max === entry.max &&
    mine.until - now > renewBelowMs
  );
}
