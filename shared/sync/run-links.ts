import { hashFields, type Change, type Fields, type Link, type Side } from './model';
import type { ItemPlan, Write } from './plan';
import type { SidePort, WriteResult } from './ports';

/*
 * The links a run writes (runner.ts): pending ones before a create, final ones after the
 * writes, and the "unconfirmed" flag of our creates that a change feed may never mention.
 */

export const idOn = <F extends Fields>(l: Link<F>, side: Side): string | null =>
  side === 'oro' ? l.oroId : l.microsoftId;

/** A linked item's fields, with what its side cannot store taken from the link's base. */
export function completeFromLinks<F extends Fields>(
  side: SidePort<F>,
  links: readonly Link<F>[],
  changes: readonly Change<F>[],
): readonly Change<F>[] {
  const complete = side.complete?.bind(side);
  if (!complete) {
    return changes;
  }
  const byId = new Map(
    links.flatMap((l) => {
      const id = idOn(l, side.side);
      return id ? [[id, l.base] as const] : [];
    }),
  );
  // The item a pending create made before a crash is known only by the link id it carries:
  // it is completed from what was written, or it reads as changed and is never adopted.
  const byPendingLink = new Map(
    links.flatMap((l) => (l.pending?.side === side.side ? [[l.linkId, l.base] as const] : [])),
  );
  return changes.map((c) => {
    const base =
      c.type === 'upsert'
        ? (byId.get(c.item.id) ??
          (c.item.linkId === undefined ? undefined : byPendingLink.get(c.item.linkId)))
        : undefined;
    return c.type === 'upsert' && base
      ? { ...c, item: { ...c.item, fields: complete(c.item.fields, base) } }
      : c;
  });
}

export function pendingLink<F extends Fields>(item: ItemPlan<F>, w: Write<F>, now: Date): Link<F> {
  const fields = w.fields!;
  const versions = item.outcome.type === 'link' ? item.outcome.versions : { oro: null, microsoft: null };
  const hash = hashFields(fields);
  return {
    linkId: item.linkId,
    oroId: w.side === 'oro' ? null : item.oroId,
    microsoftId: w.side === 'microsoft' ? null : item.microsoftId,
    oroVersion: w.side === 'oro' ? null : versions.oro,
    microsoftVersion: w.side === 'microsoft' ? null : versions.microsoft,
    base: fields,
    baseHash: hash,
    pending: {
      side: w.side,
      hash,
      since: now.toISOString(),
      ...(w.attempt ? { attempt: w.attempt } : {}),
    },
    ...(item.readOnly ? { readOnly: item.readOnly } : {}),
  };
}

export function finalLink<F extends Fields>(
  item: ItemPlan<F>,
  outcomes: Map<Write<F>, WriteResult<F>>,
  confirming: ReadonlySet<Side>,
): Link<F> {
  if (item.outcome.type !== 'link') {
    throw new Error('not a link outcome');
  }
  const ids = { oro: item.oroId, microsoft: item.microsoftId };
  const versions = { ...item.outcome.versions };
  let base = item.outcome.base;
  let created: Side | undefined;
  for (const w of item.writes) {
    const o = outcomes.get(w);
    if (!o?.ok) {
      continue;
    }
    ids[w.side] = o.id;
    versions[w.side] = o.version;
    base = o.held ?? base;
    if (w.op === 'create' && confirming.has(w.side)) {
      created = w.side;
    }
  }
  return {
    linkId: item.linkId,
    oroId: ids.oro,
    microsoftId: ids.microsoft,
    oroVersion: versions.oro,
    microsoftVersion: versions.microsoft,
    base,
    baseHash: hashFields(base),
    ...(item.readOnly ? { readOnly: item.readOnly } : {}),
    ...(created ? { unconfirmed: created } : {}),
  };
}

/**
 * Creates no read had shown yet were checked by this read; they are confirmed only once the
 * run's cursor is saved (a crash before that leaves the next read starting before them
 * again). Until then every link keeps its flag, and a run that saves no cursor (retryable
 * failures) leaves all links it saved unconfirmed.
 */
export function keepUnconfirmed<F extends Fields>(
  links: readonly Link<F>[],
  upserts: readonly Link<F>[],
  savesNoCursor: boolean,
  confirming: ReadonlySet<Side>,
  /**
   * Sides read with no cursor at all: until this run saves one, every run reads them in full
   * again, and a full read sees every item (one deleted meanwhile is a linked id it does not
   * see). Links to what such a read found need no flag, and no confirming afterwards.
   */
  fromScratch: ReadonlySet<Side> = new Set(),
): { saved: Link<F>[]; provisional: Set<string> } {
  const before = new Map(links.map((l) => [l.linkId, l]));
  // Links to items this run's read found new: until the cursor past them is saved, a feed
  // read from the old cursor may never mention them again (created and deleted since is no
  // net change), so they carry the flag until then (found by the calendar property test,
  // a crash between the links and the cursor).
  const provisional = new Set<string>();
  const saved = upserts.map((l) => {
    const was = before.get(l.linkId);
    if (!l.unconfirmed && was?.unconfirmed && idOn(l, was.unconfirmed) === idOn(was, was.unconfirmed)) {
      return { ...l, unconfirmed: was.unconfirmed };
    }
    // New to this read: a link it made, or an item it adopted in place of a gone one (the
    // copy a re-create made before a crash; CI, quiet-schedule property, seed 758969358).
    const isNew = (c: Side) => !was || was.pending !== undefined || idOn(was, c) !== idOn(l, c);
    if (!l.unconfirmed && !l.pending) {
      const side = ([...confirming] as Side[]).find(
        (c) => idOn(l, c) !== null && (savesNoCursor || isNew(c)),
      );
      if (side && !savesNoCursor && fromScratch.has(side)) {
        return l;
      }
      if (side && !savesNoCursor) {
        provisional.add(l.linkId);
      }
      return side ? { ...l, unconfirmed: side } : l;
    }
    return l;
  });
  return { saved, provisional };
}

/**
 * The links whose create this run's read checked, without their flag: written only after
 * the run's cursor is saved (and still under its lease).
 */
export function confirmedCreates<F extends Fields>(
  links: readonly Link<F>[],
  saved: readonly Link<F>[],
  deletes: readonly string[],
  provisional: ReadonlySet<string>,
): Link<F>[] {
  const latest = new Map(saved.map((l) => [l.linkId, l]));
  const gone = new Set(deletes);
  const unflag = (l: Link<F>): Link<F> => {
    const { unconfirmed: _checked, ...confirmed } = l;
    return confirmed;
  };
  const checked = links.flatMap((l) => {
    const now = latest.get(l.linkId) ?? l;
    const side = l.unconfirmed;
    if (
      !side ||
      l.pending ||
      gone.has(l.linkId) ||
      now.pending ||
      idOn(now, side) !== idOn(l, side) ||
      provisional.has(l.linkId)
    ) {
      return [];
    }
    return [unflag(now)];
  });
  // The cursor past them is saved now: the feed will report whatever becomes of them.
  const found = saved.filter((l) => provisional.has(l.linkId) && !gone.has(l.linkId)).map(unflag);
  return [...checked, ...found];
}
