import type { Fields, Link } from '../sync/model';

/*
 * Links saved together, packed in one row (a "group"). A row per link made a first sync
 * of 10,000 items write 10,000 rows (twice: the pending link before each Oro create, the
 * final link after it), each a sub-request the Tables SDK builds one by one, and made
 * every later run list 10 pages of 1,000 rows. So every link a save writes that has no
 * row of its own goes into a new group of that save, hundreds to a row; a first sync
 * writes a few dozen rows, and a listing of 100,000 links is a few hundred rows.
 * A link with a row of its own (saved before groups held final links) keeps it.
 *
 * Which state of a link counts, on every listing:
 * - its own row, if it has one;
 * - else its entry in the newest group that holds it (groups sort by their sequence).
 * An entry superseded that way stays in its group's row until the group is rewritten or
 * removed: a group goes once none of its entries is live, and is rewritten with its live
 * entries once at most a quarter of them are.
 *
 * A deleted link would come back from a group that still holds it, so a save that deletes
 * a link first rewrites (or removes) every group holding it, oldest first, and only then
 * deletes the link's row (`rewritten`, `removedFirst`): a crash in between leaves the
 * link's latest state in the newest group, never an older one.
 */

/** Group rows' keys: "~p-", then the sequence (12 digits: sorts as a number). */
export const GROUP_PREFIX = '~p-';
/**
 * The row holding the last sequence given to a group. Every save that creates groups
 * updates it first, conditional on the ETag its run's listing read: of two runs that read
 * the partition before either saved a group (one of them having lost its lease), only the
 * first to save one goes on; the other's save fails before it writes anything.
 */
export const GROUP_MARKER = '~p';
const SEQ_DIGITS = 12;
/** A group of at least this many entries, a quarter or less of them live, is compacted. */
const COMPACT_MIN = 20;
/** A group row's JSON stays well under an entity's 1 MiB (stored as UTF-16): 400 KB. */
const MAX_GROUP_CHARS = 200_000;

export const isGroupRow = (rowKey: string): boolean => rowKey.startsWith(GROUP_PREFIX);

const groupKey = (seq: number): string => `${GROUP_PREFIX}${String(seq).padStart(SEQ_DIGITS, '0')}`;

const seqOf = (rowKey: string): number =>
  Number(rowKey.slice(GROUP_PREFIX.length, GROUP_PREFIX.length + SEQ_DIGITS));

interface Group<F extends Fields> {
  /** Every entry the row holds, as stored. */
  stored: Map<string, Link<F>>;
  /** The link ids whose latest state the row holds. */
  live: Set<string>;
}

/** What a save writes for the groups, in three steps. */
export interface GroupWrites<F extends Fields> {
  /** Links written as rows of their own (step 2). */
  rows: Link<F>[];
  /** New group rows, created in step 2. */
  created: { rowKey: string; links: Link<F>[] }[];
  /**
   * Step 1, before any other write: the groups holding a link this save deletes, replaced
   * without it (conditional on their ETag), or removed when nothing else is in them; each
   * list oldest group first, and they are to be written in that order (see the top).
   */
  rewritten: { rowKey: string; links: Link<F>[] }[];
  removedFirst: string[];
  /** Step 3, after the others: groups whose every entry the rows or newer groups supersede. */
  removedAfter: string[];
  /** Step 3 too: groups at most a quarter live, replaced by their live entries. */
  compacted: { rowKey: string; links: Link<F>[] }[];
  /** The marker's sequence once the groups are created. */
  seq: number;
}

/** The groups of one partition, as this instance read and wrote them. */
export class LinkGroups<F extends Fields> {
  private readonly groups = new Map<string, Group<F>>();
  /** Link id → the group holding its latest state. */
  private readonly liveIn = new Map<string, string>();
  private seq = 0;

  /** The marker row's sequence, as listed. */
  noteMarker(seq: number): void {
    this.seq = Math.max(this.seq, Number.isSafeInteger(seq) ? seq : 0);
  }

  /**
   * The group rows of a listing (any order) and the ids of links with a row of their own;
   * returns the links only groups hold.
   */
  load(rows: readonly { rowKey: string; json: string }[], ownRows: ReadonlySet<string>): Link<F>[] {
    for (const row of [...rows].sort((a, b) => (a.rowKey < b.rowKey ? -1 : 1))) {
      const group: Group<F> = { stored: new Map(), live: new Set() };
      this.groups.set(row.rowKey, group);
      this.seq = Math.max(this.seq, seqOf(row.rowKey));
      for (const link of JSON.parse(row.json) as Link<F>[]) {
        group.stored.set(link.linkId, link);
        if (!ownRows.has(link.linkId)) {
          this.supersede(link.linkId);
          group.live.add(link.linkId);
          this.liveIn.set(link.linkId, row.rowKey);
        }
      }
    }
    return [...this.liveIn].map(([id, key]) => this.groups.get(key)!.stored.get(id)!);
  }

  /**
   * Splits a save's upserts into rows and new groups, and says which groups change.
   * `hasRow`: whether a link has a row of its own. The state is updated at once: an
   * instance whose save failed serves no more saves (its run ends).
   */
  plan(
    upserts: readonly Link<F>[],
    deletes: readonly string[],
    hasRow: (id: string) => boolean,
  ): GroupWrites<F> {
    const rows: Link<F>[] = [];
    const packed: Link<F>[] = [];
    for (const link of upserts) {
      this.supersede(link.linkId);
      (hasRow(link.linkId) ? rows : packed).push(link);
    }
    const deleted = new Set(deletes);
    deleted.forEach((id) => this.supersede(id));

    // Step 1: a deleted link leaves every group that holds it, oldest first. Entries
    // superseded by this save's rows stay until step 3: those rows are not written yet.
    const rewritten: GroupWrites<F>['rewritten'] = [];
    const removedFirst: string[] = [];
    const holding = deleted.size === 0 ? [] : [...this.groups].sort(([a], [b]) => (a < b ? -1 : 1));
    for (const [rowKey, group] of holding) {
      if (![...group.stored.keys()].some((id) => deleted.has(id))) {
        continue;
      }
      group.stored = new Map([...group.stored].filter(([id]) => !deleted.has(id)));
      if (group.stored.size === 0) {
        removedFirst.push(rowKey);
        this.groups.delete(rowKey);
      } else {
        rewritten.push({ rowKey, links: [...group.stored.values()] });
      }
    }

    // Step 3, after step 2 has written what supersedes them: groups nothing is live in any
    // more go; a group mostly superseded is rewritten with only what is live in it (a create
    // that keeps failing would else keep hundreds of dead entries in every listing).
    const removedAfter: string[] = [];
    const compacted: GroupWrites<F>['compacted'] = [];
    for (const [rowKey, group] of this.groups) {
      if (group.live.size === 0) {
        removedAfter.push(rowKey);
        this.groups.delete(rowKey);
      } else if (group.stored.size >= COMPACT_MIN && group.live.size * 4 <= group.stored.size) {
        const links = [...group.live].map((id) => group.stored.get(id)!);
        group.stored = new Map(links.map((l) => [l.linkId, l]));
        compacted.push({ rowKey, links });
      }
    }

    // Step 2: links without a row of their own, packed in new groups.
    const created: GroupWrites<F>['created'] = [];
    let size = 0;
    for (const link of packed) {
      const chars = JSON.stringify(link).length;
      if (created.length === 0 || size + chars > MAX_GROUP_CHARS) {
        created.push({ rowKey: groupKey(++this.seq), links: [] });
        size = 0;
      }
      size += chars;
      created.at(-1)!.links.push(link);
    }
    for (const { rowKey, links } of created) {
      const group: Group<F> = { stored: new Map(), live: new Set() };
      this.groups.set(rowKey, group);
      for (const l of links) {
        group.stored.set(l.linkId, l);
        group.live.add(l.linkId);
        this.liveIn.set(l.linkId, rowKey);
      }
    }
    return { rows, created, rewritten, removedFirst, removedAfter, compacted, seq: this.seq };
  }

  /** Forgets every group (their rows were removed with the partition's). */
  clear(): void {
    this.groups.clear();
    this.liveIn.clear();
  }

  /** The link's state in its group, if one held it, is no longer its latest. */
  private supersede(linkId: string): void {
    const key = this.liveIn.get(linkId);
    if (key !== undefined) {
      this.groups.get(key)?.live.delete(linkId);
      this.liveIn.delete(linkId);
    }
  }
}
