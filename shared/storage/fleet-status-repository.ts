import { odata, type TableEntityResult } from '@azure/data-tables';
import { z } from 'zod';
import { validationError } from '../errors/app-error';
import { readRow, type TableStore } from './tables';
import { SYNC_ENTITIES, stateRow, syncState, type SyncEntity } from './sync-state-repository';

/** One user's entity whose last run failed, with the reason. */
export interface FailingSync {
  userId: string;
  organizationId: string | null;
  entity: SyncEntity;
  lastError: string | null;
  lastSyncAt: string | null;
}

export interface FailingSyncPage {
  items: FailingSync[];
  /** Opaque; pass it back for the next page. Null when there is none. */
  continuationToken: string | null;
}

type StateRow = { partitionKey: string; rowKey: string; state: string; status?: string };
type UserRow = { partitionKey: string; rowKey: string; organizationId?: string };

/**
 * Where a page stops: in the error rows of every user, or in the users of one organization,
 * at the next partition and row key of that query (what Table Storage's token holds).
 */
const cursor = z.strictObject({
  by: z.enum(['state', 'organization']),
  nextPartitionKey: z.string().min(1).max(1024),
  nextRowKey: z.string().max(1024).optional(),
});
const storageToken = cursor.omit({ by: true });

/**
 * The fleet view: which users' syncs fail, and why, without opening users one by one.
 * Without an organization it reads only the rows in error (the `status` column, one
 * filtered query a page); for one organization it walks that organization's users (its
 * settings rows) and reads their two state rows each. A page may hold fewer than `limit`
 * items (none, even) and still have a next one: follow the token until it is null.
 */
export class FleetStatusRepository {
  constructor(private readonly tables: TableStore) {}

  async failing(query: {
    organizationId?: string;
    limit: number;
    continuationToken?: string;
  }): Promise<FailingSyncPage> {
    const by = query.organizationId === undefined ? 'state' : 'organization';
    const from = query.continuationToken === undefined ? undefined : decode(query.continuationToken, by);
    await this.tables.ready();
    return query.organizationId === undefined
      ? this.failingEverywhere(query.limit, from)
      : this.failingIn(query.organizationId, query.limit, from);
  }

  private async failingEverywhere(limit: number, from: string | undefined): Promise<FailingSyncPage> {
    const pages = this.tables
      .client('syncstate')
      .listEntities<StateRow>({ queryOptions: { filter: odata`status eq ${'error'}` } })
      .byPage({ maxPageSize: limit, ...(from === undefined ? {} : { continuationToken: from }) });
    const page = await pages.next();
    const rows: Array<TableEntityResult<StateRow>> = page.done ? [] : page.value;
    const organizations = new Map<string, Promise<string | null>>();
    const organizationOf = (userId: string) => {
      let found = organizations.get(userId);
      if (!found) {
        found = readRow<UserRow>(this.tables, 'settings', 'user', userId).then(
          (u) => u?.organizationId ?? null,
        );
        organizations.set(userId, found);
      }
      return found;
    };
    const items = await Promise.all(
      rows.map(async (row) => failing(row, await organizationOf(row.partitionKey))),
    );
    const next = page.done ? undefined : page.value.continuationToken;
    return {
      items: items.filter((i): i is FailingSync => i !== undefined),
      continuationToken: next ? encode('state', next) : null,
    };
  }

  private async failingIn(
    organizationId: string,
    limit: number,
    from: string | undefined,
  ): Promise<FailingSyncPage> {
    const pages = this.tables
      .client('settings')
      .listEntities<UserRow>({
        queryOptions: {
          filter: odata`PartitionKey eq ${'user'} and organizationId eq ${organizationId}`,
          select: ['rowKey'],
        },
      })
      .byPage({ maxPageSize: limit, ...(from === undefined ? {} : { continuationToken: from }) });
    const page = await pages.next();
    const users = page.done ? [] : page.value.map((u) => u.rowKey);
    const items = await Promise.all(
      users.flatMap((userId) =>
        SYNC_ENTITIES.map(async (entity) => {
          const row = await readRow<StateRow>(this.tables, 'syncstate', userId, stateRow(userId, entity));
          return row && failing(row, organizationId);
        }),
      ),
    );
    const next = page.done ? undefined : page.value.continuationToken;
    return {
      items: items.filter((i): i is FailingSync => i !== undefined),
      continuationToken: next ? encode('organization', next) : null,
    };
  }
}

/** The row as a failing sync, or undefined when its state is not an error (or not a state row). */
function failing(row: StateRow, organizationId: string | null): FailingSync | undefined {
  const entity = SYNC_ENTITIES.find((e) => row.rowKey === stateRow(row.partitionKey, e));
  const parsed = syncState.safeParse(safeJson(row.state));
  if (!entity || !parsed.success || parsed.data.status !== 'error') {
    return undefined;
  }
  return {
    userId: row.partitionKey,
    organizationId,
    entity,
    lastError: parsed.data.lastError ?? null,
    lastSyncAt: parsed.data.lastSyncAt ?? null,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Our token: the storage token's keys (checked), and which query it belongs to. */
function encode(by: 'state' | 'organization', token: string): string {
  const keys = storageToken.parse(safeJson(Buffer.from(token, 'base64').toString('utf8')));
  return Buffer.from(JSON.stringify({ by, ...keys })).toString('base64url');
}

/**
 * The storage token for a token of ours. It comes from outside: anything but a token of the
 * same query (forged, truncated, of the other query) is a 400, never handed to the SDK.
 */
function decode(value: string, by: 'state' | 'organization'): string {
  const parsed = cursor.safeParse(safeJson(Buffer.from(value, 'base64url').toString('utf8')));
  if (!parsed.success || parsed.data.by !== by) {
    throw validationError('The continuation token is not one this query returned.', [
      {
        path: 'continuationToken',
        message: 'pass back the continuationToken of the previous page of the same query',
      },
    ]);
  }
  const { by: _by, ...keys } = parsed.data;
  return Buffer.from(JSON.stringify(keys)).toString('base64');
}
