import type { BacklogEntry } from '../storage/link-repository';
import type { Change, Fields, Side } from './model';
import type { ItemPlan } from './plan';
import type { ReadResult } from './ports';

/*
 * A bounded run's backlog: the changes read but not applied yet. A run that cannot apply
 * its whole plan within its bound saves them (in the links' partition) before it saves the
 * cursor past them; the next run plans them again with what it reads from that cursor.
 */

const SIDES = ['oro', 'microsoft'] as const;

export const changeId = <F extends Fields>(c: Change<F>): string => (c.type === 'upsert' ? c.item.id : c.id);

/** Ids with a backlog entry, per side: read() checks whether they still exist, as for linked ones. */
export function backlogIds<F extends Fields>(backlog: readonly BacklogEntry<F>[], side: Side): string[] {
  return backlog.flatMap((b) => (b.side === side ? [changeId(b.change)] : []));
}

/**
 * Ids of backlog rows put by a run that died before its cursor save (their `seq` is past the
 * state's `backlogSeq`): the side checks them directly, as it does our unconfirmed creates.
 */
export function unsavedBacklogIds<F extends Fields>(
  backlog: readonly BacklogEntry<F>[],
  side: Side,
  savedSeq: number | undefined,
): string[] {
  return backlog.flatMap((b) =>
    b.side === side && b.seq !== undefined && b.seq > (savedSeq ?? 0) ? [changeId(b.change)] : [],
  );
}

/**
 * The changes to plan on one side: the backlog's with this read's on top (newer, so they
 * win). A full read saw the side as it is now: it replaces the backlog's entries of that side.
 */
export function withBacklog<F extends Fields>(
  backlog: readonly BacklogEntry<F>[],
  side: Side,
  read: ReadResult<F>,
): Change<F>[] {
  if (read.full) {
    return read.changes;
  }
  const byId = new Map<string, Change<F>>();
  for (const b of backlog) {
    if (b.side === side) {
      byId.set(changeId(b.change), b.change);
    }
  }
  for (const c of read.changes) {
    byId.set(changeId(c), c);
  }
  return [...byId.values()];
}

/** The side ids an item stands for: the changes it came from are keyed by them. */
export function itemIds<F extends Fields>(item: ItemPlan<F>): { side: Side; id: string }[] {
  return SIDES.flatMap((side) => {
    const id = side === 'oro' ? item.oroId : item.microsoftId;
    return id ? [{ side, id }] : [];
  });
}

/**
 * What the backlog must hold before the cursor past this read is saved: every change an
 * item of the plan came from (put, unless the backlog holds it as it is), and nothing else
 * (a change no item came from changes nothing: its entry is dropped).
 */
export function backlogFor<F extends Fields>(
  backlog: readonly BacklogEntry<F>[],
  changes: Record<Side, readonly Change<F>[]>,
  items: readonly ItemPlan<F>[],
): { put: BacklogEntry<F>[]; drop: { side: Side; id: string }[] } {
  const key = (side: Side, id: string) => `${side}\n${id}`;
  const wanted = new Set(items.flatMap((i) => itemIds(i).map((r) => key(r.side, r.id))));
  const held = new Map(backlog.map((b) => [key(b.side, changeId(b.change)), JSON.stringify(b.change)]));
  const put = SIDES.flatMap((side) =>
    changes[side].flatMap((change) => {
      const k = key(side, changeId(change));
      return wanted.has(k) && held.get(k) !== JSON.stringify(change) ? [{ side, change }] : [];
    }),
  );
  const drop = backlog.flatMap((b) => {
    const id = changeId(b.change);
    return wanted.has(key(b.side, id)) ? [] : [{ side: b.side, id }];
  });
  return { put, drop };
}

export const writesOf = <F extends Fields>(items: readonly ItemPlan<F>[]): number =>
  items.reduce((n, i) => n + i.writes.length, 0);

/**
 * The next items to apply: in plan order, up to `budget` writes (items that write nothing
 * come along for free, at most `maxItems` in all). An item is never split; one with more
 * writes than the budget goes alone, when `mustProgress` (the run has applied nothing yet).
 */
export function nextChunk<F extends Fields>(
  items: readonly ItemPlan<F>[],
  budget: number,
  maxItems: number,
  mustProgress: boolean,
): ItemPlan<F>[] {
  const chunk: ItemPlan<F>[] = [];
  let writes = 0;
  for (const item of items) {
    if (chunk.length >= maxItems) {
      break;
    }
    if (writes + item.writes.length > budget) {
      if (mustProgress && writes === 0 && item.writes.length > 0) {
        chunk.push(item);
      }
      break;
    }
    chunk.push(item);
    writes += item.writes.length;
  }
  return chunk;
}
