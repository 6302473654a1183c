import { createHash, timingSafeEqual } from 'node:crypto';
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import { AppError, isAppErrorCode } from '../errors/app-error';
import { SYNC_ENTITIES, type SyncEntity } from './sync-state-repository';
import { isRestStatus, mapStorageError, readRow, writeRow, type TableStore } from './tables';

/** A Graph change-notification subscription we created for a user and entity. */
export const storedSubscription = z.object({
  subscriptionId: z.string().min(1),
  userId: z.string().min(1),
  entity: z.enum(SYNC_ENTITIES),
  resource: z.string().min(1),
  /** The To Do list chosen for sync when it was made (tasks.microsoftListId); absent: the default. */
  chosen: z.string().optional(),
  /** ISO 8601 UTC (toISOString), so string order is time order in a table filter. */
  expiresAt: z.string(),
  /** SHA-256 (hex) of the clientState; the clear value exists only at Graph and in its notifications. */
  clientStateHash: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
  /** The Microsoft account (MSAL home account id) whose token created it; absent in older rows. */
  account: z.string().optional(),
  /**
   * Authentic notifications and lifecycle events received, counted up (at the ETag read) before
   * the run they queue: a run records the count it saw before reading Graph, so an equal count
   * later means nothing was notified since (docs/scheduling.md, "Quiet subscriptions").
   */
  notified: z.number().int().nonnegative().default(0),
  /** Set by `reauthorizationRequired` (Graph may hold notifications back) until a renewal succeeds. */
  reauthorizeSince: z.string().optional(),
});
export type StoredSubscription = z.infer<typeof storedSubscription>;
export type NewSubscription = z.input<typeof storedSubscription>;

export interface VersionedSubscription {
  value: StoredSubscription;
  etag: string;
}

const SUBSCRIPTION_ROW = 'subscription';
/** Concurrent notices of one subscription retry this often before the webhook answers 503. */
const NOTICE_ATTEMPTS = 5;
const userPartition = (userId: string) => `user:${userId}`;

type SubscriptionEntity = StoredSubscription & { partitionKey: string; rowKey: string };
type IndexEntity = { partitionKey: string; rowKey: SyncEntity; subscriptionId: string };

export const hashClientState = (clientState: string): string =>
  createHash('sha256').update(clientState, 'utf8').digest('hex');

/** Compares a presented clientState with the stored hash in constant time. */
export function clientStateMatches(storedHash: string, presented: string): boolean {
  const expected = Buffer.from(storedHash, 'hex');
  const actual = Buffer.from(hashClientState(presented), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * Subscriptions by id (PartitionKey = subscription id: a notification costs one point read)
 * and an index per user (PartitionKey `user:<id>`, RowKey = entity: at most one subscription
 * per user and entity, found for renewal and removal with one partition query).
 */
export class SubscriptionRepository {
  constructor(private readonly tables: TableStore) {}

  private get table() {
    return this.tables.client('subscriptions');
  }

  async get(subscriptionId: string): Promise<VersionedSubscription | undefined> {
    const row = await readRow<SubscriptionEntity>(
      this.tables,
      'subscriptions',
      subscriptionId,
      SUBSCRIPTION_ROW,
    );
    return row && { value: toStored(row), etag: row.etag };
  }

  /** The user's subscriptions, per entity. An index row whose subscription row is gone is skipped. */
  async forUser(userId: string): Promise<VersionedSubscription[]> {
    await this.tables.ready();
    const ids: string[] = [];
    const rows = this.table.listEntities<IndexEntity>({
      queryOptions: { filter: odata`PartitionKey eq ${userPartition(userId)}` },
    });
    for await (const row of rows) {
      ids.push(row.subscriptionId);
    }
    const found = await Promise.all(ids.map((id) => this.get(id)));
    return found.filter((s): s is VersionedSubscription => s !== undefined && s.value.userId === userId);
  }

  /**
   * Records a new subscription: its row, then the user's index entry. When the user already
   * has one for that entity (a concurrent ensure won), the new row is taken back and
   * `conflict` is thrown, so the caller deletes its Graph subscription.
   */
  async add(subscription: NewSubscription): Promise<VersionedSubscription> {
    const value = storedSubscription.parse(subscription);
    const etag = await writeRow<SubscriptionEntity>(
      this.tables,
      'subscriptions',
      { partitionKey: value.subscriptionId, rowKey: SUBSCRIPTION_ROW, ...value },
      undefined,
      `subscription "${value.subscriptionId}"`,
    );
    try {
      await writeRow<IndexEntity>(
        this.tables,
        'subscriptions',
        {
          partitionKey: userPartition(value.userId),
          rowKey: value.entity,
          subscriptionId: value.subscriptionId,
        },
        undefined,
        `${value.entity} subscription of user "${value.userId}"`,
      );
    } catch (error) {
      await this.deleteRow(value.subscriptionId, SUBSCRIPTION_ROW, etag);
      throw error;
    }
    return { value, etag };
  }

  /** The user's subscription of one entity: the index entry, then the row (two point reads). */
  async forEntity(userId: string, entity: SyncEntity): Promise<VersionedSubscription | undefined> {
    const index = await readRow<IndexEntity>(this.tables, 'subscriptions', userPartition(userId), entity);
    const sub = index && (await this.get(index.subscriptionId));
    return sub && sub.value.userId === userId && sub.value.entity === entity ? sub : undefined;
  }

  /**
   * Counts a notification or lifecycle event of the subscription (`reauthorize`: Graph asked
   * for a renewal, so it vouches for nothing until one succeeds). Read and written at its ETag,
   * again while another write wins; undefined when the subscription is gone.
   */
  async notice(
    subscriptionId: string,
    options: { reauthorize?: Date } = {},
  ): Promise<VersionedSubscription | undefined> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(subscriptionId);
      if (!current) {
        return undefined;
      }
      const value: StoredSubscription = {
        ...current.value,
        notified: current.value.notified + 1,
        ...(options.reauthorize ? { reauthorizeSince: options.reauthorize.toISOString() } : {}),
      };
      try {
        return { value, etag: await this.write(value, current.etag) };
      } catch (error) {
        if (!isAppErrorCode(error, 'precondition-failed') || attempt >= NOTICE_ATTEMPTS) {
          throw error;
        }
      }
    }
  }

  /** A new expiry, at the ETag read (precondition-failed when it changed or vanished meanwhile). */
  async renewed(current: VersionedSubscription, expiresAt: Date): Promise<VersionedSubscription> {
    // A renewal that succeeded answers Graph's reauthorizationRequired.
    const { reauthorizeSince: _answered, ...rest } = current.value;
    const value: StoredSubscription = { ...rest, expiresAt: expiresAt.toISOString() };
    return { value, etag: await this.write(value, current.etag) };
  }

  private async write(value: StoredSubscription, etag: string): Promise<string> {
    return writeRow<SubscriptionEntity>(
      this.tables,
      'subscriptions',
      {
        partitionKey: value.subscriptionId,
        rowKey: SUBSCRIPTION_ROW,
        // An absent optional field is no column (the table client refuses undefined).
        ...(Object.fromEntries(
          Object.entries(value).filter(([, v]) => v !== undefined),
        ) as StoredSubscription),
      },
      etag,
      `subscription "${value.subscriptionId}"`,
    );
  }

  /**
   * Forgets a subscription: the user's index entry when it still points at it, then its row
   * at the ETag read. Already gone is fine; a row changed meanwhile is precondition-failed.
   */
  async remove(current: VersionedSubscription): Promise<void> {
    const { userId, entity, subscriptionId } = current.value;
    const index = await readRow<IndexEntity>(this.tables, 'subscriptions', userPartition(userId), entity);
    if (index?.subscriptionId === subscriptionId) {
      await this.deleteRow(userPartition(userId), entity, index.etag);
    }
    await this.deleteRow(subscriptionId, SUBSCRIPTION_ROW, current.etag);
  }

  /** Subscriptions that expire at or before `cutoff`, oldest first. */
  async expiringBy(cutoff: Date, limit = 1000): Promise<VersionedSubscription[]> {
    await this.tables.ready();
    const out: VersionedSubscription[] = [];
    const rows = this.table.listEntities<SubscriptionEntity>({
      queryOptions: {
        filter: odata`RowKey eq ${SUBSCRIPTION_ROW} and expiresAt le ${cutoff.toISOString()}`,
      },
    });
    for await (const row of rows) {
      out.push({ value: toStored(row), etag: row.etag ?? '' });
      if (out.length >= limit) {
        break;
      }
    }
    return out.sort((a, b) => a.value.expiresAt.localeCompare(b.value.expiresAt));
  }

  private async deleteRow(partitionKey: string, rowKey: string, etag: string): Promise<void> {
    await this.tables.ready();
    try {
      await this.table.deleteEntity(partitionKey, rowKey, { etag });
    } catch (error) {
      if (isRestStatus(error, 404)) {
        return;
      }
      if (isRestStatus(error, 412)) {
        throw new AppError('precondition-failed', `subscription row ${partitionKey} was changed meanwhile`);
      }
      mapStorageError(error, `subscription row ${partitionKey}`);
    }
  }
}

function toStored(row: SubscriptionEntity): StoredSubscription {
  return storedSubscription.parse({
    subscriptionId: row.subscriptionId,
    userId: row.userId,
    entity: row.entity,
    resource: row.resource,
    ...(row.chosen === undefined ? {} : { chosen: row.chosen }),
    expiresAt: row.expiresAt,
    clientStateHash: row.clientStateHash,
    createdAt: row.createdAt,
    account: row.account,
    notified: row.notified,
    reauthorizeSince: row.reauthorizeSince,
  });
}
