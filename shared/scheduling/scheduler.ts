import { randomUUID } from 'node:crypto';
import { isAppErrorCode } from '../errors/app-error';
import type { SyncMessage } from '../messaging/messages';
import type { ScheduleLevels, ShardQueue, ShardWork } from '../messaging/schedule-queue';
import { scheduleMessageId, type OutgoingSync, type SyncQueue } from '../messaging/sync-queue';
import type { Level } from '../settings/schema';
import type { SettingsListener, SettingsService } from '../settings/service';
import {
  addMinutes,
  slotOf,
  slotTime,
  type DueRow,
  type Pace,
  type ScheduleRepository,
  type Slot,
} from '../storage/schedule-repository';
import { SYNC_ENTITIES, type SyncEntity, type SyncStateRepository } from '../storage/sync-state-repository';
import { decide, scheduleLeavesOf, userSchedule } from './cadence';
import { slidingPace } from './pace';

export interface FanOutResult {
  /** Slots this run covered (none when another run holds the cursor, or nothing came due). */
  slots?: { from: Slot; through: Slot };
  /** Another run holds the cursor: this one did nothing. */
  busy: boolean;
  /** Shard work items queued (one per shard). */
  shards: number;
  /** Rows of the layout before sharding moved to the shards by this run. */
  migrated?: number;
}

export interface ShardResult {
  shard: number;
  through: Slot;
  /** Due rows read. */
  read: number;
  enqueued: number;
  /** Due but the entity is disabled: moved on without a run. */
  disabled: number;
  /** Changed by the user meanwhile (connect, disconnect, settings): their change stands. */
  movedMeanwhile: number;
  /** Time spent handing messages to the queue (ms), for the benchmark's messages per second. */
  sendMs: number;
  /** The time budget ran out with rows left: a continuation of this work item was queued. */
  continued: boolean;
}

export interface ManualRequest {
  queued: { entity: SyncEntity; messageId: string; requestedAt: string }[];
  skipped: { entity: SyncEntity; reason: 'disabled' }[];
}

export interface SchedulerDeps {
  schedule: ScheduleRepository;
  settings: SettingsService;
  states: SyncStateRepository;
  queue: SyncQueue;
  /** Where the timer puts one work item per shard. */
  shardQueue: ShardQueue;
  /** Due rows read per page, and so messages per send (default 100). */
  pageSize?: number;
  /** Table operations per second a shard worker makes on its partition (default 800). */
  partitionOpsPerSecond?: number;
  /** The pace of one shard's work (default: a sliding window of partitionOpsPerSecond). */
  paceFor?: (shard: number) => Pace;
  /** Time a work item runs before it queues its continuation (default 60 s, within the 5-minute lock). */
  workBudgetMs?: number;
}

/** A run that dies keeps the cursor this long; the next run after that takes over. */
const LEASE_MS = 2 * 60_000;
/** Before the first run there is no cursor: every slot up to now is due. */
const FIRST_SLOT: Slot = '000000000000';
/** Below Table Storage's 2,000 entities/s per partition and the 1,000 target, with room for users' own reads. */
export const DEFAULT_PARTITION_OPS_PER_SECOND = 800;
/** A shard's work item runs this long at most, then queues its continuation. */
const WORK_BUDGET_MS = 60_000;
/** Rows of the earlier layout read at a time, and the time a timer run spends moving them. */
const LEGACY_PAGE = 200;
const LEGACY_BUDGET_MS = 20_000;
/** A row a user changed while its shard worked on it is decided again at most this often. */
const MAX_ROUNDS = 3;

/**
 * The timer's fan-out and the schedule's lifecycle (docs/scheduling.md). Every minute the
 * timer claims the cursor at its ETag, reads the global and organization settings once,
 * and queues one work item per shard for the minutes since the cursor (a dead timer's
 * minutes are caught up by the next run). A shard worker reads its partition's due rows,
 * which carry the user's own settings, resolves each against the levels in the work item,
 * queues a run per enabled entity (messageId from user, entity and slot: a repeat is a
 * duplicate Service Bus drops) and moves the rows on by their interval, in transactions.
 * Connect, disconnect and every write of a user's settings keep the rows current; an
 * organization or global change reaches every user through the next minute's levels.
 */
export class Scheduler implements SettingsListener {
  constructor(private readonly deps: SchedulerDeps) {}

  async fanOut(now: Date): Promise<FanOutResult> {
    const result: FanOutResult = { busy: false, shards: 0 };
    const through = slotOf(now);
    const cursor = await this.deps.schedule.cursor();
    if (cursor.lease && Date.parse(cursor.lease.until) > now.getTime()) {
      return { ...result, busy: true };
    }
    const from = cursor.through ? addMinutes(cursor.through, 1) : FIRST_SLOT;
    if (from > through) {
      return result;
    }
    let claimed;
    try {
      claimed = await this.deps.schedule.saveCursor({
        ...cursor,
        lease: { owner: randomUUID(), until: new Date(now.getTime() + LEASE_MS).toISOString() },
      });
    } catch (error) {
      if (isAppErrorCode(error, 'precondition-failed') || isAppErrorCode(error, 'conflict')) {
        return { ...result, busy: true };
      }
      throw error;
    }
    const [shards, levels] = await Promise.all([this.deps.schedule.shards(), this.levels()]);
    const work: ShardWork[] = Array.from({ length: shards }, (_, shard) => ({
      shard,
      through,
      requestedAt: now.toISOString(),
      levels,
    }));
    await this.deps.shardQueue.send(work);
    // Advanced only once every shard has its work: a run that dies before leaves the cursor,
    // and the next run (after the lease) queues the same minutes again (ids: duplicates).
    const { lease: _released, ...rest } = claimed;
    await this.deps.schedule.saveCursor({ ...rest, through });
    // After the minute is safely handed over: a few rows of the earlier layout each run.
    const migrated = await this.migrateLegacy();
    return { busy: false, shards, slots: { from, through }, ...(migrated > 0 ? { migrated } : {}) };
  }

  /**
   * Moves rows of the layout before sharding (a partition per minute, a pointer per user) to
   * the shards, for up to `budgetMs` per timer run, at their slot (one that has passed comes
   * due with the next work item, on its cadence). An entity on the new schedule already
   * (reconnected since the upgrade) is left there.
   */
  async migrateLegacy(budgetMs = LEGACY_BUDGET_MS): Promise<number> {
    const started = performance.now();
    let migrated = 0;
    while (performance.now() - started < budgetMs) {
      const legacy = await this.deps.schedule.legacy.pointers(LEGACY_PAGE);
      if (legacy.length === 0) {
        break;
      }
      await eachLimited(legacy, 16, async ({ userId, entity, slot }) => {
        const user = await this.deps.settings.userLevel(userId);
        if (user) {
          await this.deps.schedule.placeIfAbsent(userId, entity, slot, userSchedule(user, entity));
        }
        await this.deps.schedule.legacy.drop(userId, entity, slot);
      });
      migrated += legacy.length;
    }
    return migrated;
  }

  /** One shard's due rows up to the work item's minute: runs queued, rows moved on. */
  async runShard(work: ShardWork, now: Date): Promise<ShardResult> {
    const result: ShardResult = {
      shard: work.shard,
      through: work.through,
      read: 0,
      enqueued: 0,
      disabled: 0,
      movedMeanwhile: 0,
      sendMs: 0,
      continued: false,
    };
    const started = performance.now();
    const pace =
      this.deps.paceFor?.(work.shard) ??
      slidingPace(this.deps.partitionOpsPerSecond ?? DEFAULT_PARTITION_OPS_PER_SECOND);
    const sent = new Set<string>();
    for await (const page of this.deps.schedule.due(
      work.shard,
      work.through,
      this.deps.pageSize ?? 100,
      pace,
    )) {
      result.read += page.length;
      await this.handle(work, page, now, pace, sent, result);
      // A long backlog (a timer dead for hours) goes on in a new work item: no run outlives
      // its message lock. Handled rows have moved on, so the continuation reads the rest.
      if (performance.now() - started >= (this.deps.workBudgetMs ?? WORK_BUDGET_MS)) {
        await this.deps.shardQueue.send([{ ...work, part: (work.part ?? 0) + 1 }]);
        result.continued = true;
        break;
      }
    }
    return result;
  }

  private async handle(
    work: ShardWork,
    rows: readonly DueRow[],
    now: Date,
    pace: Pace,
    sent: Set<string>,
    result: ShardResult,
  ): Promise<void> {
    let pending = rows;
    for (let round = 1; pending.length > 0; round++) {
      const decided = pending.map((row) => ({ row, ...decide(row, work) }));
      const messages: OutgoingSync[] = [];
      for (const d of decided) {
        const messageId = scheduleMessageId(d.row.userId, d.row.entity, d.row.slot);
        if (d.enabled && !sent.has(messageId)) {
          const body: SyncMessage = {
            userId: d.row.userId,
            entity: d.row.entity,
            reason: 'schedule',
            requestedAt: now.toISOString(),
          };
          messages.push({ body, messageId });
          sent.add(messageId);
        }
      }
      if (messages.length > 0) {
        const sending = performance.now();
        await this.deps.queue.send(messages);
        result.sendMs += performance.now() - sending;
        result.enqueued += messages.length;
      }
      // Rows move on only after the send: a worker that dies before leaves them due, and the
      // next work item sends the same messageIds (dropped as duplicates if they got through).
      const moved = await this.deps.schedule.moveMany(
        work.shard,
        decided.map((d) => ({ row: d.row, to: d.next })),
        pace,
      );
      const raced: DueRow[] = [];
      decided.forEach((d, i) => {
        if (moved[i]) {
          result.disabled += d.enabled ? 0 : 1;
        } else {
          raced.push(d.row);
        }
      });
      // A user changed these meanwhile: moved or removed stands; changed in place is decided again.
      const again: DueRow[] = [];
      for (const row of raced) {
        await pace(1);
        const current = await this.deps.schedule.get(row.userId, row.entity);
        if (current && current.slot <= work.through && round < MAX_ROUNDS) {
          const { etag: _etag, ...entry } = current;
          again.push(entry);
        } else {
          result.movedMeanwhile++;
        }
      }
      pending = again;
    }
  }

  /** The global and organization levels of the schedule's settings, as the shards get them. */
  private async levels(): Promise<ScheduleLevels> {
    const { global, organizations } = await this.deps.settings.sharedLevels();
    const out: ScheduleLevels = {
      global: {
        syncIntervalMinutes: Number(global.syncIntervalMinutes.value),
        'calendar.enabled': global['calendar.enabled'].value === true,
        'tasks.enabled': global['tasks.enabled'].value === true,
      },
      organizations: {},
    };
    for (const [id, flat] of organizations) {
      const leaves = scheduleLeavesOf(flat);
      if (Object.keys(leaves).length > 0) {
        out.organizations[id] = leaves;
      }
    }
    return out;
  }

  /**
   * "Sync now": one queued run per enabled entity, each with its own messageId (a new
   * request is never a duplicate of an earlier one). Disabled entities are named, not queued.
   */
  async requestNow(
    userId: string,
    entities: readonly SyncEntity[],
    options: { confirmMassDelete?: boolean },
    now: Date,
  ): Promise<ManualRequest> {
    const { resolved } = await this.deps.settings.resolveUser(userId);
    const out: ManualRequest = { queued: [], skipped: [] };
    const messages: OutgoingSync[] = [];
    for (const entity of entities) {
      if (resolved[`${entity}.enabled`].value !== true) {
        out.skipped.push({ entity, reason: 'disabled' });
        continue;
      }
      const body: SyncMessage = {
        userId,
        entity,
        reason: 'manual',
        requestedAt: now.toISOString(),
        ...(options.confirmMassDelete ? { confirmMassDelete: true } : {}),
      };
      const messageId = `manual:${userId}:${entity}:${randomUUID()}`;
      messages.push({ body, messageId });
      out.queued.push({ entity, messageId, requestedAt: body.requestedAt });
    }
    for (const m of messages) {
      await this.deps.states.markQueued(userId, m.body.entity, now);
    }
    if (messages.length > 0) {
      await this.deps.queue.send(messages);
    }
    return out;
  }

  /** A user connected: both entities come due at the next minute, carrying the user's own settings. */
  async connected(userId: string, now: Date): Promise<void> {
    const slot = addMinutes(slotOf(now), 1);
    const user = await this.deps.settings.userLevel(userId);
    for (const entity of SYNC_ENTITIES) {
      await this.deps.schedule.place(userId, entity, slot, userSchedule(user, entity));
    }
  }

  /** A user disconnected: off the schedule until the next connect. */
  async disconnected(userId: string): Promise<void> {
    for (const entity of SYNC_ENTITIES) {
      await this.deps.schedule.remove(userId, entity);
    }
  }

  /**
   * A settings level was written or deleted. A user's own settings (and organization) are
   * carried on the user's rows, so they are updated in place: the slot stays, and a new
   * interval counts from it. A deleted user leaves the schedule. Other levels reach the
   * shards through the timer's next read.
   */
  async settingsChanged(level: Level, id: string): Promise<void> {
    if (level !== 'user') {
      return;
    }
    const user = await this.deps.settings.userLevel(id);
    for (const entity of SYNC_ENTITIES) {
      if (user) {
        await this.deps.schedule.update(id, entity, userSchedule(user, entity));
      } else {
        await this.deps.schedule.remove(id, entity);
      }
    }
  }

  /** The next time the user's entity comes due, or null when it is not scheduled. */
  async nextDue(userId: string, entity: SyncEntity): Promise<string | null> {
    const placement = await this.deps.schedule.get(userId, entity);
    return placement ? slotTime(placement.slot).toISOString() : null;
  }
}

async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        await work(items[next++]!);
      }
    }),
  );
}
