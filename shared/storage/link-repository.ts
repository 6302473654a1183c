import type { TransactionAction } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import type { Fields, Link } from '../sync/model';
import type { TableStore } from './tables';

/** A batch transaction takes at most 100 operations, all in one partition. */
export const MAX_BATCH = 100;

type LinkEntity = {
  partitionKey: string;
  rowKey: string;
  oroId: string;
  microsoftId: string;
  oroVersion: string;
  microsoftVersion: string;
  base: string;
  baseHash: string;
  pending: string;
};

export const linkPartition = (userId: string, entity: string): string => `${userId}:${entity}`;

/**
 * Links of one user and entity in one partition (RowKey = link id): read with one query,
 * written in batch transactions of up to 100, so table operations grow with changes, not
 * items. Updates are conditional on the ETag read and new rows are creates, so a run that
 * lost its lease cannot overwrite another run's links (a transaction's deletes cannot carry
 * an ETag; they only remove rows this run read). One instance serves one run.
 */
export class LinkRepository<F extends Fields> {
  /** Table operations made (reads count per page), for the benchmark and tests. */
  operations = 0;
  private readonly etags = new Map<string, string>();

  constructor(private readonly tables: TableStore) {}

  private get table() {
    return this.tables.client('links');
  }

  async list(userId: string, entity: string): Promise<Link<F>[]> {
    await this.tables.ready();
    const links: Link<F>[] = [];
    const pages = this.table
      .listEntities<LinkEntity>({
        queryOptions: { filter: odata`PartitionKey eq ${linkPartition(userId, entity)}` },
      })
      .byPage({ maxPageSize: 1000 });
    for await (const page of pages) {
      this.operations++;
      for (const e of page) {
        links.push(fromEntity<F>(e));
        this.etags.set(e.rowKey, e.etag);
      }
    }
    return links;
  }

  /** Upserts and deletes in as few transactions as the partition allows. */
  async save(
    userId: string,
    entity: string,
    upserts: readonly Link<F>[],
    deletes: readonly string[],
  ): Promise<void> {
    if (upserts.length === 0 && deletes.length === 0) return;
    await this.tables.ready();
    const pk = linkPartition(userId, entity);
    const upserted = new Set(upserts.map((l) => l.linkId));
    const actions: TransactionAction[] = [
      ...upserts.map((l): TransactionAction => {
        const etag = this.etags.get(l.linkId);
        return etag ? ['update', toEntity(pk, l), 'Replace', { etag }] : ['create', toEntity(pk, l)];
      }),
      ...deletes
        .filter((id) => !upserted.has(id) && this.etags.has(id))
        .map((id): TransactionAction => ['delete', { partitionKey: pk, rowKey: id }]),
    ];
    for (let i = 0; i < actions.length; i += MAX_BATCH) {
      this.operations++;
      const chunk = actions.slice(i, i + MAX_BATCH);
      const result = await this.table.submitTransaction(chunk);
      for (const [n, action] of chunk.entries()) {
        const rowKey = action[1].rowKey;
        const etag = result.subResponses[n]?.etag;
        if (action[0] === 'delete') this.etags.delete(rowKey);
        else if (etag) this.etags.set(rowKey, etag);
      }
    }
  }
}

function toEntity<F extends Fields>(partitionKey: string, l: Link<F>): LinkEntity {
  return {
    partitionKey,
    rowKey: l.linkId,
    oroId: l.oroId ?? '',
    microsoftId: l.microsoftId ?? '',
    oroVersion: l.oroVersion ?? '',
    microsoftVersion: l.microsoftVersion ?? '',
    base: JSON.stringify(l.base),
    baseHash: l.baseHash,
    pending: l.pending ? JSON.stringify(l.pending) : '',
  };
}

function fromEntity<F extends Fields>(e: LinkEntity): Link<F> {
  const orNull = (v: string | undefined) => (v ? v : null);
  return {
    linkId: e.rowKey,
    oroId: orNull(e.oroId),
    microsoftId: orNull(e.microsoftId),
    oroVersion: orNull(e.oroVersion),
    microsoftVersion: orNull(e.microsoftVersion),
    base: JSON.parse(e.base) as F,
    baseHash: e.baseHash,
    ...(e.pending ? { pending: JSON.parse(e.pending) as Link<F>['pending'] & object } : {}),
  };
}
