import { DistributedCachePlugin, type ICacheClient, type IPartitionManager } from '@azure/msal-node';
import type { SecretBox } from '../crypto/secret-box';
import { isAppErrorCode } from '../errors/app-error';
import { sealedSecret } from '../settings/model';
import type { ConnectionRepository } from '../storage/connection-repository';

/** Another invocation wrote this user's token cache first; the caller reads again and retries. */
export class TokenCacheConflict extends Error {
  override readonly name = 'TokenCacheConflict';
}

const cacheContext = (userId: string) => `connections/${userId}/msalcache`;

/** A serialized MSAL cache, sealed as the user's cache row stores it. */
export const sealTokenCache = (secrets: SecretBox, userId: string, serialized: string): string =>
  JSON.stringify(secrets.seal(serialized, cacheContext(userId)));

/**
 * MSAL's distributed cache over our connections table, one partition per user. The
 * serialized cache is sealed before it is stored, and written back only at the ETag it
 * was read at: two concurrent refreshes for one user cannot interleave their writes.
 * One instance serves one invocation (it remembers the ETag it read).
 */
export class TableTokenCache implements ICacheClient, IPartitionManager {
  private etag: string | undefined;

  constructor(
    private readonly userId: string,
    private readonly repository: ConnectionRepository,
    private readonly secrets: SecretBox,
  ) {}

  plugin(): DistributedCachePlugin {
    return new DistributedCachePlugin(this, this);
  }

  // IPartitionManager: the partition is the user this instance was made for.
  getKey(): Promise<string> {
    return Promise.resolve(this.userId);
  }

  extractKey(): Promise<string> {
    return Promise.resolve(this.userId);
  }

  // ICacheClient
  async get(key: string): Promise<string> {
    const row = await this.repository.getCache(key);
    this.etag = row?.etag;
    if (!row) {
      return '';
    }
    return this.secrets.open(sealedSecret.parse(JSON.parse(row.value)), cacheContext(key));
  }

  async set(key: string, value: string): Promise<string> {
    const sealed = sealTokenCache(this.secrets, key, value);
    try {
      this.etag = await this.repository.saveCache(key, sealed, this.etag);
    } catch (error) {
      if (isAppErrorCode(error, 'precondition-failed') || isAppErrorCode(error, 'conflict')) {
        throw new TokenCacheConflict(`The token cache of user "${key}" changed while in use`, {
          cause: error,
        });
      }
      throw error;
    }
    return value;
  }
}
