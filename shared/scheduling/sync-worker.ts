import type { SyncMessage } from '../messaging/messages';
import type { SyncQueue } from '../messaging/sync-queue';
import type { SyncStateRepository } from '../storage/sync-state-repository';
import type { EntityRun } from '../sync/sync-service';

export const RETRY_POLICY = {
  /** Retries of one run after transient failures before it gives up and says so. */
  maxRetries: 5,
  baseMs: 30_000,
  maxMs: 30 * 60_000,
  /** A side's Retry-After is honoured up to this. */
  maxRetryAfterMs: 6 * 3600_000,
} as const;

/** The emulator's and the deployed queues' max delivery count: the last try before dead-lettering. */
export const MAX_DELIVERY_COUNT = 5;

/** When the retry number `attempt` (1-based) runs: exponential backoff, or later when the side said so. */
export function retryAt(attempt: number, now: Date, retryAfterMs?: number): Date {
  const backoff = Math.min(RETRY_POLICY.maxMs, RETRY_POLICY.baseMs * 2 ** (attempt - 1));
  const asked = Math.min(RETRY_POLICY.maxRetryAfterMs, retryAfterMs ?? 0);
  return new Date(now.getTime() + Math.max(backoff, asked));
}

/**
 * A run that found the lease held by another run (a crashed one's lapses within a minute) is
 * retried this long after that lease runs out: enough for clock skew between instances.
 */
export const LEASE_RETRY_MARGIN_MS = 2_000;
/** …and never sooner than this: a lease about to run out is not polled for. */
export const LEASE_RETRY_FLOOR_MS = 5_000;

/**
 * When a run that found the lease held until `leaseUntil` may be retried: as that lease runs
 * out, plus the margin, and at least the floor from now. Undefined for an unreadable time.
 */
export function leaseRetryAt(leaseUntil: string, now: Date): Date | undefined {
  const expiry = Date.parse(leaseUntil);
  if (Number.isNaN(expiry)) {
    return undefined;
  }
  return new Date(Math.max(expiry + LEASE_RETRY_MARGIN_MS, now.getTime() + LEASE_RETRY_FLOOR_MS));
}

/** One id per failed message: a redelivery of the same message schedules the same retry, which is dropped as a duplicate. */
export const retryMessageId = (m: SyncMessage): string => `retry:${m.userId}:${m.entity}:${m.requestedAt}`;

/**
 * One id per continuation: the run count it continues from. A redelivered message whose run
 * is sent again sends the same id (dropped as a duplicate); a later run has a later count.
 */
export const continuationMessageId = (m: SyncMessage, runs: number): string =>
  `continue:${m.userId}:${m.entity}:${runs}`;

export type Handled =
  | { outcome: 'done'; run: EntityRun; continuation?: { messageId: string } }
  | { outcome: 'retry'; run: EntityRun; attempt: number; at: Date; messageId: string }
  | { outcome: 'gave-up'; run: EntityRun; attempts: number };

export interface Delivery {
  /** Service Bus's delivery count of this message (1 on the first delivery). */
  count: number;
  max?: number;
}

/**
 * What happens around one queued run: the queued mark is cleared once the run ended, a transient failure
 * (throttled, side unavailable, no answer, or the user's lease still held) completes the
 * message and schedules a "retry" with backoff instead of throwing, so Service Bus does
 * not redeliver at once (a held lease: as it runs out, see below); after
 * RETRY_POLICY.maxRetries it gives up and the status says so.
 * An unexpected error is thrown for the runtime to redeliver; on the last delivery it is
 * first recorded in the user's sync state, so the dead-lettered message shows in the status.
 */
export class SyncWorker {
  constructor(private readonly deps: { states: SyncStateRepository; queue: SyncQueue; now?: () => Date }) {}

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  async handle(message: SyncMessage, delivery: Delivery, run: () => Promise<EntityRun>): Promise<Handled> {
    const { userId, entity } = message;
    let result: EntityRun;
    try {
      result = await run();
    } catch (error) {
      await this.deps.states.clearQueued(userId, entity, message.requestedAt, this.now());
      if (delivery.count >= (delivery.max ?? MAX_DELIVERY_COUNT)) {
        const reason = error instanceof Error ? error.message : String(error);
        await this.deps.states.recordFailure(
          userId,
          entity,
          `The run failed on each of ${delivery.count} deliveries and was dead-lettered: ${reason}`,
          this.now(),
        );
      }
      throw error;
    }
    // The mark goes with the run's lease, or only now (a run that never took one): until then
    // the status must still say "queued", not "idle" beside the previous run's result.
    await this.deps.states.clearQueued(userId, entity, message.requestedAt, this.now());
    const transient = 'transient' in result ? result.transient : undefined;
    if (!transient && result.status !== 'busy') {
      const continuation = 'continuation' in result ? result.continuation : undefined;
      if (!continuation) {
        return { outcome: 'done', run: result };
      }
      // The run stopped at its bound with its progress saved: the next one goes on at once,
      // in the user's session. A failure to send is thrown: the message is delivered again,
      // and that run goes on with the backlog and queues the continuation itself.
      const messageId = continuationMessageId(message, continuation.runs);
      const body: SyncMessage = {
        userId,
        entity,
        reason: 'continue',
        requestedAt: this.now().toISOString(),
        continues: continuation.runs,
        ...(message.confirmMassDelete ? { confirmMassDelete: true } : {}),
      };
      await this.deps.queue.send([{ body, messageId }]);
      return { outcome: 'done', run: result, continuation: { messageId } };
    }

    const attempt = (message.attempt ?? 0) + 1;
    const error = 'error' in result && result.error ? result.error : 'another run held the lease';
    if (attempt > RETRY_POLICY.maxRetries) {
      await this.deps.states.recordFailure(
        userId,
        entity,
        `Gave up after ${RETRY_POLICY.maxRetries} retries: ${error}`,
        this.now(),
      );
      return { outcome: 'gave-up', run: result, attempts: RETRY_POLICY.maxRetries };
    }
    const now = this.now();
    const policyAt = retryAt(attempt, now, transient?.retryAfterMs);
    // A held lease: retried as it runs out when that comes before the backoff would (a crashed
    // run's lapses within a minute), once per retried run. Found held again after that, the
    // holder is alive and renewing: the rest keep the backoff, so a run behind a live one
    // still gives up after the same retries, no more than one of them sooner than today.
    const leaseAt =
      result.status === 'busy' && 'leaseUntil' in result && result.leaseUntil && !message.leaseWaited
        ? leaseRetryAt(result.leaseUntil, now)
        : undefined;
    const waitsForLease = leaseAt !== undefined && leaseAt < policyAt;
    const at = waitsForLease ? leaseAt : policyAt;
    const messageId = retryMessageId(message);
    const body: SyncMessage = {
      ...message,
      reason: 'retry',
      attempt,
      requestedAt: now.toISOString(),
      ...(waitsForLease ? { leaseWaited: true as const } : {}),
    };
    await this.deps.states.markRetry(userId, entity, { at: at.toISOString(), attempt, reason: error }, now);
    await this.deps.queue.send([{ body, messageId, scheduledAt: at }]);
    return { outcome: 'retry', run: result, attempt, at, messageId };
  }
}
