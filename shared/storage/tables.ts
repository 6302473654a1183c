import {
  RestError,
  TableClient,
  TableServiceClient,
  type TableServiceClientOptions,
} from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { AppError } from '../errors/app-error';

/** Logical table names; a deployment-wide prefix keeps test runs and environments apart. */
export const TABLE_NAMES = [
  'settings',
  'connections',
  'oauthstate',
  'links',
  'syncstate',
  'synclog',
  'schedule',
  'subscriptions',
  /** Shared concurrency budgets: Oro base URLs and mailboxes (shared/budget/). */
  'budgets',
] as const;
export type TableName = (typeof TABLE_NAMES)[number];

export interface TableStore {
  client(name: TableName): TableClient;
  /** Creates every table once per process; safe to call from every invocation. */
  ready(): Promise<void>;
  /** A cheap round trip to storage, for health checks. */
  ping(): Promise<void>;
}

/**
 * Where the tables are: a connection string (Azurite, or an account key), or the table
 * endpoint (`https://<account>.table.core.windows.net`) with an Entra ID token credential,
 * as on Azure where the account allows no shared key.
 */
export type TableConnection = string | { endpoint: string; credential: TokenCredential };

export function createTableStore(connection: TableConnection, prefix: string): TableStore {
  const clients = new Map<TableName, TableClient>();
  let service: TableServiceClient;
  let newClient: (table: string) => TableClient;
  if (typeof connection === 'string') {
    const options: TableServiceClientOptions = { allowInsecureConnection: isLocal(connection) };
    service = TableServiceClient.fromConnectionString(connection, options);
    newClient = (table) => TableClient.fromConnectionString(connection, table, options);
  } else {
    // Bearer tokens go over HTTPS only (the SDK and the service both refuse them over http).
    service = new TableServiceClient(connection.endpoint, connection.credential);
    newClient = (table) => new TableClient(connection.endpoint, table, connection.credential);
  }
  let readyPromise: Promise<void> | undefined;

  const client = (name: TableName): TableClient => {
    let c = clients.get(name);
    if (!c) {
      c = newClient(`${prefix}${name}`);
      clients.set(name, c);
    }
    return c;
  };

  return {
    client,
    ready() {
      readyPromise ??= Promise.all(TABLE_NAMES.map((n) => client(n).createTable())).then(
        () => undefined,
        (error: unknown) => {
          readyPromise = undefined; // let the next call try again
          throw error;
        },
      );
      return readyPromise;
    },
    async ping() {
      const pages = service.listTables().byPage({ maxPageSize: 1 });
      await pages.next();
    },
  };
}

function isLocal(connectionString: string): boolean {
  return (
    connectionString.includes('UseDevelopmentStorage=true') ||
    /Endpoint=http:\/\/(127\.0\.0\.1|localhost)[:/]/i.test(connectionString)
  );
}

/** One row with its ETag, or undefined when it does not exist. */
export async function readRow<T extends object>(
  tables: TableStore,
  name: TableName,
  partitionKey: string,
  rowKey: string,
): Promise<(T & { etag: string }) | undefined> {
  await tables.ready();
  try {
    return await tables.client(name).getEntity<T>(partitionKey, rowKey);
  } catch (error) {
    if (isRestStatus(error, 404)) {
      return undefined;
    }
    throw error;
  }
}

/**
 * Creates the row (no etag: fails with `conflict` if it exists) or replaces it at `etag`
 * (fails with `precondition-failed` if it changed or vanished). Returns the new ETag.
 */
export async function writeRow<T extends { partitionKey: string; rowKey: string }>(
  tables: TableStore,
  name: TableName,
  entity: T,
  etag: string | undefined,
  what: string,
): Promise<string> {
  await tables.ready();
  const table = tables.client(name);
  try {
    const result = etag
      ? await table.updateEntity(entity, 'Replace', { etag })
      : await table.createEntity(entity);
    return result.etag ?? '';
  } catch (error) {
    // A row that vanished after it was read no longer matches the ETag either.
    if (etag && isRestStatus(error, 404)) {
      throw new AppError('precondition-failed', `${what} was deleted meanwhile`);
    }
    return mapStorageError(error, what);
  }
}

export const isRestStatus = (error: unknown, status: number): boolean =>
  error instanceof RestError && error.statusCode === status;

/** Translates the storage outcomes the application reacts to into typed errors; rethrows the rest. */
export function mapStorageError(error: unknown, what: string): never {
  if (isRestStatus(error, 412)) {
    throw new AppError('precondition-failed', `${what} was changed by someone else`);
  }
  if (isRestStatus(error, 409)) {
    throw new AppError('conflict', `${what} already exists`);
  }
  if (isRestStatus(error, 404)) {
    throw new AppError('not-found', `${what} does not exist`);
  }
  throw error;
}
