import { randomBytes } from 'node:crypto';
import { odata, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { MAX_BATCH } from './link-repository';
import type { SyncEntity } from './sync-state-repository';
import type { TableStore } from './tables';

export const syncLogEntry = z
  .object({
    time: z.string(),
    entity: z.enum(['calendar', 'tasks']),
    action: z.enum(['create', 'update', 'delete', 'link', 'unlink', 'conflict', 'skip', 'blocked', 'error']),
    direction: z.enum(['oro-to-microsoft', 'microsoft-to-oro', 'none']),
    oroId: z.string().nullable(),
    microsoftId: z.string().nullable(),
    outcome: z.enum(['ok', 'failed', 'skipped']),
    detail: z.string().optional(),
  })
  .meta({ id: 'SyncLogEntry' });
export type SyncLogEntry = z.infer<typeof syncLogEntry>;

/**
 * `entries`: a JSON array of entries of one instant, in the order they were appended (a run
 * logs an item each, most of them in the same millisecond: one row holds many). `entry`:
 * one entry, as rows written before entries were packed hold it.
 */
type LogEntity = { partitionKey: string; rowKey: string; entries?: string; entry?: string };

/** A string property holds 32,768 UTF-16 characters: a row's entries stay under this. */
const ROW_CHARS = 30_000;

/** Newest first: row keys count down from the far future. */
const rowKey = (time: number, seq: number) =>
  `${String(9_999_999_999_999 - time).padStart(13, '0')}-${String(seq).padStart(6, '0')}-${randomBytes(3).toString('hex')}`;

/** Log transactions in flight at once. */
const LOG_CONCURRENCY = 4;

/** How long log entries are kept: long enough to explain last month's surprises. */
export const LOG_RETENTION_DAYS = 30;

/** Recent per-item outcomes, one partition per user, newest first. */
export class SyncLogRepository {
  private seq = 0;

  constructor(private readonly tables: TableStore) {}

  private get table() {
    return this.tables.client('synclog');
  }

  async append(userId: string, entries: readonly SyncLogEntry[]): Promise<void> {
    if (entries.length === 0) {
      return;
    }
    await this.tables.ready();
    // Consecutive entries of the same instant share a row: the rows keep the order of time.
    const rows: { time: number; json: string[]; chars: number }[] = [];
    for (const entry of entries) {
      const json = JSON.stringify(entry);
      const time = Date.parse(entry.time);
      const last = rows.at(-1);
      if (last?.time === time && last.chars + json.length + 1 <= ROW_CHARS) {
        last.json.push(json);
        last.chars += json.length + 1;
      } else {
        rows.push({ time, json: [json], chars: json.length + 2 });
      }
    }
    const actions: TransactionAction[] = rows.map((row) => [
      'create',
      {
        partitionKey: userId,
        rowKey: rowKey(row.time, this.seq++ % 1_000_000),
        entries: `[${row.json.join(',')}]`,
      },
    ]);
    // Rows are distinct: a few transactions go at once.
    let next = 0;
    let stopped = false;
    const worker = async () => {
      for (let i = next; i < actions.length && !stopped; i = next) {
        next += MAX_BATCH;
        await this.table.submitTransaction(actions.slice(i, i + MAX_BATCH)).catch((error: unknown) => {
          stopped = true; // the others start no new transaction; the append fails with this error
          throw error;
        });
      }
    };
    const workers = Math.min(LOG_CONCURRENCY, Math.ceil(actions.length / MAX_BATCH));
    const settled = await Promise.allSettled(Array.from({ length: workers }, worker));
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) {
      throw failed.reason;
    }
    await this.trim(userId, entries[0]!.time);
  }

  /**
   * Drops the user's entries older than the retention. Row keys count down, so the old ones
   * are one key range: usually an empty answer, and the log never grows without bound.
   */
  private async trim(userId: string, now: string): Promise<void> {
    const cutoff = new Date(Date.parse(now) - LOG_RETENTION_DAYS * 86_400_000).toISOString();
    const pages = this.table
      .listEntities<LogEntity>({
        queryOptions: {
          filter: odata`PartitionKey eq ${userId} and RowKey gt ${rowKey(Date.parse(cutoff), 999_999)}`,
          select: ['RowKey'],
        },
      })
      .byPage({ maxPageSize: MAX_BATCH });
    for await (const page of pages) {
      if (page.length === 0) {
        continue;
      }
      await this.table.submitTransaction(
        page.map((e): TransactionAction => ['delete', { partitionKey: userId, rowKey: e.rowKey }]),
      );
    }
  }

  async list(userId: string, options: { entity?: SyncEntity; limit: number }): Promise<SyncLogEntry[]> {
    await this.tables.ready();
    const out: SyncLogEntry[] = [];
    const pages = this.table
      .listEntities<LogEntity>({ queryOptions: { filter: odata`PartitionKey eq ${userId}` } })
      .byPage({ maxPageSize: Math.min(1000, options.limit * 2) });
    for await (const page of pages) {
      for (const e of page) {
        const stored: unknown[] = e.entries
          ? (JSON.parse(e.entries) as unknown[])
          : [JSON.parse(e.entry ?? '')];
        for (const json of stored) {
          const entry = syncLogEntry.parse(json);
          if (!options.entity || entry.entity === options.entity) {
            out.push(entry);
          }
          if (out.length >= options.limit) {
            return out;
          }
        }
      }
    }
    return out;
  }
}
