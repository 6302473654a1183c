import { randomUUID } from 'node:crypto';
import type { BudgetRepository } from '../storage/budget-repository';
import { SideError } from '../sync/ports';
import { DEFAULT_AIMD, planSync, type AimdRules } from './allocation';

export interface BudgetTimings {
  /** A holder's lease: others count its permits free this long after its last write. */
  leaseMs: number;
  /**
   * A holder that could not renew starts nothing in this last part of its lease: longer
   * than a request may take (the Oro client's 30 s timeout) plus clock skew between
   * instances, so a lapsed holder has nothing in flight when others take its permits.
   */
  safetyMs: number;
  /** How often a holder below its fair share, with requests waiting, reads the row again. */
  pollMs: number;
  /** How often a busy holder reads the row (to yield to newcomers, to see cuts and pauses). */
  checkMs: number;
  /** An idle holder keeps its permits this long before it gives them back. */
  lingerMs: number;
  /** A request that waited this long fails as retryable: the run is retried later. */
  maxWaitMs: number;
  aimd: AimdRules;
}

export const DEFAULT_TIMINGS: BudgetTimings = {
  leaseMs: 60_000,
  safetyMs: 35_000,
  pollMs: 250,
  checkMs: 1_000,
  lingerMs: 2_000,
  maxWaitMs: 120_000,
  aimd: DEFAULT_AIMD,
};

interface Waiter {
  need: number;
  min: number;
  since: number;
  resolve: (granted: number) => void;
  reject: (error: Error) => void;
}

/** Table operations a holder made, for the benchmark. */
export interface BudgetStats {
  reads: number;
  writes: number;
}

/**
 * This process's share of one shared budget. Requests of every run in the process wait
 * here in order; the holder grows its share in the table row when they wait, gives it
 * back when idle, and yields to other instances toward a fair share. Table operations are
 * per holder and second, never per request.
 */
export class BudgetHolder {
  private inFlight = 0;
  private allowed = 0;
  private until = 0;
  private readonly queue: Waiter[] = [];
  private syncing: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private throttle: { retryAfterMs?: number | undefined } | undefined;
  private idleSince: number | undefined;
  /** Below its fair share at the last read: others are yielding permits it waits for. */
  private short = false;
  /** Why the last read or write of the row failed, until one succeeds (said when a wait times out). */
  private storageError: string | undefined;
  private closed = false;
  readonly stats: BudgetStats = { reads: 0, writes: 0 };

  constructor(
    private readonly store: BudgetRepository,
    readonly scope: string,
    readonly id: string,
    readonly max: number,
    private readonly refusal: (waitedMs: number) => Error,
    private readonly timings: BudgetTimings = DEFAULT_TIMINGS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Runs `fn` under one permit (or `need`). */
  async run<T>(fn: () => Promise<T>, need = 1): Promise<T> {
    const granted = await this.acquire(need, need);
    try {
      return await fn();
    } finally {
      this.release(granted);
    }
  }

  /** Between `min` and `need` permits: as many of them as are free when its turn comes. */
  acquire(need: number, min = need): Promise<number> {
    const wanted = Math.max(1, Math.min(need, this.max));
    const least = Math.max(1, Math.min(min, wanted));
    return new Promise<number>((resolve, reject) => {
      const first = this.queue.length === 0;
      this.queue.push({ need: wanted, min: least, since: this.clock(), resolve, reject });
      this.idleSince = undefined;
      this.pump();
      if (this.queue.length > 0 && first) {
        this.kick(0);
      }
    });
  }

  release(granted: number): void {
    this.inFlight -= granted;
    this.pump();
    if (this.inFlight === 0 && this.queue.length === 0) {
      this.idleSince = this.clock();
    }
  }

  /** A 429/503/timeout from the service: every holder of the budget slows down (AIMD). */
  report(retryAfterMs?: number): void {
    this.throttle = { retryAfterMs: Math.max(retryAfterMs ?? 0, this.throttle?.retryAfterMs ?? 0) };
    // At once, before the shared cut is read back: this instance halves its own allowance.
    this.allowed = Math.min(this.allowed, Math.max(1, Math.floor(this.allowed / 2)));
    this.kick(0);
  }

  /** Requests this holder may have in flight now (0 until its first read of the row). */
  get permits(): number {
    return this.allowed;
  }

  /** Stops the timers and gives the permits back. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const w of this.queue.splice(0)) {
      w.reject(new Error(`budget ${this.scope} closed`));
    }
    await this.syncing;
    await this.syncOnce(true);
  }

  private pump(): void {
    const now = this.clock();
    if (now >= this.until - this.timings.safetyMs) {
      this.allowed = 0;
    }
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const free = this.allowed - this.inFlight;
      if (free < head.min) {
        break;
      }
      const give = Math.min(head.need, free);
      this.inFlight += give;
      this.queue.shift();
      head.resolve(give);
    }
  }

  private kick(delayMs: number): void {
    if (this.closed) {
      return;
    }
    const at = this.clock() + delayMs;
    if (this.timer && this.timerAt <= at) {
      return;
    }
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      void this.sync();
    }, delayMs);
    this.timer.unref();
  }

  private sync(): Promise<void> {
    if (this.syncing) {
      this.again = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      do {
        this.again = false;
        try {
          await this.syncOnce(false);
          this.storageError = undefined;
        } catch (error) {
          // Storage did not answer: the permits held stay usable until the lease's safety
          // margin, then nothing starts; the next sync tries again, and a request that
          // waits too long fails with this reason (expireWaiters).
          this.storageError = error instanceof Error ? error.message : String(error);
        }
      } while (this.again && !this.closed);
    })().finally(() => {
      this.syncing = undefined;
      this.expireWaiters();
      this.pump();
      this.scheduleNext();
    });
    return this.syncing;
  }

  private scheduleNext(): void {
    const t = this.timings;
    if (this.throttle) {
      this.kick(0);
    } else if (this.queue.length > 0 && (this.short || this.allowed === 0)) {
      this.kick(Math.round(t.pollMs * (0.5 + Math.random())));
    } else if (this.inFlight > 0 || this.until > 0) {
      this.kick(this.idleSince === undefined ? t.checkMs : Math.min(t.checkMs, t.lingerMs));
    }
  }

  private expireWaiters(): void {
    const now = this.clock();
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const w = this.queue[i]!;
      if (now - w.since >= this.timings.maxWaitMs) {
        this.queue.splice(i, 1);
        const refusal = this.refusal(now - w.since);
        if (this.storageError !== undefined) {
          refusal.message += ` (the budgets table did not answer: ${this.storageError})`;
        }
        w.reject(refusal);
      }
    }
  }

  /** One read-decide-write of the row, repeated over lost races. */
  private async syncOnce(leaving: boolean): Promise<void> {
    for (let attempt = 0; attempt < 8; attempt++) {
      this.stats.reads++;
      const { row, etag } = await this.store.read(this.scope);
      const now = this.clock();
      const throttle = this.throttle;
      const want = this.inFlight + this.queue.reduce((sum, w) => sum + w.need, 0);
      const plan = planSync(
        row,
        this.id,
        {
          inFlight: this.inFlight,
          want,
          max: this.max,
          allowed: this.allowed,
          leaving:
            leaving ||
            (want === 0 && this.idleSince !== undefined && now - this.idleSince >= this.timings.lingerMs),
        },
        now,
        this.timings,
        throttle,
      );
      this.allowed = plan.allowedNow;
      if (plan.next) {
        this.stats.writes++;
        if ((await this.store.write(this.scope, plan.next, etag)) === undefined) {
          continue;
        }
        if (this.throttle === throttle) {
          this.throttle = undefined;
        }
      }
      this.allowed = plan.after.allowed;
      this.until = plan.after.until;
      this.short = plan.after.short;
      return;
    }
  }
}

/**
 * Every budget this process takes part in: one holder per budget and configured maximum
 * (two organizations on one Oro base URL with different settings are two holders of the
 * same row; the lowest maximum applies to all).
 */
export class SharedBudgets {
  /** This process among the holders of a row. */
  readonly instanceId = randomUUID().slice(0, 8);
  private readonly holders = new Map<string, BudgetHolder>();

  constructor(
    private readonly store: BudgetRepository,
    private readonly timings: BudgetTimings = DEFAULT_TIMINGS,
    private readonly clock: () => number = Date.now,
  ) {}

  holder(scope: string, max: number, refusal: (waitedMs: number) => Error): BudgetHolder {
    const key = `${scope}\n${max}`;
    let h = this.holders.get(key);
    if (!h) {
      h = new BudgetHolder(
        this.store,
        scope,
        `${this.instanceId}-${max}`,
        max,
        refusal,
        this.timings,
        this.clock,
      );
      this.holders.set(key, h);
    }
    return h;
  }

  /** Oro's budget, per base URL: every organization and run that talks to that instance. */
  oro(baseUrl: string, max: number): BudgetHolder {
    const scope = oroScope(baseUrl);
    return this.holder(
      scope,
      max,
      (waited) =>
        new SideError(
          'oro',
          `Oro at ${new URL(baseUrl).origin} is at its concurrency budget (${max} requests at a time, fewer after it answered 429/503 or timed out): waited ${Math.round(waited / 1000)} s for a turn.`,
          'retryable',
        ),
    );
  }

  /** Outlook's 4 concurrent requests per app and mailbox, across calendar and To Do runs. */
  mailbox(userId: string): BudgetHolder {
    return this.holder(
      `mailbox ${userId}`,
      MAILBOX_CONCURRENCY,
      (waited) =>
        new SideError(
          'microsoft',
          `The mailbox's 4 concurrent Graph requests were in use: waited ${Math.round(waited / 1000)} s for a turn.`,
          'retryable',
        ),
    );
  }

  stats(): BudgetStats {
    const all = [...this.holders.values()];
    return {
      reads: all.reduce((s, h) => s + h.stats.reads, 0),
      writes: all.reduce((s, h) => s + h.stats.writes, 0),
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.holders.values()].map((h) => h.close()));
    this.holders.clear();
  }
}

/**
 * Outlook runs at most four concurrent requests per app and mailbox, `$batch` steps
 * included (learn.microsoft.com/graph/throttling-limits#outlook-service-limits).
 */
export const MAILBOX_CONCURRENCY = 4;

/** One Oro instance, however its base URL is spelled (case of the host, trailing slashes). */
export function oroScope(baseUrl: string): string {
  const url = new URL(baseUrl);
  return `oro ${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** A service answer that says "too much": Oro's 429 and 503. */
const OVERLOAD = new Set([429, 503]);

/**
 * Sends under one permit of `holder` (as is without one) and reports overload: a 429/503
 * answer, or no answer in time (a retryable SideError without status).
 */
export async function limited<T extends { status: number; retryAfterMs?: number | undefined }>(
  holder: BudgetHolder | undefined,
  send: () => Promise<T>,
): Promise<T> {
  if (!holder) {
    return send();
  }
  return holder.run(async () => {
    try {
      const res = await send();
      if (OVERLOAD.has(res.status)) {
        holder.report(res.retryAfterMs);
      }
      return res;
    } catch (error) {
      if (error instanceof SideError && error.retryable && error.status === undefined) {
        holder.report();
      }
      throw error;
    }
  });
}
