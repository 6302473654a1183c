import { odata } from '@azure/data-tables';
import type { SyncEntity } from './sync-state-repository';
import { SLOT, type Slot } from './schedule-slots';
import { isRestStatus, type TableStore } from './tables';

/**
 * Rows of the schedule's layout before sharding (a partition per minute, a pointer per user
 * and entity in "user:<id>"), read and deleted while the timer moves them to the shards.
 */
export class LegacyScheduleRows {
  constructor(private readonly tables: TableStore) {}

  private get table() {
    return this.tables.client('schedule');
  }

  /**
   * Up to `limit` rows of the layout before sharding: a pointer per user and entity
   * (PartitionKey "user:<id>", RowKey "<id>:<entity>", its slot), to migrate.
   */
  async pointers(limit: number): Promise<{ userId: string; entity: SyncEntity; slot: Slot }[]> {
    await this.tables.ready();
    const pages = this.table
      .listEntities<{ slot?: string }>({
        queryOptions: { filter: odata`PartitionKey ge ${'user:'} and PartitionKey lt ${'user;'}` },
      })
      .byPage({ maxPageSize: limit });
    const out: { userId: string; entity: SyncEntity; slot: Slot }[] = [];
    for await (const page of pages) {
      for (const e of page) {
        const userId = e.partitionKey!.slice('user:'.length);
        const entity = e.rowKey!.slice(userId.length + 1);
        if (
          (entity === 'calendar' || entity === 'tasks') &&
          typeof e.slot === 'string' &&
          SLOT.test(e.slot)
        ) {
          out.push({ userId, entity, slot: e.slot });
        }
      }
      if (out.length >= limit) {
        break;
      }
    }
    return out;
  }

  /** Deletes a migrated pointer of the earlier layout and its slot row (gone already is fine). */
  async drop(userId: string, entity: SyncEntity, slot: Slot): Promise<void> {
    for (const [partitionKey, rowKey] of [
      [slot, `${userId}:${entity}`],
      [`user:${userId}`, `${userId}:${entity}`],
    ] as const) {
      try {
        await this.table.deleteEntity(partitionKey, rowKey);
      } catch (error) {
        if (!isRestStatus(error, 404)) {
          throw error;
        }
      }
    }
  }
}
