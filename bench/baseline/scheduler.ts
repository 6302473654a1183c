/**
 * The scheduler as it was before sharding (one partition per minute, a pointer row per user,
 * settings, connection and sync state read per due user), kept runnable as the fan-out
 * benchmark's baseline (bench/fanout/baseline.ts). Not used by the application.
 */
import { randomUUID } from 'node:crypto';
import { isAppErrorCode } from '../../shared/errors/app-error';
import type { SyncMessage } from '../../shared/messaging/messages';
import { scheduleMessageId, type OutgoingSync, type SyncQueue } from '../../shared/messaging/sync-queue';
import type { SettingsService, SharedLevels } from '../../shared/settings/service';
import type { ConnectionRepository } from '../../shared/storage/connection-repository';
import {
  addMinutes,
  slotOf,
  slotTime,
  type DueRow,
  type Placement,
  type ScheduleRepository,
  type Slot,
} from './schedule-repository';
import {
  SYNC_ENTITIES,
  type SyncEntity,
  type SyncStateRepository,
} from '../../shared/storage/sync-state-repository';

export const SKIP_REASONS = [
  'stale',
  'unknown-user',
  'not-connected',
  'disabled',
  'moved-meanwhile',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface FanOutResult {
  /** Slots this run covered (none when another run holds the cursor, or nothing came due). */
  slots?: { from: Slot; through: Slot };
  /** Another run holds the cursor: this one did nothing. */
  busy: boolean;
  read: number;
  enqueued: number;
  /** Time spent handing messages to the queue (ms), for the benchmark's messages per second. */
  sendMs: number;
  skipped: Record<SkipReason, number>;
}

export interface ManualRequest {
  queued: { entity: SyncEntity; messageId: string; requestedAt: string }[];
  skipped: { entity: SyncEntity; reason: 'disabled' }[];
}

export interface SchedulerDeps {
  schedule: ScheduleRepository;
  settings: SettingsService;
  connections: ConnectionRepository;
  states: SyncStateRepository;
  queue: SyncQueue;
  /** Rows per page read, and so per batch sent (default 100). */
  pageSize?: number;
  /** Users resolved at once within a page (default 16). */
  concurrency?: number;
}

/** A run that dies keeps the cursor this long; the next run after that takes over. */
const LEASE_MS = 2 * 60_000;
/** Before the first run there is no cursor: every slot up to now is due. */
const FIRST_SLOT: Slot = '000000000000';

interface Move {
  row: DueRow;
  pointerEtag: string;
  to: Slot;
}

interface Due {
  row: DueRow;
  pointer: Placement;
  next: Slot;
  message: OutgoingSync;
}

/**
 * The timer's fan-out and the schedule's lifecycle. A run claims the cursor at its ETag (an
 * overlapping run gets nothing), reads the rows of the slots after the cursor up to now (so
 * a missed minute is caught up; cost follows the due users, not all users), resolves each
 * user's effective settings at that moment and either enqueues a run (messageId from user,
 * entity and slot, so a repeated send is a duplicate Service Bus drops) or only moves the
 * row on. Interval, enabled and connection are all read at due time: a change at any level
 * (user, organization, global) takes effect at the user's next slot, with no fan-out of
 * settings writes to the index.
 */
export class Scheduler {
  constructor(private readonly deps: SchedulerDeps) {}

  async fanOut(now: Date): Promise<FanOutResult> {
    const result: FanOutResult = {
      busy: false,
      read: 0,
      enqueued: 0,
      sendMs: 0,
      skipped: Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>,
    };
    const through = slotOf(now);
    const cursor = await this.deps.schedule.cursor();
    if (cursor.lease && Date.parse(cursor.lease.until) > now.getTime()) {
      return { ...result, busy: true };
    }
    const from = cursor.through ? addMinutes(cursor.through, 1) : FIRST_SLOT;
    if (from > through) {
      return result;
    }
    const owner = randomUUID();
    let claimed;
    try {
      claimed = await this.deps.schedule.saveCursor({
        ...cursor,
        lease: { owner, until: new Date(now.getTime() + LEASE_MS).toISOString() },
      });
    } catch (error) {
      if (isAppErrorCode(error, 'precondition-failed') || isAppErrorCode(error, 'conflict')) {
        return { ...result, busy: true };
      }
      throw error;
    }
    const shared: SharedLevels = new Map();
    const started = performance.now();
    let renewed = started;
    for await (const page of this.deps.schedule.due(from, through, this.deps.pageSize ?? 100)) {
      result.read += page.length;
      await this.processPage(page, through, now, shared, result);
      // A long run keeps its claim; if another run took over meanwhile, this one stops
      // (the other reads the same slots; what this one sent is dropped as duplicates).
      if (performance.now() - renewed > LEASE_MS / 4) {
        renewed = performance.now();
        const until = new Date(now.getTime() + (renewed - started) + LEASE_MS).toISOString();
        claimed = await this.deps.schedule.saveCursor({ ...claimed, lease: { owner, until } });
      }
    }
    // Advanced only after every due row was handled: a run that dies leaves the cursor
    // where it was, and the next run (after the lease) reads the same slots again.
    const { lease: _released, ...rest } = claimed;
    await this.deps.schedule.saveCursor({ ...rest, through });
    return { ...result, slots: { from, through } };
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

  /** A user connected: both entities come due at the next minute. */
  async connected(userId: string, now: Date): Promise<void> {
    const slot = addMinutes(slotOf(now), 1);
    for (const entity of SYNC_ENTITIES) {
      await this.deps.schedule.place(userId, entity, slot);
    }
  }

  /** A user disconnected: off the schedule until the next connect. */
  async disconnected(userId: string): Promise<void> {
    for (const entity of SYNC_ENTITIES) {
      await this.deps.schedule.remove(userId, entity);
    }
  }

  /** The next time the user's entity comes due, or null when it is not scheduled. */
  async nextDue(userId: string, entity: SyncEntity): Promise<string | null> {
    const placement = await this.deps.schedule.get(userId, entity);
    return placement ? slotTime(placement.slot).toISOString() : null;
  }

  private async processPage(
    page: DueRow[],
    through: Slot,
    now: Date,
    shared: SharedLevels,
    result: FanOutResult,
  ): Promise<void> {
    const due: Due[] = [];
    const skipped: { skip: SkipReason; move?: Move }[] = [];
    await eachLimited(page, this.deps.concurrency ?? 16, async (row) => {
      const outcome = await this.decide(row, through, now, shared);
      if ('skip' in outcome) {
        skipped.push(outcome);
      } else {
        due.push(outcome);
      }
    });
    const moves: Move[] = [];
    const reasons: SkipReason[] = [];
    for (const s of skipped) {
      if (s.move) {
        moves.push(s.move);
        reasons.push(s.skip);
      } else {
        result.skipped[s.skip]++;
      }
    }
    // Marked before sending: a run that starts at once clears the mark; one set after
    // the send could outlive the run and show "queued" with nothing pending.
    if (due.length > 0) {
      await eachLimited(due, this.deps.concurrency ?? 16, (d) =>
        this.deps.states.markQueued(d.row.userId, d.row.entity, now),
      );
      const sending = performance.now();
      await this.deps.queue.send(due.map((d) => d.message));
      result.sendMs += performance.now() - sending;
      result.enqueued += due.length;
    }
    // Rows move on only after the send: a run that dies before leaves them due, and the
    // next run sends the same messageIds (dropped as duplicates if they got through).
    const all = [...moves, ...due.map((d) => ({ row: d.row, pointerEtag: d.pointer.etag, to: d.next }))];
    const moved = all.length > 0 ? await this.deps.schedule.moveMany(all) : [];
    moved.forEach((ok, i) => {
      const reason = i < reasons.length ? reasons[i] : undefined;
      if (!ok) {
        result.skipped['moved-meanwhile']++;
      } else if (reason) {
        result.skipped[reason]++;
      }
    });
  }

  private async decide(
    row: DueRow,
    through: Slot,
    now: Date,
    shared: SharedLevels,
  ): Promise<Due | { skip: SkipReason; move?: Move }> {
    const { schedule } = this.deps;
    const pointer = await schedule.get(row.userId, row.entity);
    if (!pointer || pointer.slot !== row.slot) {
      await schedule.dropStale(row);
      return { skip: 'stale' };
    }
    let resolved;
    try {
      ({ resolved } = await this.deps.settings.resolveUser(row.userId, shared));
    } catch (error) {
      if (!isAppErrorCode(error, 'not-found')) {
        throw error;
      }
      await schedule.remove(row.userId, row.entity);
      return { skip: 'unknown-user' };
    }
    const account = await this.deps.connections.getAccount(row.userId);
    if (!account || account.value.status === 'disconnected') {
      await schedule.remove(row.userId, row.entity);
      return { skip: 'not-connected' };
    }
    const next = nextSlot(row.slot, Number(resolved.syncIntervalMinutes.value), through);
    const skip: SkipReason | undefined =
      account.value.status !== 'connected'
        ? 'not-connected'
        : resolved[`${row.entity}.enabled`].value !== true
          ? 'disabled'
          : undefined;
    if (skip) {
      return { skip, move: { row, pointerEtag: pointer.etag, to: next } };
    }
    const body: SyncMessage = {
      userId: row.userId,
      entity: row.entity,
      reason: 'schedule',
      requestedAt: now.toISOString(),
    };
    return {
      row,
      pointer,
      next,
      message: { body, messageId: scheduleMessageId(row.userId, row.entity, row.slot) },
    };
  }
}

/**
 * The first slot after `through` on the user's cadence (due + k × interval): a late run
 * keeps the rhythm and does not fire once per missed interval.
 */
export function nextSlot(due: Slot, intervalMinutes: number, through: Slot): Slot {
  const interval = Math.max(1, Math.floor(intervalMinutes));
  const dueMs = slotTime(due).getTime();
  const late = slotTime(through).getTime() - dueMs;
  const steps = Math.floor(late / (interval * 60_000)) + 1;
  return slotOf(new Date(dueMs + steps * interval * 60_000));
}

async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      await work(items[next++]!);
    }
  });
  await Promise.all(workers);
}
