/**
 * The schedule index as it was before sharding (one partition per minute, a pointer row per user,
 * settings, connection and sync state read per due user), kept runnable as the fan-out
 * benchmark's baseline (bench/fanout/baseline.ts). Not used by the application.
 */
import { odata, type TransactionAction } from '@azure/data-tables';
import { AppError, isAppErrorCode } from '../../shared/errors/app-error';
import type { SyncEntity } from '../../shared/storage/sync-state-repository';
import {
  isRestStatus,
  mapStorageError,
  readRow,
  writeRow,
  type TableStore,
} from '../../shared/storage/tables';

/** A due slot: the UTC minute "yyyyMMddHHmm"; sorts as a string in time order. */
export type Slot = string;
const SLOT = /^\d{12}$/;

export const slotOf = (at: Date): Slot => at.toISOString().slice(0, 16).replace(/[-T:]/g, '');

export function slotTime(slot: Slot): Date {
  if (!SLOT.test(slot)) {
    throw new AppError('validation', `"${slot}" is not a schedule slot`);
  }
  return new Date(
    `${slot.slice(0, 4)}-${slot.slice(4, 6)}-${slot.slice(6, 8)}T${slot.slice(8, 10)}:${slot.slice(10, 12)}:00Z`,
  );
}

export const addMinutes = (slot: Slot, minutes: number): Slot =>
  slotOf(new Date(slotTime(slot).getTime() + minutes * 60_000));

/** A due row as the timer reads it. */
export interface DueRow {
  slot: Slot;
  userId: string;
  entity: SyncEntity;
  etag: string;
}

/** Where a user's entity is scheduled, with the ETag to move it at. */
export interface Placement {
  slot: Slot;
  etag: string;
}

/** The fan-out's progress: every slot up to `through` was processed; `lease` claims a run. */
export interface FanOutCursor {
  through?: Slot;
  lease?: { owner: string; until: string };
  etag?: string;
}

interface SlotEntity {
  partitionKey: Slot;
  rowKey: string;
  userId: string;
  entity: string;
}
interface PointerEntity {
  partitionKey: string;
  rowKey: string;
  slot: Slot;
}
interface CursorEntity {
  partitionKey: string;
  rowKey: string;
  through?: string;
  leaseOwner?: string;
  leaseUntil?: string;
}

const pointerKey = (userId: string) => `user:${userId}`;
/**
 * The row key of a user's entity, in slot rows and pointer rows alike. Unique per row
 * (not just the entity) so lookups stay cheap in Azurite, which finds rows by RowKey first.
 */
const memberKey = (userId: string, entity: string) => `${userId}:${entity}`;
const CURSOR = { partitionKey: 'cursor', rowKey: 'fanout' } as const;
const MAX_ATTEMPTS = 5;

/**
 * The schedule index (DESIGN.md, Storage "schedule"): one row per user and entity in the
 * partition of its due minute, so a timer run reads only the partitions that came due.
 * A pointer row per user and entity ("user:<id>" / "<id>:<entity>") says which slot is current:
 * moving writes the new slot row, then the pointer at its ETag, then deletes the old row,
 * so a crash in between leaves at most a stale row, which the timer recognises (its slot
 * is not the pointer's) and drops. Slot rows are immutable markers; the pointer is the truth.
 * Slot partitions are 12 digits; pointer ("user:…") and cursor partitions sort after them,
 * so a slot range never reads those.
 */
export class ScheduleRepository {
  /** Entities read and operations made, for the benchmark. */
  readonly counts = { read: 0, written: 0 };

  constructor(private readonly tables: TableStore) {}

  private get table() {
    return this.tables.client('schedule');
  }

  async get(userId: string, entity: SyncEntity): Promise<Placement | undefined> {
    this.counts.read++;
    const row = await readRow<PointerEntity>(
      this.tables,
      'schedule',
      pointerKey(userId),
      memberKey(userId, entity),
    );
    return row && { slot: row.slot, etag: row.etag };
  }

  /**
   * Puts the user's entity at `slot`, wherever it was (connect, reconnect). Idempotent;
   * retried over concurrent movers.
   */
  async place(userId: string, entity: SyncEntity, slot: Slot): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(userId, entity);
      if (current?.slot === slot) {
        return;
      }
      try {
        await this.move({ userId, entity, slot: current?.slot }, current?.etag, slot);
        return;
      } catch (error) {
        if (!raced(error) || attempt >= MAX_ATTEMPTS) {
          throw error;
        }
      }
    }
  }

  /**
   * Moves from `from.slot` (the pointer read at `etag`; none when unscheduled) to `to`.
   * Fails with precondition-failed / conflict when someone else moved it meanwhile.
   */
  async move(
    from: { userId: string; entity: SyncEntity; slot: Slot | undefined },
    etag: string | undefined,
    to: Slot,
  ): Promise<void> {
    const { userId, entity } = from;
    await this.insertSlotRow(to, userId, entity);
    this.counts.written++;
    await writeRow<PointerEntity>(
      this.tables,
      'schedule',
      { partitionKey: pointerKey(userId), rowKey: memberKey(userId, entity), slot: to },
      etag,
      `schedule of user "${userId}" (${entity})`,
    );
    if (from.slot !== undefined && from.slot !== to) {
      await this.deleteSlotRow(from.slot, userId, entity);
    }
  }

  /**
   * Moves many due rows on, as `move` does for one, in fewer requests: the new slot rows
   * in one transaction per slot (an upsert: the row is the same whoever writes it), each
   * pointer at its ETag, then the old rows deleted in one transaction per slot. Returns,
   * per move, whether it happened (false: someone moved that one meanwhile; theirs stands,
   * and the new row left behind is dropped as stale when it comes due).
   */
  async moveMany(moves: readonly { row: DueRow; pointerEtag: string; to: Slot }[]): Promise<boolean[]> {
    await this.tables.ready();
    for (const [slot, group] of groupBy(moves, (m) => m.to)) {
      if (!SLOT.test(slot)) {
        throw new AppError('validation', `"${slot}" is not a schedule slot`);
      }
      for (let i = 0; i < group.length; i += 100) {
        this.counts.written++;
        await this.table.submitTransaction(
          group.slice(i, i + 100).map(({ row }): TransactionAction => [
            'upsert',
            {
              partitionKey: slot,
              rowKey: memberKey(row.userId, row.entity),
              userId: row.userId,
              entity: row.entity,
            },
            'Replace',
          ]),
        );
      }
    }
    const moved = await Promise.all(
      moves.map(async ({ row, pointerEtag, to }) => {
        this.counts.written++;
        try {
          await writeRow<PointerEntity>(
            this.tables,
            'schedule',
            { partitionKey: pointerKey(row.userId), rowKey: memberKey(row.userId, row.entity), slot: to },
            pointerEtag,
            `schedule of user "${row.userId}" (${row.entity})`,
          );
          return true;
        } catch (error) {
          if (raced(error)) {
            return false;
          }
          throw error;
        }
      }),
    );
    const done = moves.filter((m, i) => moved[i] && m.row.slot !== m.to);
    for (const [slot, group] of groupBy(done, (m) => m.row.slot)) {
      for (let i = 0; i < group.length; i += 100) {
        const chunk = group.slice(i, i + 100);
        this.counts.written++;
        try {
          await this.table.submitTransaction(
            // Transactions delete unconditionally: fine for immutable markers, whose
            // move the pointer's ETag already guarded.
            chunk.map(({ row }): TransactionAction => [
              'delete',
              { partitionKey: slot, rowKey: memberKey(row.userId, row.entity) },
            ]),
          );
        } catch {
          // One row gone already (a concurrent move) fails the whole transaction: one by one.
          for (const { row } of chunk) {
            await this.deleteSlotRow(slot, row.userId, row.entity, row.etag);
          }
        }
      }
    }
    return moved;
  }

  /** Takes the user off the schedule (disconnect): pointer at its ETag, then the slot row. */
  async remove(userId: string, entity: SyncEntity): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(userId, entity);
      if (!current) {
        return;
      }
      try {
        await this.tables.ready();
        this.counts.written++;
        await this.table.deleteEntity(pointerKey(userId), memberKey(userId, entity), { etag: current.etag });
      } catch (error) {
        if (isRestStatus(error, 404)) {
          return;
        }
        if (isRestStatus(error, 412) && attempt < MAX_ATTEMPTS) {
          continue;
        }
        mapStorageError(error, `schedule of user "${userId}" (${entity})`);
      }
      await this.deleteSlotRow(current.slot, userId, entity);
      return;
    }
  }

  /** A row whose slot is no longer its pointer's (a crash between the steps of a move). */
  async dropStale(row: DueRow): Promise<void> {
    await this.deleteSlotRow(row.slot, row.userId, row.entity, row.etag);
  }

  /** Due rows in slots `from`..`through` (inclusive), oldest first, a page at a time. */
  async *due(from: Slot, through: Slot, pageSize: number): AsyncGenerator<DueRow[]> {
    await this.tables.ready();
    const pages = this.table
      .listEntities<SlotEntity>({
        queryOptions: {
          filter: odata`PartitionKey ge ${from} and PartitionKey le ${through}`,
          select: ['PartitionKey', 'RowKey', 'userId', 'entity'],
        },
      })
      .byPage({ maxPageSize: pageSize });
    for await (const page of pages) {
      const rows: DueRow[] = [];
      for (const e of page) {
        this.counts.read++;
        if (e.entity !== 'calendar' && e.entity !== 'tasks') {
          continue;
        }
        rows.push({ slot: e.partitionKey, userId: e.userId, entity: e.entity, etag: e.etag });
      }
      if (rows.length > 0) {
        yield rows;
      }
    }
  }

  async cursor(): Promise<FanOutCursor> {
    this.counts.read++;
    const row = await readRow<CursorEntity>(this.tables, 'schedule', CURSOR.partitionKey, CURSOR.rowKey);
    if (!row) {
      return {};
    }
    return {
      ...(row.through ? { through: row.through } : {}),
      ...(row.leaseOwner && row.leaseUntil
        ? { lease: { owner: row.leaseOwner, until: row.leaseUntil } }
        : {}),
      etag: row.etag,
    };
  }

  /** Writes the cursor at the ETag read (none: creates it); precondition-failed / conflict when another run wrote first. */
  async saveCursor(cursor: FanOutCursor): Promise<FanOutCursor> {
    this.counts.written++;
    const { etag: read, ...value } = cursor;
    const etag = await writeRow<CursorEntity>(
      this.tables,
      'schedule',
      {
        ...CURSOR,
        ...(value.through ? { through: value.through } : {}),
        ...(value.lease ? { leaseOwner: value.lease.owner, leaseUntil: value.lease.until } : {}),
      },
      read,
      'the schedule cursor',
    );
    return { ...value, etag };
  }

  private async insertSlotRow(slot: Slot, userId: string, entity: SyncEntity): Promise<void> {
    if (!SLOT.test(slot)) {
      throw new AppError('validation', `"${slot}" is not a schedule slot`);
    }
    try {
      await writeRow<SlotEntity>(
        this.tables,
        'schedule',
        { partitionKey: slot, rowKey: memberKey(userId, entity), userId, entity },
        undefined,
        `schedule slot ${slot} of user "${userId}" (${entity})`,
      );
    } catch (error) {
      // Left by an earlier attempt of the same move: the row is what we wanted.
      if (!isAppErrorCode(error, 'conflict')) {
        throw error;
      }
    }
  }

  private async deleteSlotRow(slot: Slot, userId: string, entity: SyncEntity, etag?: string): Promise<void> {
    await this.tables.ready();
    this.counts.written++;
    try {
      await this.table.deleteEntity(slot, memberKey(userId, entity), etag ? { etag } : {});
    } catch (error) {
      if (!isRestStatus(error, 404)) {
        mapStorageError(error, `schedule slot ${slot} of user "${userId}"`);
      }
    }
  }
}

const raced = (error: unknown) =>
  isAppErrorCode(error, 'precondition-failed') || isAppErrorCode(error, 'conflict');

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) {
      group.push(item);
    } else {
      groups.set(k, [item]);
    }
  }
  return groups;
}
