import { createHash } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import type { Change, Fields, Link, Side } from '../sync/model';
import { GROUP_MARKER, LinkGroups, isGroupRow } from './link-groups';
import type { TableStore } from './tables';

/** A batch transaction takes at most 100 operations, all in one partition. */
export const MAX_BATCH = 100;

/** Transactions of one save in flight at once (a partition serves about 2,000 entities a second). */
const SAVE_CONCURRENCY = 4;

/**
 * A batch transaction's payload is at most 4 MiB: rows are counted at 3 bytes a character
 * (UTF-8's most for a UTF-16 unit), and a transaction closes before 3.5 MB.
 */
const MAX_BATCH_BYTES = 3_500_000;

type LinkEntity = {
  partitionKey: string;
  rowKey: string;
  oroId: string;
  microsoftId: string;
  oroVersion: string;
  microsoftVersion: string;
  /** JSON of the base fields; continued in base1, base2, … when longer than one property holds. */
  base: string;
  baseHash: string;
  pending: string;
  readOnly?: string;
  unconfirmed?: string;
  /** Set on backlog rows only (see BacklogEntry): the side, and the change as JSON in `base`. */
  backlog?: string;
  backlogSeq?: number;
} & Partial<Record<`base${number}`, string>>;

/**
 * A change a bounded run read but has not applied yet (shared/sync/backlog.ts). It lives in
 * the links' partition, beside the links, so it is read with them in the same query and
 * removed in the same transactions that save the links it became.
 */
export interface BacklogEntry<F extends Fields> {
  side: Side;
  change: Change<F>;
  /** The backlogSeq of the cursor save that follows the put (SyncState.backlogSeq). */
  seq?: number;
}

/** Link ids never start with "~": a backlog row's key cannot be taken for a link's. */
export const backlogRow = (side: Side, id: string): string =>
  `~${side === 'oro' ? 'o' : 'm'}-${createHash('sha256').update(id).digest('base64url').slice(0, 27)}`;

const changeId = <F extends Fields>(c: Change<F>): string => (c.type === 'upsert' ? c.item.id : c.id);

/**
 * A string property holds 64 KiB of UTF-16, 32,768 characters; an event's description and
 * exceptions can take more, so the base is split (an entity holds 1 MiB in all).
 */
const BASE_CHUNK = 30_000;

export const linkPartition = (userId: string, entity: string): string => `${userId}:${entity}`;

/**
 * Links of one user and entity in one partition: read with one query, written in batch
 * transactions of up to 100, so table operations grow with changes, not items. The links a
 * save writes are packed hundreds to a row (link-groups.ts); a link saved before that keeps
 * its own row (RowKey = link id). Updates are conditional on the ETag read and new rows are
 * creates, so a run that lost its lease cannot overwrite another run's links (a
 * transaction's deletes cannot carry an ETag; they only remove rows this run read). One
 * instance serves one run.
 */
export class LinkRepository<F extends Fields> {
  /** Table operations made (reads count per page), for the benchmark and tests. */
  operations = 0;
  private readonly etags = new Map<string, string>();
  /** Links without a row of their own, packed many to a row (link-groups.ts). */
  private readonly groups = new LinkGroups<F>();

  constructor(private readonly tables: TableStore) {}

  private get table() {
    return this.tables.client('links');
  }

  async list(userId: string, entity: string): Promise<Link<F>[]> {
    return (await this.listAll(userId, entity)).links;
  }

  /** The links and the backlog of the user and entity, in one query of their partition. */
  async listAll(userId: string, entity: string): Promise<{ links: Link<F>[]; backlog: BacklogEntry<F>[] }> {
    const { links, backlog } = await this.listPartition(userId, entity);
    return { links, backlog };
  }

  /** Every row of the partition: the links (with those only groups hold), the backlog, and every row's key. */
  private async listPartition(
    userId: string,
    entity: string,
  ): Promise<{ links: Link<F>[]; backlog: BacklogEntry<F>[]; rowKeys: string[] }> {
    await this.tables.ready();
    const rowKeys: string[] = [];
    const links: Link<F>[] = [];
    const backlog: BacklogEntry<F>[] = [];
    const groupRows: { rowKey: string; json: string }[] = [];
    const pages = this.table
      .listEntities<LinkEntity>({
        queryOptions: { filter: odata`PartitionKey eq ${linkPartition(userId, entity)}` },
      })
      .byPage({ maxPageSize: 1000 });
    for await (const page of pages) {
      this.operations++;
      for (const e of page) {
        this.etags.set(e.rowKey, e.etag);
        rowKeys.push(e.rowKey);
        if (e.rowKey === GROUP_MARKER) {
          this.groups.noteMarker(Number((e as { seq?: unknown }).seq));
        } else if (isGroupRow(e.rowKey)) {
          groupRows.push({ rowKey: e.rowKey, json: baseJson(e) });
        } else if (e.backlog === 'oro' || e.backlog === 'microsoft') {
          backlog.push({
            side: e.backlog,
            change: JSON.parse(baseJson(e)) as Change<F>,
            ...(typeof e.backlogSeq === 'number' ? { seq: e.backlogSeq } : {}),
          });
        } else {
          links.push(fromEntity<F>(e));
        }
      }
    }
    links.push(...this.groups.load(groupRows, new Set(links.map((l) => l.linkId))));
    return { links, backlog, rowKeys };
  }

  /**
   * Retires every link of the user and entity: the rows go, the items they paired stay
   * untouched on both sides. For a user who connected another Microsoft account, whose
   * items the old links do not name. Returns how many were retired.
   */
  async retire(userId: string, entity: string): Promise<number> {
    const { links, rowKeys } = await this.listPartition(userId, entity);
    const pk = linkPartition(userId, entity);
    for (let i = 0; i < rowKeys.length; i += MAX_BATCH) {
      this.operations++;
      const chunk = rowKeys.slice(i, i + MAX_BATCH);
      await this.table.submitTransaction(
        chunk.map((id): TransactionAction => ['delete', { partitionKey: pk, rowKey: id }]),
      );
      chunk.forEach((id) => this.etags.delete(id));
    }
    this.groups.clear();
    return links.length;
  }

  /**
   * Upserts and deletes in as few transactions as the partition allows. `backlog`: backlog
   * rows to write (`put`) and to remove (`drop`, by side and item id), in the same
   * transactions; removing a row this instance never read is a no-op.
   */
  async save(
    userId: string,
    entity: string,
    upserts: readonly Link<F>[],
    deletes: readonly string[],
    backlog: { put?: readonly BacklogEntry<F>[]; drop?: readonly { side: Side; id: string }[] } = {},
  ): Promise<void> {
    const put = backlog.put ?? [];
    const dropped = (backlog.drop ?? []).map((d) => backlogRow(d.side, d.id));
    if (upserts.length === 0 && deletes.length === 0 && put.length === 0 && dropped.length === 0) {
      return;
    }
    await this.tables.ready();
    const pk = linkPartition(userId, entity);
    const groups = this.groups.plan(upserts, deletes, (id) => this.etags.has(id));
    const rows: LinkEntity[] = [
      ...groups.rows.map((l) => toEntity(pk, l)),
      ...put.map((b) => backlogEntity(pk, b)),
    ];
    const written = new Set(rows.map((r) => r.rowKey));
    const upsert = (row: LinkEntity | GroupEntity | MarkerEntity): TransactionAction => {
      const etag = this.etags.get(row.rowKey);
      return etag ? ['update', row, 'Replace', { etag }] : ['create', row];
    };
    const remove = (rowKey: string): TransactionAction => ['delete', { partitionKey: pk, rowKey }];
    const known = (key: string) => this.etags.has(key);
    // Step 1: a group that holds a link deleted here loses it before the link's row goes,
    // else a crash in between would bring the link back from the group. Oldest group first,
    // one transaction at a time: a crash in between leaves the newest state (link-groups.ts).
    await this.submit(
      [
        ...groups.rewritten.map((g) => upsert(groupEntity(pk, g.rowKey, g.links))),
        ...groups.removedFirst.filter(known).map(remove),
      ].sort((a, b) => (a[1].rowKey < b[1].rowKey ? -1 : 1)),
      1,
    );
    const [firstGroup, ...otherGroups] = groups.created.map((g) =>
      upsert(groupEntity(pk, g.rowKey, g.links)),
    );
    if (firstGroup) {
      // The marker first, alone with one group: a run that lost its lease stops here (link-groups.ts).
      await this.submit([upsert({ partitionKey: pk, rowKey: GROUP_MARKER, seq: groups.seq }), firstGroup]);
    }
    await this.submit([
      ...otherGroups,
      ...rows.map(upsert),
      ...[...new Set([...deletes, ...dropped])].filter((id) => !written.has(id) && known(id)).map(remove),
    ]);
    // Step 3: a group whose entries the rows above supersede goes (or shrinks) once they are written.
    await this.submit([
      ...groups.removedAfter.filter(known).map(remove),
      ...groups.compacted.map((g) => upsert(groupEntity(pk, g.rowKey, g.links))),
    ]);
  }

  /**
   * Actions in transactions (by count and size), in their order; `concurrency` go at once
   * (each is atomic; a save never was).
   */
  private async submit(actions: readonly TransactionAction[], concurrency = SAVE_CONCURRENCY): Promise<void> {
    const chunks: TransactionAction[][] = [];
    let bytes = 0;
    for (const action of actions) {
      const size = actionBytes(action);
      const last = chunks.at(-1);
      if (!last || last.length === MAX_BATCH || bytes + size > MAX_BATCH_BYTES) {
        chunks.push([action]);
        bytes = size;
      } else {
        last.push(action);
        bytes += size;
      }
    }
    let next = 0;
    let failed = false;
    const worker = async () => {
      for (let k = next++; k < chunks.length && !failed; k = next++) {
        this.operations++;
        const chunk = chunks[k]!;
        const result = await this.table.submitTransaction(chunk).catch((error: unknown) => {
          failed = true; // the others start no new transaction; the save fails with this error
          throw error;
        });
        for (const [n, action] of chunk.entries()) {
          const rowKey = action[1].rowKey;
          const etag = result.subResponses[n]?.etag;
          if (action[0] === 'delete') {
            this.etags.delete(rowKey);
          } else if (etag) {
            this.etags.set(rowKey, etag);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
  }
}

/** A transaction action's share of the payload, at most (see MAX_BATCH_BYTES). */
function actionBytes(action: TransactionAction): number {
  let chars = 200; // the sub-request's line and headers
  for (const value of Object.values(action[1])) {
    chars += typeof value === 'string' ? value.length : 20;
  }
  return chars * 3;
}

/** The last sequence given to a group (link-groups.ts GROUP_MARKER). */
type MarkerEntity = { partitionKey: string; rowKey: string; seq: number };

/** Links packed in one row (link-groups.ts): their JSON as `base` and its continuations. */
type GroupEntity = { partitionKey: string; rowKey: string; base: string } & Record<string, string>;

function groupEntity<F extends Fields>(
  partitionKey: string,
  rowKey: string,
  links: readonly Link<F>[],
): GroupEntity {
  return { partitionKey, rowKey, ...chunked(JSON.stringify(links)) };
}

/** `json` as the `base` property and its continuations. */
function chunked(json: string): { base: string } & Record<string, string> {
  const chunks: Record<string, string> = {};
  for (let i = BASE_CHUNK, n = 1; i < json.length; i += BASE_CHUNK, n++) {
    chunks[`base${n}`] = json.slice(i, i + BASE_CHUNK);
  }
  return { ...chunks, base: json.slice(0, BASE_CHUNK) };
}

function backlogEntity<F extends Fields>(partitionKey: string, b: BacklogEntry<F>): LinkEntity {
  return {
    partitionKey,
    rowKey: backlogRow(b.side, changeId(b.change)),
    oroId: '',
    microsoftId: '',
    oroVersion: '',
    microsoftVersion: '',
    ...chunked(JSON.stringify(b.change)),
    baseHash: '',
    pending: '',
    backlog: b.side,
    ...(b.seq === undefined ? {} : { backlogSeq: b.seq }),
  };
}

function toEntity<F extends Fields>(partitionKey: string, l: Link<F>): LinkEntity {
  const json = JSON.stringify(l.base);
  const chunks = chunked(json);
  return {
    partitionKey,
    rowKey: l.linkId,
    oroId: l.oroId ?? '',
    microsoftId: l.microsoftId ?? '',
    oroVersion: l.oroVersion ?? '',
    microsoftVersion: l.microsoftVersion ?? '',
    ...chunks,
    baseHash: l.baseHash,
    pending: l.pending ? JSON.stringify(l.pending) : '',
    readOnly: l.readOnly ? JSON.stringify(l.readOnly) : '',
    unconfirmed: l.unconfirmed ?? '',
  };
}

function baseJson(e: LinkEntity): string {
  let json = e.base;
  for (let n = 1; e[`base${n}`] !== undefined; n++) {
    json += e[`base${n}`];
  }
  return json;
}

function fromEntity<F extends Fields>(e: LinkEntity): Link<F> {
  const orNull = (v: string | undefined) => (v ? v : null);
  return {
    linkId: e.rowKey,
    oroId: orNull(e.oroId),
    microsoftId: orNull(e.microsoftId),
    oroVersion: orNull(e.oroVersion),
    microsoftVersion: orNull(e.microsoftVersion),
    base: JSON.parse(baseJson(e)) as F,
    baseHash: e.baseHash,
    ...(e.pending ? { pending: JSON.parse(e.pending) as Link<F>['pending'] & object } : {}),
    ...(e.readOnly ? { readOnly: JSON.parse(e.readOnly) as Link<F>['readOnly'] & object } : {}),
    ...(e.unconfirmed === 'oro' || e.unconfirmed === 'microsoft' ? { unconfirmed: e.unconfirmed } : {}),
  };
}
