import { AppError, isAppErrorCode } from '../errors/app-error';
import { MAX_SHARDS, type Slot } from './schedule-slots';
import { readRow, writeRow, type TableStore } from './tables';

/*
 * The schedule table's own rows: the timer's cursor ("cursor"/"fanout") and the layout
 * ("meta"/"layout": the shard count, recorded on first use).
 */

/** The fan-out's progress: every slot up to `through` was handed to the shards; `lease` claims a run. */
export interface FanOutCursor {
  through?: Slot;
  lease?: { owner: string; until: string };
  etag?: string;
}

interface CursorEntity {
  partitionKey: string;
  rowKey: string;
  through?: string;
  leaseOwner?: string;
  leaseUntil?: string;
}
interface LayoutEntity {
  partitionKey: string;
  rowKey: string;
  shards: number;
}

const CURSOR = { partitionKey: 'cursor', rowKey: 'fanout' } as const;
const LAYOUT = { partitionKey: 'meta', rowKey: 'layout' } as const;

export async function readCursor(tables: TableStore): Promise<FanOutCursor> {
  const row = await readRow<CursorEntity>(tables, 'schedule', CURSOR.partitionKey, CURSOR.rowKey);
  if (!row) {
    return {};
  }
  return {
    ...(row.through ? { through: row.through } : {}),
    ...(row.leaseOwner && row.leaseUntil ? { lease: { owner: row.leaseOwner, until: row.leaseUntil } } : {}),
    etag: row.etag,
  };
}

/** Writes the cursor at the ETag read (none: creates it); precondition-failed / conflict when another run wrote first. */
export async function writeCursor(tables: TableStore, cursor: FanOutCursor): Promise<FanOutCursor> {
  const { etag: read, ...value } = cursor;
  const etag = await writeRow<CursorEntity>(
    tables,
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

/** The schedule's shard count: the recorded one, or `configured` recorded now (first use). */
export async function readLayout(tables: TableStore, configured: number): Promise<number> {
  const existing = await readRow<LayoutEntity>(tables, 'schedule', LAYOUT.partitionKey, LAYOUT.rowKey);
  if (existing) {
    return existing.shards;
  }
  const shards = configured;
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
    throw new AppError('validation', `a schedule needs 1 to ${MAX_SHARDS} shards, not ${shards}`);
  }
  try {
    await writeRow<LayoutEntity>(tables, 'schedule', { ...LAYOUT, shards }, undefined, 'schedule layout');
    return shards;
  } catch (error) {
    if (!isAppErrorCode(error, 'conflict')) {
      throw error;
    }
    const raced = await readRow<LayoutEntity>(tables, 'schedule', LAYOUT.partitionKey, LAYOUT.rowKey);
    if (!raced) {
      throw error;
    }
    return raced.shards;
  }
}
