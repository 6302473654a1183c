import { z } from 'zod';
import { isAppErrorCode } from '../errors/app-error';
import { readRow, writeRow, type TableStore } from './tables';

export const SYNC_ENTITIES = ['calendar', 'tasks'] as const;
export type SyncEntity = (typeof SYNC_ENTITIES)[number];

export const runResult = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  deleted: z.number().int(),
  conflicts: z.number().int(),
  errors: z.number().int(),
});
export type RunResult = z.infer<typeof runResult>;

export const syncState = z.object({
  cursors: z.record(z.string(), z.string()),
  /**
   * The Microsoft account (MSAL home account id) the cursors and links belong to; absent in
   * rows written before it was recorded, whose cursors are taken as the current account's.
   */
  account: z.string().optional(),
  /**
   * The Microsoft calendar or To Do list the cursors and links belong to, once one was
   * chosen (`chosen`: the setting's id; absent: the account's default). Absent: the default.
   */
  folder: z.object({ chosen: z.string().optional(), id: z.string(), name: z.string() }).optional(),
  lease: z.object({ owner: z.string(), until: z.string() }).optional(),
  status: z.enum(['idle', 'running', 'error']),
  /** The direction of the last completed run: a side that starts sending is read in full once. */
  direction: z.string().optional(),
  lastSyncAt: z.string().optional(),
  lastResult: runResult.optional(),
  lastError: z.string().optional(),
  runs: z.number().int(),
  /** When a run was queued (timer, manual) and not yet finished: the status shows "queued". */
  queuedAt: z.string().optional(),
  /**
   * The last run that changed something, with its counts: later runs that found nothing
   * (echoes of our own writes, idle scheduled runs) leave it, so the status still says
   * what just happened.
   */
  lastChange: z.object({ at: z.string(), result: runResult }).optional(),
  /**
   * What the last Microsoft read covered: the Graph subscription and its notification count,
   * read before that read, and when it ran. A scheduled run whose subscription still shows that
   * count (and is live) has nothing new at Graph to read (docs/scheduling.md, "Quiet subscriptions").
   */
  microsoftMark: z
    .object({ subscriptionId: z.string(), notified: z.number().int(), readAt: z.string() })
    .optional(),
  /**
   * A bounded run stopped with items still to apply (they wait in the backlog beside the
   * links): items applied since the first run of the chain, and those plus the ones left.
   */
  continuing: z.object({ done: z.number().int(), planned: z.number().int() }).optional(),
  /**
   * The last bounded run whose cursor was saved after its backlog (a count: each such run
   * saves one more). Backlog rows put with a higher number came from a run that died before
   * its cursor: the feed from the saved cursor may never mention their items again.
   */
  backlogSeq: z.number().int().optional(),
  /** A failed run waits for its retry: when it runs, which retry it is, and why. */
  retry: z.object({ at: z.string(), attempt: z.number().int(), reason: z.string() }).optional(),
});
export type RetryNote = NonNullable<SyncState['retry']>;
export type MicrosoftMark = NonNullable<SyncState['microsoftMark']>;
export type SyncState = z.infer<typeof syncState>;

/** `status` is the state's, as a column too: the fleet view filters on it (fleet-status-repository.ts). */
type StateEntity = { partitionKey: string; rowKey: string; state: string; status?: SyncState['status'] };

/**
 * The state once the pending run has started: no queued mark, unless a scheduled retry is
 * still to come (another run meanwhile does not cancel it; it shows until its time).
 */
function withoutQueued(state: SyncState, now: Date): SyncState {
  if (state.retry && Date.parse(state.retry.at) > now.getTime()) {
    return state;
  }
  const { queuedAt: _started, retry: _done, ...rest } = state;
  return rest;
}

/** One row key per user and entity (Azurite finds rows by RowKey first; see connection rows). */
export const stateRow = (userId: string, entity: SyncEntity): string => `${userId}:${entity}`;

export interface Leased {
  state: SyncState;
  etag: string;
}

/**
 * One row per user and entity: cursors, lease, last run. Every change is a conditional
 * write at the ETag read, so two runs can never both hold the lease.
 */
export class SyncStateRepository {
  constructor(private readonly tables: TableStore) {}

  private get table() {
    return this.tables.client('syncstate');
  }

  async get(userId: string, entity: SyncEntity): Promise<Leased | undefined> {
    const row = await readRow<StateEntity>(this.tables, 'syncstate', userId, stateRow(userId, entity));
    return row && { state: syncState.parse(JSON.parse(row.state)), etag: row.etag };
  }

  /** Takes the lease unless another owner holds an unexpired one; undefined when it is held. */
  async acquire(
    userId: string,
    entity: SyncEntity,
    owner: string,
    ttlMs: number,
    now: Date,
  ): Promise<Leased | undefined> {
    const taken = await this.takeLease(userId, entity, owner, ttlMs, now);
    return 'leased' in taken ? taken.leased : undefined;
  }

  /**
   * Takes the lease, or says when the other owner's lease runs out unless renewed
   * (`heldUntil`; undefined when another writer changed the row between the read and the
   * write, so the holder's expiry is not known).
   */
  async takeLease(
    userId: string,
    entity: SyncEntity,
    owner: string,
    ttlMs: number,
    now: Date,
  ): Promise<{ leased: Leased } | { heldUntil: string | undefined }> {
    const current = await this.get(userId, entity);
    const lease = current?.state.lease;
    if (lease && Date.parse(lease.until) > now.getTime() && lease.owner !== owner) {
      return { heldUntil: lease.until };
    }
    // Taking the lease ends "queued" in the same write: the status goes queued → running
    // with no moment in between that reads idle. A retry still waiting for its time stays.
    const state: SyncState = {
      ...withoutQueued(current?.state ?? { cursors: {}, runs: 0, status: 'idle' }, now),
      status: 'running',
      lease: { owner, until: new Date(now.getTime() + ttlMs).toISOString() },
    };
    try {
      return { leased: { state, etag: await this.write(userId, entity, state, current?.etag) } };
    } catch (error) {
      if (isAppErrorCode(error, 'precondition-failed') || isAppErrorCode(error, 'conflict')) {
        return { heldUntil: undefined };
      }
      throw error;
    }
  }

  /**
   * Extends a held lease at the ETag held (a heartbeat of a live run). Fails with
   * precondition-failed when anyone wrote the row meanwhile: the lease is then not ours.
   */
  async renew(
    userId: string,
    entity: SyncEntity,
    held: Leased,
    owner: string,
    ttlMs: number,
    now: Date,
  ): Promise<Leased> {
    const state: SyncState = {
      ...held.state,
      lease: { owner, until: new Date(now.getTime() + ttlMs).toISOString() },
    };
    return { state, etag: await this.write(userId, entity, state, held.etag) };
  }

  /**
   * Records why a run could not start (not connected, not configured), so the status shows
   * it. Leaves a row alone that a running sync holds; losing a race to a writer is fine.
   */
  async recordFailure(userId: string, entity: SyncEntity, message: string, now: Date): Promise<void> {
    const current = await this.get(userId, entity);
    if (current?.state.lease && Date.parse(current.state.lease.until) > now.getTime()) {
      return;
    }
    const { lease: _none, ...rest } = current?.state ?? { cursors: {}, runs: 0, status: 'idle' as const };
    try {
      await this.write(userId, entity, { ...rest, status: 'error', lastError: message }, current?.etag);
    } catch (error) {
      if (!isAppErrorCode(error, 'precondition-failed') && !isAppErrorCode(error, 'conflict')) {
        throw error;
      }
    }
  }

  /**
   * Notes that a run was queued. A row a running sync holds is left alone (the status says
   * "running"; writing would take the run's lease away); losing a race to a writer is fine.
   */
  async markQueued(userId: string, entity: SyncEntity, at: Date): Promise<void> {
    const current = await this.get(userId, entity);
    if (current?.state.lease && Date.parse(current.state.lease.until) > at.getTime()) {
      return;
    }
    const state: SyncState = {
      ...(current?.state ?? { cursors: {}, runs: 0, status: 'idle' as const }),
      queuedAt: at.toISOString(),
    };
    await this.writeIgnoringRaces(userId, entity, state, current?.etag);
  }

  /**
   * A failed run was scheduled again: the status shows it queued, with when and why. A row
   * a running sync holds is left alone, as for markQueued.
   */
  async markRetry(userId: string, entity: SyncEntity, retry: RetryNote, now: Date): Promise<void> {
    const current = await this.get(userId, entity);
    if (current?.state.lease && Date.parse(current.state.lease.until) > now.getTime()) {
      return;
    }
    const state: SyncState = {
      ...(current?.state ?? { cursors: {}, runs: 0, status: 'idle' as const }),
      queuedAt: now.toISOString(),
      retry,
    };
    await this.writeIgnoringRaces(userId, entity, state, current?.etag);
  }

  /**
   * A queued message was handled: clears the mark, and the retry it may have been, unless a
   * later message set it (sessions deliver one user's messages in order, so a newer mark
   * means one is still pending). A run that started cleared it with its lease already; this
   * is for runs that never took one (disabled, not connected). Called after the run, not
   * before: between the two the status would read "idle" with the previous run's result.
   */
  async clearQueued(userId: string, entity: SyncEntity, requestedAt: string, now: Date): Promise<void> {
    const current = await this.get(userId, entity);
    const queuedAt = current?.state.queuedAt;
    if (!current || !queuedAt || Date.parse(queuedAt) > Date.parse(requestedAt)) {
      return;
    }
    const rest = withoutQueued(current.state, now);
    if (rest.queuedAt === undefined) {
      await this.writeIgnoringRaces(userId, entity, rest, current.etag);
    }
  }

  private async writeIgnoringRaces(
    userId: string,
    entity: SyncEntity,
    state: SyncState,
    etag: string | undefined,
  ): Promise<void> {
    try {
      await this.write(userId, entity, state, etag);
    } catch (error) {
      if (!isAppErrorCode(error, 'precondition-failed') && !isAppErrorCode(error, 'conflict')) {
        throw error;
      }
    }
  }

  /** Saves at the ETag held; fails with precondition-failed when the lease was lost meanwhile. */
  async save(userId: string, entity: SyncEntity, leased: Leased): Promise<Leased> {
    return { state: leased.state, etag: await this.write(userId, entity, leased.state, leased.etag) };
  }

  private write(
    userId: string,
    entity: SyncEntity,
    state: SyncState,
    etag: string | undefined,
  ): Promise<string> {
    const row: StateEntity = {
      partitionKey: userId,
      rowKey: stateRow(userId, entity),
      state: JSON.stringify(state),
      status: state.status,
    };
    return writeRow(this.tables, 'syncstate', row, etag, `sync state of user "${userId}" (${entity})`);
  }
}
