import { z } from 'zod';
import { isRestStatus, readRow, writeRow, type TableStore } from './tables';

export const CONNECTION_STATUSES = ['connected', 'disconnected', 'reconnect-required'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

/** The Microsoft account a user connected, as stored (no token: those live in the cache row). */
export const storedAccount = z.object({
  status: z.enum(CONNECTION_STATUSES),
  homeAccountId: z.string(),
  username: z.string(),
  displayName: z.string(),
  tenantId: z.string(),
  scopes: z.array(z.string()),
  connectedAt: z.string(),
  /** Why the connection needs the user again (reconnect-required). */
  reason: z.string().optional(),
  updatedAt: z.string(),
});
export type StoredAccount = z.infer<typeof storedAccount>;

export interface Versioned<T> {
  value: T;
  etag: string;
}

/**
 * Row keys carry the user id although the partition already does: Azurite finds rows by
 * RowKey first, so one key shared by every user made its reads and inserts grow with the
 * number of users (Table Storage itself is indifferent).
 */
export const accountRow = (userId: string): string => `account:${userId}`;
const cacheRow = (userId: string): string => `msalcache:${userId}`;

interface AccountEntity {
  partitionKey: string;
  rowKey: string;
  account: string;
}

interface CacheEntity {
  partitionKey: string;
  rowKey: string;
  /** The MSAL token cache, sealed (shared/crypto/secret-box.ts) as JSON. */
  sealed: string;
}

/**
 * Per-user connection rows in one partition (PartitionKey = userId): the account row and
 * the encrypted MSAL token cache row. Separate rows, so a token refresh and a status
 * change never overwrite each other; both always written against the ETag read.
 */
export class ConnectionRepository {
  constructor(private readonly tables: TableStore) {}

  private get table() {
    return this.tables.client('connections');
  }

  async getAccount(userId: string): Promise<Versioned<StoredAccount> | undefined> {
    const entity = await this.read<AccountEntity>(userId, accountRow(userId));
    return entity && { value: storedAccount.parse(JSON.parse(entity.value.account)), etag: entity.etag };
  }

  /** Creates (no etag) or replaces (at etag) the account row. */
  async saveAccount(userId: string, account: StoredAccount, etag?: string): Promise<string> {
    return this.write<AccountEntity>(
      { partitionKey: userId, rowKey: accountRow(userId), account: JSON.stringify(account) },
      etag,
    );
  }

  async getCache(userId: string): Promise<Versioned<string> | undefined> {
    const entity = await this.read<CacheEntity>(userId, cacheRow(userId));
    return entity && { value: entity.value.sealed, etag: entity.etag };
  }

  async saveCache(userId: string, sealed: string, etag?: string): Promise<string> {
    return this.write<CacheEntity>({ partitionKey: userId, rowKey: cacheRow(userId), sealed }, etag);
  }

  /** Removes the tokens; gone already is fine. */
  async deleteCache(userId: string): Promise<void> {
    await this.tables.ready();
    try {
      await this.table.deleteEntity(userId, cacheRow(userId));
    } catch (error) {
      if (!isRestStatus(error, 404)) {
        throw error;
      }
    }
  }

  private async read<T extends object>(userId: string, rowKey: string): Promise<Versioned<T> | undefined> {
    const entity = await readRow<T>(this.tables, 'connections', userId, rowKey);
    return entity && { value: entity, etag: entity.etag };
  }

  private write<T extends { partitionKey: string; rowKey: string }>(
    entity: T,
    etag?: string,
  ): Promise<string> {
    return writeRow(
      this.tables,
      'connections',
      entity,
      etag,
      `connection ${entity.rowKey} of user "${entity.partitionKey}"`,
    );
  }
}
