import { createHash } from 'node:crypto';
import { z } from 'zod';
import { EMPTY_ROW, type BudgetRow } from '../budget/allocation';
import { isRestStatus, type TableStore } from './tables';

const ROW_KEY = 'budget';

const holderEntry = z.object({
  held: z.number().int().min(0),
  want: z.number().int().min(0),
  max: z.number().int().min(1),
  until: z.number(),
});
const holders = z.record(z.string(), holderEntry);

interface StoredBudget {
  partitionKey: string;
  rowKey: string;
  /** What the budget is for, in words (an Oro base URL, a mailbox), for whoever reads the table. */
  scope: string;
  holders: string;
  limit?: number;
  ceiling?: number;
  cutAt: number;
  raisedAt: number;
  slowUntil: number;
}

/** A row as read, with the ETag to write it back at (undefined: no row yet). */
export interface BudgetRead {
  row: BudgetRow;
  etag: string | undefined;
}

/** The budget's key: a hash of its scope, since a base URL holds characters a key may not. */
export const budgetKey = (scope: string): string =>
  `b-${createHash('sha256').update(scope).digest('base64url').slice(0, 32)}`;

/**
 * The `budgets` table: one row per budget, read and written whole at its ETag. A lost race
 * answers undefined so the caller reads again and decides afresh.
 */
export class BudgetRepository {
  constructor(private readonly tables: TableStore) {}

  async read(scope: string): Promise<BudgetRead> {
    await this.tables.ready();
    try {
      const e = await this.tables.client('budgets').getEntity<StoredBudget>(budgetKey(scope), ROW_KEY);
      const parsed = holders.safeParse(JSON.parse(e.holders));
      return {
        // A row that does not parse is treated as empty: its holders' leases lapse anyway.
        row: {
          holders: parsed.success ? parsed.data : {},
          ...(typeof e.limit === 'number' ? { limit: e.limit } : {}),
          ...(typeof e.ceiling === 'number' ? { ceiling: e.ceiling } : {}),
          cutAt: Number(e.cutAt) || 0,
          raisedAt: Number(e.raisedAt) || 0,
          slowUntil: Number(e.slowUntil) || 0,
        },
        etag: e.etag,
      };
    } catch (error) {
      if (isRestStatus(error, 404)) {
        return { row: EMPTY_ROW, etag: undefined };
      }
      throw error;
    }
  }

  /** Writes at `etag` (create when undefined); the new ETag, or undefined when another writer won. */
  async write(scope: string, row: BudgetRow, etag: string | undefined): Promise<string | undefined> {
    const entity: StoredBudget = {
      partitionKey: budgetKey(scope),
      rowKey: ROW_KEY,
      scope,
      holders: JSON.stringify(row.holders),
      ...(row.limit === undefined ? {} : { limit: row.limit }),
      ...(row.ceiling === undefined ? {} : { ceiling: row.ceiling }),
      cutAt: row.cutAt,
      raisedAt: row.raisedAt,
      slowUntil: row.slowUntil,
    };
    await this.tables.ready();
    const table = this.tables.client('budgets');
    try {
      const result = etag
        ? await table.updateEntity(entity, 'Replace', { etag })
        : await table.createEntity(entity);
      return result.etag ?? '';
    } catch (error) {
      if (isRestStatus(error, 412) || isRestStatus(error, 409) || (etag && isRestStatus(error, 404))) {
        return undefined;
      }
      throw error;
    }
  }
}
