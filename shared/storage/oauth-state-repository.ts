import { createHash } from 'node:crypto';
import { odata } from '@azure/data-tables';
import { isRestStatus, type TableStore } from './tables';

/** A pending sign-in: who started it, the PKCE verifier (sealed) and when it lapses. */
export interface PendingSignIn {
  userId: string;
  sealedVerifier: string;
  expiresAt: string;
}

interface StateEntity extends PendingSignIn {
  partitionKey: string;
  rowKey: string;
}

/** Rows are keyed by a hash of the state, so the table alone never yields a usable state. */
const keyOf = (state: string): string => createHash('sha256').update(state).digest('hex');
const ROW = 'state';

export type ConsumeOutcome = { ok: true; pending: PendingSignIn } | { ok: false; reason: 'unknown' | 'used' };

export class OAuthStateRepository {
  constructor(private readonly tables: TableStore) {}

  private get table() {
    return this.tables.client('oauthstate');
  }

  async save(state: string, pending: PendingSignIn): Promise<void> {
    await this.tables.ready();
    await this.table.createEntity<StateEntity>({ partitionKey: keyOf(state), rowKey: ROW, ...pending });
  }

  /**
   * Removes sign-ins that were started and never finished, once they lapsed. Each row is its
   * own partition, so each is deleted on its own, at the ETag read. Returns how many went.
   */
  async deleteExpired(now: Date): Promise<number> {
    await this.tables.ready();
    let deleted = 0;
    // ISO instants in one format compare as strings.
    const expired = this.table.listEntities<StateEntity>({
      queryOptions: { filter: odata`expiresAt lt ${now.toISOString()}` },
    });
    for await (const row of expired) {
      try {
        await this.table.deleteEntity(row.partitionKey, row.rowKey, { etag: row.etag });
        deleted++;
      } catch (error) {
        // Consumed by its callback meanwhile: gone either way.
        if (!isRestStatus(error, 404) && !isRestStatus(error, 412)) {
          throw error;
        }
      }
    }
    return deleted;
  }

  /**
   * Reads and deletes the state at the ETag read: of two requests with the same state,
   * exactly one gets it.
   */
  async consume(state: string): Promise<ConsumeOutcome> {
    await this.tables.ready();
    let entity: StateEntity & { etag: string };
    try {
      entity = await this.table.getEntity<StateEntity>(keyOf(state), ROW);
    } catch (error) {
      if (isRestStatus(error, 404)) {
        return { ok: false, reason: 'unknown' };
      }
      throw error;
    }
    try {
      await this.table.deleteEntity(keyOf(state), ROW, { etag: entity.etag });
    } catch (error) {
      if (isRestStatus(error, 404) || isRestStatus(error, 412)) {
        return { ok: false, reason: 'used' };
      }
      throw error;
    }
    return {
      ok: true,
      pending: { userId: entity.userId, sealedVerifier: entity.sealedVerifier, expiresAt: entity.expiresAt },
    };
  }
}
