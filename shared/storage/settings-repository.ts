import { odata } from '@azure/data-tables';
import { AppError } from '../errors/app-error';
import type { Level } from '../settings/schema';
import { storedOverrides, type StoredOverrides } from '../settings/model';
import { isRestStatus, mapStorageError, readRow, writeRow, type TableStore } from './tables';

/** One level's stored overrides with the ETag they were read at. */
export interface SettingsRecord {
  overrides: StoredOverrides;
  /** Users only: the organization whose settings they inherit. */
  organizationId?: string;
  /**
   * Organizations only: a deletion is checking that no user is left (since this time).
   * A user joining meanwhile sees it and backs out; any write of the row clears it.
   */
  deletingSince?: string;
  etag: string;
  updatedAt: string;
}

export type SettingsData = Pick<SettingsRecord, 'overrides' | 'organizationId' | 'deletingSince'>;

interface SettingsEntity {
  partitionKey: string;
  rowKey: string;
  overrides: string;
  organizationId?: string;
  deletingSince?: string;
  updatedAt: string;
}

export const GLOBAL_ID = 'global';

/**
 * Settings rows: PartitionKey = level, RowKey = id ("global" for the global level).
 * Every write is conditional on the ETag read (or on absence, for creates).
 */
export class SettingsRepository {
  constructor(private readonly tables: TableStore) {}

  private get table() {
    return this.tables.client('settings');
  }

  async get(level: Level, id: string): Promise<SettingsRecord | undefined> {
    const entity = await readRow<SettingsEntity>(this.tables, 'settings', level, id);
    return entity && toRecord(entity, entity.etag);
  }

  /** Creates the row; fails with `conflict` when it already exists. */
  async create(level: Level, id: string, data: SettingsData): Promise<SettingsRecord> {
    return this.write(level, id, data, undefined);
  }

  /** Replaces the row if it is still at `etag`; fails with `precondition-failed` otherwise. */
  async replace(level: Level, id: string, data: SettingsData, etag: string): Promise<SettingsRecord> {
    return this.write(level, id, data, etag);
  }

  private async write(level: Level, id: string, data: SettingsData, etag: string | undefined) {
    const entity = toEntity(level, id, data);
    return toRecord(
      entity,
      await writeRow(this.tables, 'settings', entity, etag, `${level} settings "${id}"`),
    );
  }

  async delete(level: Level, id: string, etag: string): Promise<void> {
    await this.tables.ready();
    try {
      await this.table.deleteEntity(level, id, { etag });
    } catch (error) {
      mapConditionalWriteError(error, level, id);
    }
  }

  /** The global row and every organization's, in one listing (the schedule timer's read per minute). */
  async listShared(): Promise<{ level: 'global' | 'organization'; id: string; record: SettingsRecord }[]> {
    await this.tables.ready();
    const out: { level: 'global' | 'organization'; id: string; record: SettingsRecord }[] = [];
    for await (const e of this.table.listEntities<SettingsEntity>({
      queryOptions: { filter: odata`PartitionKey eq ${'global'} or PartitionKey eq ${'organization'}` },
    })) {
      const level = e.partitionKey === 'global' ? 'global' : 'organization';
      out.push({ level, id: e.rowKey, record: toRecord(e, e.etag) });
    }
    return out;
  }

  async hasUsersInOrganization(organizationId: string): Promise<boolean> {
    await this.tables.ready();
    const pages = this.table
      .listEntities<Pick<SettingsEntity, 'rowKey'>>({
        queryOptions: {
          filter: odata`PartitionKey eq ${'user'} and organizationId eq ${organizationId}`,
          select: ['RowKey'],
        },
      })
      .byPage({ maxPageSize: 1 });
    const first = await pages.next();
    return !first.done && first.value.length > 0;
  }
}

/** A row that vanished after it was read no longer matches the ETag either. */
function mapConditionalWriteError(error: unknown, level: Level, id: string): never {
  if (isRestStatus(error, 404)) {
    throw new AppError('precondition-failed', `${level} settings "${id}" was deleted meanwhile`);
  }
  return mapStorageError(error, `${level} settings "${id}"`);
}

function toEntity(level: Level, id: string, data: SettingsData): SettingsEntity {
  return {
    partitionKey: level,
    rowKey: id,
    overrides: JSON.stringify(data.overrides),
    ...(data.organizationId === undefined ? {} : { organizationId: data.organizationId }),
    ...(data.deletingSince === undefined ? {} : { deletingSince: data.deletingSince }),
    updatedAt: new Date().toISOString(),
  };
}

function toRecord(entity: SettingsEntity, etag: string): SettingsRecord {
  return {
    overrides: storedOverrides.parse(JSON.parse(entity.overrides)),
    ...(entity.organizationId === undefined ? {} : { organizationId: entity.organizationId }),
    ...(entity.deletingSince === undefined ? {} : { deletingSince: entity.deletingSince }),
    etag,
    updatedAt: entity.updatedAt,
  };
}
