import type { TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { AppError } from '../errors/app-error';
import { isRestStatus, mapStorageError, readRow, writeRow, type TableStore } from './tables';

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
  /**
   * The account's claim (account-claims.ts) is known to be this user's. Missing on a row
   * written before claims existed: its next use claims the account first.
   */
  claimed: z.literal(true).optional(),
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
const signInRow = (userId: string): string => `signin:${userId}`;
/**
 * The claim of one Microsoft account (MSAL's home account id: object id and tenant) by
 * the one Oro user it is linked to. Its own partition, named with a ":" that user ids
 * (letters, digits, ".", "_", "-") never contain; encoded, since a key takes no "/", "#", "?".
 */
const claimKey = (homeAccountId: string): string =>
  `msaccount:${encodeURIComponent(homeAccountId.toLowerCase())}`;

/** Which Oro user a Microsoft account is linked to, and since when. */
export const accountClaim = z.object({ userId: z.string(), claimedAt: z.string() });
export type AccountClaim = z.infer<typeof accountClaim>;

/** The last sign-in attempt that failed, shown in the connection status until one succeeds. */
export const signInNote = z.object({ at: z.string(), message: z.string() });
export type SignInNote = z.infer<typeof signInNote>;

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

  /**
   * Stores a new sign-in: the account row and the token cache together, in one partition
   * transaction, each at the ETag it was read at (none: created). Either both change or
   * neither does, so a failed or raced sign-in never leaves tokens of one account under
   * the row of another. Fails with precondition-failed or conflict when either changed.
   */
  async replaceConnection(
    userId: string,
    account: StoredAccount,
    accountEtag: string | undefined,
    sealedCache: string,
    cacheEtag: string | undefined,
  ): Promise<void> {
    await this.tables.ready();
    const entity = <T extends { partitionKey: string; rowKey: string }>(
      row: T,
      etag: string | undefined,
    ): TransactionAction => (etag ? ['update', row, 'Replace', { etag }] : ['create', row]);
    try {
      await this.table.submitTransaction([
        entity<AccountEntity>(
          { partitionKey: userId, rowKey: accountRow(userId), account: JSON.stringify(account) },
          accountEtag,
        ),
        entity<CacheEntity>(
          { partitionKey: userId, rowKey: cacheRow(userId), sealed: sealedCache },
          cacheEtag,
        ),
      ]);
    } catch (error) {
      // A transaction reports a failed condition as 412, a create of an existing row as 409,
      // an update of a vanished row as 404: all three mean "changed meanwhile".
      if (isRestStatus(error, 404)) {
        throw new AppError('precondition-failed', `the connection of user "${userId}" was deleted meanwhile`);
      }
      mapStorageError(error, `the connection of user "${userId}"`);
    }
  }

  async getClaim(homeAccountId: string): Promise<Versioned<AccountClaim> | undefined> {
    const key = claimKey(homeAccountId);
    const row = await readRow<{ claim: string }>(this.tables, 'connections', key, key);
    return row && { value: accountClaim.parse(JSON.parse(row.claim)), etag: row.etag };
  }

  /** Creates the claim (no etag: fails with conflict when the account is claimed) or takes it over at etag. */
  saveClaim(homeAccountId: string, claim: AccountClaim, etag?: string): Promise<string> {
    const key = claimKey(homeAccountId);
    return writeRow(
      this.tables,
      'connections',
      { partitionKey: key, rowKey: key, claim: JSON.stringify(claim) },
      etag,
      `the claim of Microsoft account ${homeAccountId}`,
    );
  }

  /** Releases a claim at the ETag read; one changed or gone meanwhile is left alone (false). */
  async deleteClaim(homeAccountId: string, etag: string): Promise<boolean> {
    await this.tables.ready();
    const key = claimKey(homeAccountId);
    try {
      await this.table.deleteEntity(key, key, { etag });
      return true;
    } catch (error) {
      if (isRestStatus(error, 404) || isRestStatus(error, 412)) {
        return false;
      }
      throw error;
    }
  }

  async getSignInNote(userId: string): Promise<Versioned<SignInNote> | undefined> {
    const row = await readRow<{ note: string }>(this.tables, 'connections', userId, signInRow(userId));
    return row && { value: signInNote.parse(JSON.parse(row.note)), etag: row.etag };
  }

  saveSignInNote(userId: string, note: SignInNote, etag?: string): Promise<string> {
    return this.write({ partitionKey: userId, rowKey: signInRow(userId), note: JSON.stringify(note) }, etag);
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
