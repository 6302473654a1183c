import { randomUUID } from 'node:crypto';
import type { BudgetRepository } from '../storage/budget-repository';
import { SideError } from '../sync/ports';
import { BudgetHolder, DEFAULT_TIMINGS, type BudgetStats, type BudgetTimings } from './budget-holder';

export { BudgetHolder, DEFAULT_TIMINGS, type BudgetStats, type BudgetTimings } from './budget-holder';

/**
 * Every budget this process takes part in: one holder per budget and configured maximum
 * (two organizations on one Oro base URL with different settings are two holders of the
 * same row; the lowest maximum applies to all).
 */
export class SharedBudgets {
  /** This process among the holders of a row. */
  readonly instanceId = randomUUID().slice(0, 8);
  private readonly holders = new Map<string, BudgetHolder>();
  /** Table reads and writes of the holders let go. */
  private readonly retired: BudgetStats = { reads: 0, writes: 0 };

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
      // Once it has left the row idle it is let go: a process that served a million users
      // over its life does not keep a million holders. A client that kept it is served by
      // whichever holder of the same budget the process has then.
      const dormant = h;
      h.onDormant = () => {
        if (this.holders.get(key) === dormant) {
          this.holders.delete(key);
          this.retired.reads += dormant.stats.reads;
          this.retired.writes += dormant.stats.writes;
          dormant.retire(() => this.holder(scope, max, refusal));
        }
      };
    }
    return h;
  }

  /** Holders this process keeps now (the others are dormant and let go). */
  get size(): number {
    return this.holders.size;
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
      reads: all.reduce((s, h) => s + h.stats.reads, this.retired.reads),
      writes: all.reduce((s, h) => s + h.stats.writes, this.retired.writes),
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
