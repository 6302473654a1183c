import { odata } from '@azure/data-tables';
import { isAppErrorCode } from '../errors/app-error';
import type { SealedSecret } from '../crypto/secret-box';
import { isRestStatus, mapStorageError, readRow, writeRow, type TableStore } from './tables';

/**
 * Oro webhooks of an organization: its signing secret (sealed), and the message ids already
 * taken, so a replayed delivery queues nothing. Rows live in the `subscriptions` table beside
 * the Graph subscriptions (partitions `oro-webhook:<org>` and `oro-webhook-seen:<org>:<bucket>`),
 * whose queries never read them (they filter on their own partitions or RowKey).
 */
const SECRET_ROW = 'secret';
const secretPartition = (organizationId: string) => `oro-webhook:${organizationId}`;
const seenPartition = (organizationId: string, bucket: number) =>
  `oro-webhook-seen:${organizationId}:${String(bucket).padStart(12, '0')}`;

type SecretEntity = { partitionKey: string; rowKey: string; sealed: string; createdAt: string };
type SeenEntity = { partitionKey: string; rowKey: string; at: string };

export interface StoredWebhookSecret {
  sealed: SealedSecret;
  createdAt: string;
}

export class OroWebhookRepository {
  constructor(private readonly tables: TableStore) {}

  private get table() {
    return this.tables.client('subscriptions');
  }

  async secret(organizationId: string): Promise<StoredWebhookSecret | undefined> {
    const row = await readRow<SecretEntity>(
      this.tables,
      'subscriptions',
      secretPartition(organizationId),
      SECRET_ROW,
    );
    return row && { sealed: JSON.parse(row.sealed) as SealedSecret, createdAt: row.createdAt };
  }

  /** Sets (or replaces: a rotation) the organization's secret. */
  async saveSecret(organizationId: string, value: StoredWebhookSecret): Promise<void> {
    await this.tables.ready();
    await this.table.upsertEntity<SecretEntity>(
      {
        partitionKey: secretPartition(organizationId),
        rowKey: SECRET_ROW,
        sealed: JSON.stringify(value.sealed),
        createdAt: value.createdAt,
      },
      'Replace',
    );
  }

  async removeSecret(organizationId: string): Promise<boolean> {
    await this.tables.ready();
    try {
      await this.table.deleteEntity(secretPartition(organizationId), SECRET_ROW);
      return true;
    } catch (error) {
      if (isRestStatus(error, 404)) {
        return false;
      }
      return mapStorageError(error, `the Oro webhook secret of organization "${organizationId}"`);
    }
  }

  /**
   * Takes a message id once: false when it was taken already (a replay). `bucket` is the
   * message's own (signed) time divided by the replay window, so a replay lands in the same
   * partition, and whole partitions past the window are purged.
   */
  async take(organizationId: string, bucket: number, messageId: string, now: Date): Promise<boolean> {
    try {
      await writeRow<SeenEntity>(
        this.tables,
        'subscriptions',
        { partitionKey: seenPartition(organizationId, bucket), rowKey: messageId, at: now.toISOString() },
        undefined,
        `Oro webhook message "${messageId}"`,
      );
      return true;
    } catch (error) {
      if (isAppErrorCode(error, 'conflict')) {
        return false;
      }
      throw error;
    }
  }

  /** Gives a message id back (the run could not be queued: Oro's retry must get through). */
  async release(organizationId: string, bucket: number, messageId: string): Promise<void> {
    await this.tables.ready();
    try {
      await this.table.deleteEntity(seenPartition(organizationId, bucket), messageId);
    } catch (error) {
      if (!isRestStatus(error, 404)) {
        mapStorageError(error, `Oro webhook message "${messageId}"`);
      }
    }
  }

  /** Deletes remembered ids whose messages are past the replay window; returns how many. */
  async purgeSeen(before: Date): Promise<number> {
    await this.tables.ready();
    let removed = 0;
    const rows = this.table.listEntities<SeenEntity>({
      queryOptions: {
        filter: odata`PartitionKey ge ${'oro-webhook-seen:'} and PartitionKey lt ${'oro-webhook-seen;'} and at lt ${before.toISOString()}`,
        select: ['PartitionKey', 'RowKey'],
      },
    });
    for await (const row of rows) {
      try {
        await this.table.deleteEntity(row.partitionKey, row.rowKey);
        removed++;
      } catch (error) {
        if (!isRestStatus(error, 404)) {
          mapStorageError(error, 'a remembered Oro webhook message');
        }
      }
    }
    return removed;
  }
}
