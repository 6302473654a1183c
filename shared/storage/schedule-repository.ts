import { odata, RestError, type TransactionAction } from '@azure/data-tables';
import { AppError } from '../errors/app-error';
import type { SyncEntity } from './sync-state-repository';
import { LegacyScheduleRows } from './schedule-legacy';
import { readCursor, readLayout, writeCursor, type FanOutCursor } from './schedule-meta';
import { checkSlot, DEFAULT_SHARDS, shardOf, shardPartition, type Slot } from './schedule-slots';
import { isRestStatus, readRow, type TableStore } from './tables';

export type { FanOutCursor } from './schedule-meta';
export {
  addMinutes,
  DEFAULT_SHARDS,
  MAX_SHARDS,
  shardOf,
  shardPartition,
  slotOf,
  slotTime,
  type Slot,
} from './schedule-slots';

/**
 * The user's own schedule settings, carried on the rows so the timer reads nothing else:
 * absent fields are inherited from the organization or global level, which the timer
 * reads once per minute for all users.
 */
export interface UserSchedule {
  organizationId?: string;
  intervalMinutes?: number;
  enabled?: boolean;
}

/** A user's entity on the schedule. */
export interface ScheduleEntry extends UserSchedule {
  userId: string;
  entity: SyncEntity;
  slot: Slot;
  /** Bumped by every change a user makes (connect, settings); part of the slot row's key. */
  gen: number;
}

/** A due row as the timer reads it (the slot row is the entry as of its last change). */
export type DueRow = ScheduleEntry;

/** Where a user's entity is scheduled. */
export interface Placement {
  slot: Slot;
  etag: string;
}

/** Entry and slot rows alike (a type, not an interface: transactions take plain records). */
type RowEntity = {
  partitionKey: string;
  rowKey: string;
  userId: string;
  entity: string;
  slot: string;
  gen: number;
  organizationId?: string;
  intervalMinutes?: number;
  enabled?: boolean;
};
const MAX_ATTEMPTS = 5;
/** Three operations per move (delete the slot row, write the next one, update the entry): 33 fit a transaction of 100. */
export const MOVES_PER_TRANSACTION = 33;

const entryKey = (userId: string, entity: string) => `e:${userId}:${entity}`;
const slotKey = (slot: Slot, userId: string, entity: string, gen: number) =>
  `d:${slot}:${userId}:${entity}:${gen}`;
const DUE_FROM = 'd:';
/** Just above every slot row of `through` (":" sorts before ";"). */
const dueUntil = (through: Slot) => `d:${through};`;

/** Called before each request of the timer's shard work with the entities it may touch (pacing). */
export type Pace = (operations: number) => Promise<void>;

/**
 * The schedule index, sharded (docs/scheduling.md). A user's entity lives in one shard
 * partition (`shard-NNN`, by a hash of user and entity) as two rows: its entry
 * (`e:<user>:<entity>`: slot and the user's own schedule settings, for lookups) and its
 * slot row (`d:<slot>:<user>:<entity>:<gen>`: the same data, keyed by due minute, so a
 * shard's due rows are one range read). Both rows change together in one entity group
 * transaction, so they never disagree and no stale row is ever left behind. Transactions
 * delete unconditionally, so the slot row's key carries a generation that every user change
 * bumps: a move made on a row that changed meanwhile deletes a key that is gone and fails
 * as a whole. The shard count is fixed when the schedule is first used (a `meta` row).
 */
export class ScheduleRepository {
  private layout: Promise<number> | undefined;
  /** Rows of the layout before sharding, to migrate. */
  readonly legacy: LegacyScheduleRows;

  constructor(
    private readonly tables: TableStore,
    private readonly options: { shards?: number } = {},
  ) {
    this.legacy = new LegacyScheduleRows(tables);
  }

  private get table() {
    return this.tables.client('schedule');
  }

  /** The schedule's shard count: recorded with the first use, so a later config change cannot strand rows. */
  shards(): Promise<number> {
    this.layout ??= readLayout(this.tables, this.options.shards ?? DEFAULT_SHARDS).catch((error: unknown) => {
      this.layout = undefined;
      throw error;
    });
    return this.layout;
  }

  private async partitionOf(userId: string, entity: SyncEntity): Promise<string> {
    return shardPartition(shardOf(userId, entity, await this.shards()));
  }

  /** The user's entity as scheduled, or undefined when it is not on the schedule. */
  async get(userId: string, entity: SyncEntity): Promise<(ScheduleEntry & Placement) | undefined> {
    const row = await readRow<RowEntity>(
      this.tables,
      'schedule',
      await this.partitionOf(userId, entity),
      entryKey(userId, entity),
    );
    return row && { ...fromEntity(row), etag: row.etag };
  }

  /** Puts the user's entity at `slot` with these settings, wherever it was (connect, reconnect). */
  async place(userId: string, entity: SyncEntity, slot: Slot, values: UserSchedule): Promise<void> {
    checkSlot(slot);
    await this.change(userId, entity, () => ({ slot, values }));
  }

  /**
   * Changes the user's own settings on the rows, in place (the slot stays: a new interval
   * counts from the next slot). False when the entity is not on the schedule.
   */
  async update(userId: string, entity: SyncEntity, values: UserSchedule): Promise<boolean> {
    let scheduled = false;
    await this.change(userId, entity, (current) => {
      scheduled = current !== undefined;
      return current && { slot: current.slot, values };
    });
    return scheduled;
  }

  /** Takes the user's entity off the schedule (disconnect, user deleted). */
  async remove(userId: string, entity: SyncEntity): Promise<void> {
    const partitionKey = await this.partitionOf(userId, entity);
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(userId, entity);
      if (!current) {
        return;
      }
      try {
        await this.table.submitTransaction([
          ['delete', { partitionKey, rowKey: entryKey(userId, entity) }],
          ['delete', { partitionKey, rowKey: slotKey(current.slot, userId, entity, current.gen) }],
        ]);
        return;
      } catch (error) {
        if (!lostRace(error) || attempt >= MAX_ATTEMPTS) {
          throw mapTransactionError(error, `schedule of user "${userId}" (${entity})`);
        }
      }
    }
  }

  /**
   * One user change as a transaction: the entry at its ETag, the old slot row deleted (its
   * key is the guard against a concurrent move), the new one written. Retried on a lost race.
   */
  private async change(
    userId: string,
    entity: SyncEntity,
    decide: (current: ScheduleEntry | undefined) => { slot: Slot; values: UserSchedule } | undefined,
  ): Promise<void> {
    await this.tables.ready();
    const partitionKey = await this.partitionOf(userId, entity);
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(userId, entity);
      const next = decide(current);
      if (!next || (current?.slot === next.slot && sameValues(current, next.values))) {
        return;
      }
      const entry: ScheduleEntry = {
        userId,
        entity,
        slot: next.slot,
        gen: (current?.gen ?? 0) + 1,
        ...pick(next.values),
      };
      const actions: TransactionAction[] = [];
      actions.push(
        ...(current
          ? ([
              [
                'update',
                toEntity(partitionKey, entryKey(userId, entity), entry),
                'Replace',
                { etag: current.etag },
              ],
              ['delete', { partitionKey, rowKey: slotKey(current.slot, userId, entity, current.gen) }],
            ] satisfies TransactionAction[])
          : ([
              ['create', toEntity(partitionKey, entryKey(userId, entity), entry)],
            ] satisfies TransactionAction[])),
      );
      actions.push(['create', toEntity(partitionKey, slotKey(entry.slot, userId, entity, entry.gen), entry)]);
      try {
        await this.table.submitTransaction(actions);
        return;
      } catch (error) {
        if (!lostRace(error) || attempt >= MAX_ATTEMPTS) {
          throw mapTransactionError(error, `schedule of user "${userId}" (${entity})`);
        }
      }
    }
  }

  /** Puts the user's entity at `slot` unless it is on the schedule already (a migration must not move it back). */
  async placeIfAbsent(userId: string, entity: SyncEntity, slot: Slot, values: UserSchedule): Promise<void> {
    checkSlot(slot);
    await this.change(userId, entity, (current) => (current ? undefined : { slot, values }));
  }

  /**
   * Puts many entities that are not on the schedule yet on it, grouped by shard, 50 to a
   * transaction (a new deployment's or a migration's bulk load, the benchmark's seed).
   * Fails when one of them is already scheduled.
   */
  async insertMany(
    entries: readonly { userId: string; entity: SyncEntity; slot: Slot; values: UserSchedule }[],
  ) {
    await this.tables.ready();
    const byPartition = new Map<string, TransactionAction[]>();
    for (const { userId, entity, slot, values } of entries) {
      checkSlot(slot);
      const partitionKey = await this.partitionOf(userId, entity);
      const entry: ScheduleEntry = { userId, entity, slot, gen: 1, ...pick(values) };
      const actions = byPartition.get(partitionKey) ?? [];
      actions.push(
        ['create', toEntity(partitionKey, entryKey(userId, entity), entry)],
        ['create', toEntity(partitionKey, slotKey(slot, userId, entity, entry.gen), entry)],
      );
      byPartition.set(partitionKey, actions);
    }
    for (const actions of byPartition.values()) {
      for (let i = 0; i < actions.length; i += 100) {
        await this.table.submitTransaction(actions.slice(i, i + 100));
      }
    }
  }

  /** A shard's rows due up to `through` (inclusive), oldest first, a page at a time. */
  async *due(shard: number, through: Slot, pageSize: number, pace?: Pace): AsyncGenerator<DueRow[]> {
    checkSlot(through);
    await this.tables.ready();
    const pages = this.table
      .listEntities<RowEntity>({
        queryOptions: {
          filter: odata`PartitionKey eq ${shardPartition(shard)} and RowKey ge ${DUE_FROM} and RowKey lt ${dueUntil(through)}`,
        },
      })
      .byPage({ maxPageSize: pageSize });
    for (;;) {
      await pace?.(pageSize);
      const page = await pages.next();
      if (page.done) {
        return;
      }
      if (page.value.length > 0) {
        yield page.value.map(fromEntity);
      }
    }
  }

  /**
   * Moves due rows of one shard on, `MOVES_PER_TRANSACTION` to a transaction (slot row
   * deleted, next slot row written, entry updated). Returns, per move, whether it happened:
   * false when a user changed that row meanwhile (their change stands; re-read and decide again).
   */
  async moveMany(
    shard: number,
    moves: readonly { row: DueRow; to: Slot }[],
    pace?: Pace,
  ): Promise<boolean[]> {
    await this.tables.ready();
    const partitionKey = shardPartition(shard);
    const actionsOf = ({ row, to }: { row: DueRow; to: Slot }): TransactionAction[] => {
      checkSlot(to);
      const next: ScheduleEntry = { ...row, slot: to };
      return [
        ['delete', { partitionKey, rowKey: slotKey(row.slot, row.userId, row.entity, row.gen) }],
        ['upsert', toEntity(partitionKey, slotKey(to, row.userId, row.entity, row.gen), next), 'Replace'],
        ['upsert', toEntity(partitionKey, entryKey(row.userId, row.entity), next), 'Replace'],
      ];
    };
    const done: boolean[] = [];
    for (let i = 0; i < moves.length; i += MOVES_PER_TRANSACTION) {
      const group = moves.slice(i, i + MOVES_PER_TRANSACTION);
      const actions = group.flatMap(actionsOf);
      await pace?.(actions.length);
      try {
        await this.table.submitTransaction(actions);
        done.push(...group.map(() => true));
        continue;
      } catch (error) {
        if (!lostRace(error)) {
          throw error;
        }
      }
      // One row changed meanwhile fails its whole transaction: the others one by one.
      for (const move of group) {
        const single = actionsOf(move);
        await pace?.(single.length);
        try {
          await this.table.submitTransaction(single);
          done.push(true);
        } catch (error) {
          if (!lostRace(error)) {
            throw error;
          }
          done.push(false);
        }
      }
    }
    return done;
  }

  cursor(): Promise<FanOutCursor> {
    return readCursor(this.tables);
  }

  /** Writes the cursor at the ETag read (none: creates it); precondition-failed / conflict when another run wrote first. */
  saveCursor(cursor: FanOutCursor): Promise<FanOutCursor> {
    return writeCursor(this.tables, cursor);
  }
}

const pick = (v: UserSchedule): UserSchedule => ({
  ...(v.organizationId !== undefined ? { organizationId: v.organizationId } : {}),
  ...(v.intervalMinutes !== undefined ? { intervalMinutes: v.intervalMinutes } : {}),
  ...(v.enabled !== undefined ? { enabled: v.enabled } : {}),
});

const sameValues = (a: UserSchedule, b: UserSchedule): boolean =>
  a.organizationId === b.organizationId && a.intervalMinutes === b.intervalMinutes && a.enabled === b.enabled;

function toEntity(partitionKey: string, rowKey: string, e: ScheduleEntry): RowEntity {
  return { partitionKey, rowKey, userId: e.userId, entity: e.entity, slot: e.slot, gen: e.gen, ...pick(e) };
}

function fromEntity(e: RowEntity): ScheduleEntry {
  if (e.entity !== 'calendar' && e.entity !== 'tasks') {
    throw new AppError('validation', `schedule row ${e.rowKey} names an unknown entity "${e.entity}"`);
  }
  return {
    userId: e.userId,
    entity: e.entity,
    slot: e.slot,
    gen: Number(e.gen),
    ...pick({
      ...(typeof e.organizationId === 'string' ? { organizationId: e.organizationId } : {}),
      ...(typeof e.intervalMinutes === 'number' ? { intervalMinutes: e.intervalMinutes } : {}),
      ...(typeof e.enabled === 'boolean' ? { enabled: e.enabled } : {}),
    }),
  };
}

/** A transaction that failed because a row it names changed, vanished or appeared meanwhile. */
const lostRace = (error: unknown): boolean =>
  isRestStatus(error, 404) || isRestStatus(error, 409) || isRestStatus(error, 412);

function mapTransactionError(error: unknown, what: string): unknown {
  if (error instanceof RestError && lostRace(error)) {
    return new AppError('precondition-failed', `${what} kept changing; try again`, { cause: error });
  }
  return error;
}
