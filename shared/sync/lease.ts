import { isAppErrorCode } from '../errors/app-error';
import type { Leased, SyncEntity, SyncState, SyncStateRepository } from '../storage/sync-state-repository';

/**
 * A run's lease is short and renewed while the run is alive: a run whose host died stops
 * renewing, and its user's next run starts within about a minute instead of waiting out a
 * long lease. A renewal is a write at the ETag the run holds, so it never takes the row
 * from another run.
 */
export const LEASE_MS = 60_000;

/** Calls `renew` every `everyMs` until the returned stop function is called. */
export type Heartbeat = (renew: () => Promise<void>, everyMs: number) => () => void;

/** Real time: an unref'd interval (a run that ends stops it; it never holds the process). */
export const intervalHeartbeat: Heartbeat = (renew, everyMs) => {
  const timer = setInterval(() => void renew(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
};

/** The run no longer holds its lease: another run may own the row; this one writes no more. */
export class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
}

/**
 * The lease of one run: acquires it, renews it on a heartbeat (a third of its length, so
 * two renewals may fail before it lapses), and is the only way the run saves its state.
 * Renewals and saves are serialized, each at the ETag the previous one returned.
 */
export class LeaseKeeper {
  private current: Leased;
  private lost: LeaseLost | undefined;
  /** The final state was saved (which releases the lease): no renewal may take it back. */
  private released = false;
  private queue: Promise<unknown> = Promise.resolve();
  private stopHeartbeat: () => void = () => undefined;

  private constructor(
    private readonly states: SyncStateRepository,
    private readonly key: { userId: string; entity: SyncEntity; owner: string },
    private readonly ttlMs: number,
    private readonly now: () => Date,
    leased: Leased,
  ) {
    this.current = leased;
  }

  /**
   * Takes the lease and starts renewing it; when another live run holds it, when that run's
   * lease runs out unless renewed (`heldUntil`, undefined when not known).
   */
  static async acquire(
    states: SyncStateRepository,
    key: { userId: string; entity: SyncEntity; owner: string },
    options: { ttlMs?: number; now: () => Date; heartbeat?: Heartbeat },
  ): Promise<LeaseKeeper | { heldUntil: string | undefined }> {
    const ttlMs = options.ttlMs ?? LEASE_MS;
    const taken = await states.takeLease(key.userId, key.entity, key.owner, ttlMs, options.now());
    if (!('leased' in taken)) {
      return taken;
    }
    const keeper = new LeaseKeeper(states, key, ttlMs, options.now, taken.leased);
    keeper.stopHeartbeat = (options.heartbeat ?? intervalHeartbeat)(
      () => keeper.renew(),
      Math.max(1, Math.floor(ttlMs / 3)),
    );
    return keeper;
  }

  /** The state as leased (cursors and last results of the previous run). */
  get leased(): Leased {
    return this.current;
  }

  /** Throws LeaseLost when a renewal lost the row or the lease ran out by the run's clock. */
  assertHeld(): void {
    if (!this.lost && Date.parse(this.current.state.lease?.until ?? '') <= this.now().getTime()) {
      this.lost = new LeaseLost(`the lease ran out at ${this.current.state.lease?.until ?? '?'}`);
    }
    if (this.lost) {
      throw this.lost;
    }
  }

  /** Extends the lease at the ETag held. Never rejects: a lost race marks the lease lost. */
  renew(): Promise<void> {
    return this.serialized(async () => {
      if (this.lost || this.released) {
        return;
      }
      try {
        this.current = await this.states.renew(
          this.key.userId,
          this.key.entity,
          this.current,
          this.key.owner,
          this.ttlMs,
          this.now(),
        );
      } catch (error) {
        if (isAppErrorCode(error, 'precondition-failed') || isAppErrorCode(error, 'conflict')) {
          this.lost = new LeaseLost('another writer changed the sync state; the lease is lost', {
            cause: error,
          });
        }
        // Anything else (storage unreachable): the next beat tries again; assertHeld stops
        // the run once the lease has run out by its clock.
      }
    });
  }

  /** Saves state in the middle of a run at the ETag held, keeping the lease and its renewals. */
  update(state: SyncState): Promise<Leased> {
    return this.serialized(async () => {
      this.assertHeld();
      this.current = await this.states.save(this.key.userId, this.key.entity, {
        state: { ...state, lease: this.current.state.lease },
        etag: this.current.etag,
      });
      return this.current;
    });
  }

  /** Saves the run's final state (without a lease: this releases it) at the ETag held. */
  save(state: SyncState): Promise<Leased> {
    return this.serialized(async () => {
      this.assertHeld();
      this.current = await this.states.save(this.key.userId, this.key.entity, {
        state,
        etag: this.current.etag,
      });
      this.released = true;
      this.stop();
      return this.current;
    });
  }

  /** Stops renewing (the run ended, or crashed in a test). */
  stop(): void {
    this.stopHeartbeat();
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = Promise.allSettled([next]); // the queue only orders; each caller gets its own outcome
    return next;
  }
}
