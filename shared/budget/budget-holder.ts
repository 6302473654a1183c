import type { BudgetRepository } from '../storage/budget-repository';
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
  /**
   * Set once the holder left the row with nothing in flight or waiting and its process let
   * it go (SharedBudgets): every later call goes to the process's current holder of the
   * same budget, so a client that kept this one never makes a second holder with the same
   * id in the row.
   */
  private successor: (() => BudgetHolder) | undefined;
  /** Called once the holder has left the row with nothing in flight or waiting. */
  onDormant: (() => void) | undefined;
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
    if (this.successor) {
      return this.successor().run(fn, need);
    }
    const granted = await this.acquire(need, need);
    try {
      return await fn();
    } finally {
      this.release(granted);
    }
  }

  /** Between `min` and `need` permits: as many of them as are free when its turn comes. */
  acquire(need: number, min = need): Promise<number> {
    if (this.successor) {
      return this.successor().acquire(need, min);
    }
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
    if (this.successor) {
      this.successor().release(granted);
      return;
    }
    this.inFlight -= granted;
    this.pump();
    if (this.inFlight === 0 && this.queue.length === 0) {
      this.idleSince = this.clock();
    }
  }

  /** A 429/503/timeout from the service: every holder of the budget slows down (AIMD). */
  report(retryAfterMs?: number): void {
    if (this.successor) {
      this.successor().report(retryAfterMs);
      return;
    }
    this.throttle = { retryAfterMs: Math.max(retryAfterMs ?? 0, this.throttle?.retryAfterMs ?? 0) };
    // At once, before the shared cut is read back: this instance halves its own allowance.
    this.allowed = Math.min(this.allowed, Math.max(1, Math.floor(this.allowed / 2)));
    this.kick(0);
  }

  /** Requests this holder may have in flight now (0 until its first read of the row). */
  get permits(): number {
    return this.successor ? this.successor().permits : this.allowed;
  }

  /** Hands every later call to `next` (see `successor`); only a dormant holder is retired. */
  retire(next: () => BudgetHolder): void {
    this.successor = next;
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
      if (this.dormant()) {
        this.onDormant?.();
      }
    });
    return this.syncing;
  }

  /** Out of the row, nothing in flight, waiting or due: nothing left for this holder to do. */
  private dormant(): boolean {
    return (
      !this.closed &&
      this.until === 0 &&
      this.inFlight === 0 &&
      this.queue.length === 0 &&
      this.throttle === undefined &&
      this.timer === undefined &&
      this.syncing === undefined
    );
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
