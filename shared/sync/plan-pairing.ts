import { CONFLICT_STRATEGIES } from './conflict';
import { hashFields, sourceOf, type Fields, type Side, type Snapshot } from './model';
import type { ConflictRecord, ItemPlan, PairingKey, PlanInput, Write } from './plan';
import { keepIrreversible, newLinkId, readOnlyOf, readOnlySettings, updateWrite } from './plan-rules';

/*
 * The first sync of a user and entity meets items both sides already hold (entered twice
 * by hand, or synced before by another tool): they are paired, never copied both ways.
 *
 * Rules (docs/first-sync-pairing.md):
 * - Calendar events carrying the same iCalendar UID (Oro `uid`, Graph `iCalUId`) are the
 *   same event, whatever else differs. The rest pair by their entity's key (pair-keys.ts):
 *   events by title, start and end (all-day by dates), tasks by title and due date.
 * - One-to-one: an item pairs at most once, so two items of one side are never merged.
 *   Among several candidates with one key, items with identical content pair first; the
 *   rest pair in the order of their ids on each side (numeric ids by value), the first
 *   Oro item with the first Microsoft item. Items left over are created as usual.
 * - Fields that differ beyond the key are settled as a conflict would be: bidirectional by
 *   the user's conflict resolution (with no common ancestor, every differing field counts
 *   as changed on both sides), one-way from the source side, which is never written; a
 *   read-only item (someone else's invitation) stays the source of its pair.
 */

/**
 * Ids in a stable order: numeric ids (Oro) by value, others as text. One collator for every
 * comparison: `localeCompare` with options builds one per call (most of a 10,000-item plan).
 */
const idCollator = new Intl.Collator('en', { numeric: true });
const byId = <F extends Fields>(a: Snapshot<F>, b: Snapshot<F>): number => idCollator.compare(a.id, b.id);

export function pairExisting<F extends Fields>(
  oro: readonly Snapshot<F>[],
  microsoft: readonly Snapshot<F>[],
  input: PlanInput<F>,
  pairing: PairingKey<F>,
  /** Link ids stored links hold: a new link never reuses one. */
  linkIds: ReadonlySet<string> = new Set(),
): { items: ItemPlan<F>[]; oro: Set<string>; microsoft: Set<string> } {
  const taken = { oro: new Set<string>(), microsoft: new Set<string>() };
  const items: ItemPlan<F>[] = [];
  const oroSorted = [...oro].sort(byId);
  const msSorted = [...microsoft].sort(byId);
  const pair = (o: Snapshot<F>, m: Snapshot<F>, by: string) => {
    taken.oro.add(o.id);
    taken.microsoft.add(m.id);
    items.push(settle(o, m, by, input, newLinkId(o, 'oro', linkIds)));
  };

  // 1. The same iCalendar UID on both sides.
  const msByUid = groupBy(msSorted, (m) => m.uid);
  for (const o of oroSorted) {
    const twin =
      o.uid === undefined ? undefined : msByUid.get(o.uid)?.find((m) => !taken.microsoft.has(m.id));
    if (twin) {
      pair(o, twin, 'the same iCalendar UID');
    }
  }

  // 2. The same key: identical content first, then in id order.
  const free = (list: Snapshot<F>[], side: Side) => list.filter((x) => !taken[side].has(x.id));
  const msByKey = groupBy(free(msSorted, 'microsoft'), (m) => pairing.key(m.fields));
  const oroByKey = groupBy(free(oroSorted, 'oro'), (o) => pairing.key(o.fields));
  const described = `the same ${pairing.by}`;
  const identical = (o: Snapshot<F>, m: Snapshot<F>) => {
    const c = completed(o, m, input);
    return hashFields(c.oro.fields) === hashFields(c.microsoft.fields);
  };
  for (const [key, oroGroup] of oroByKey) {
    const msGroup = msByKey.get(key) ?? [];
    for (const o of oroGroup) {
      const same = msGroup.find((m) => !taken.microsoft.has(m.id) && identical(o, m));
      if (same) {
        pair(o, same, described);
      }
    }
    const oroLeft = oroGroup.filter((o) => !taken.oro.has(o.id));
    const msLeft = msGroup.filter((m) => !taken.microsoft.has(m.id));
    for (let i = 0; i < Math.min(oroLeft.length, msLeft.length); i++) {
      pair(oroLeft[i]!, msLeft[i]!, described);
    }
  }
  return { items, ...taken };
}

function groupBy<T>(list: readonly T[], key: (x: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const x of list) {
    const k = key(x);
    if (k !== undefined) {
      const group = groups.get(k);
      if (group) {
        group.push(x);
      } else {
        groups.set(k, [x]);
      }
    }
  }
  return groups;
}

/** Each item with what its side cannot store taken from the other (Oro events have no location). */
function completed<F extends Fields>(
  o: Snapshot<F>,
  m: Snapshot<F>,
  input: PlanInput<F>,
): Record<Side, Snapshot<F>> {
  return {
    oro: { ...o, fields: input.complete?.oro?.(o.fields, m.fields) ?? o.fields },
    microsoft: { ...m, fields: input.complete?.microsoft?.(m.fields, o.fields) ?? m.fields },
  };
}

/** One pair: linked as it is when equal, else settled as a conflict would be. */
function settle<F extends Fields>(
  o: Snapshot<F>,
  m: Snapshot<F>,
  by: string,
  input: PlanInput<F>,
  linkId: string,
): ItemPlan<F> {
  const current = completed(o, m, input);
  const readOnly = readOnlyOf(o, m);
  const versions = { oro: o.version, microsoft: m.version };
  const base = {
    cell: 'paired/existing' as const,
    linkId,
    oroId: o.id,
    microsoftId: m.id,
    paired: by,
    ...(readOnly ? { readOnly } : {}),
  };
  if (hashFields(current.oro.fields) === hashFields(current.microsoft.fields)) {
    return { ...base, writes: [], outcome: { type: 'link', base: current.oro.fields, versions } };
  }
  const settings = readOnly ? readOnlySettings(input.settings, readOnly) : input.settings;
  if (!settings) {
    // Someone else's item, and the direction may not write the other side: the pair is
    // recorded as the read-only item has it, and nothing is written.
    return {
      ...base,
      writes: [],
      outcome: { type: 'link', base: current[readOnly!.side].fields, versions },
      skipped: readOnly!.reason,
    };
  }
  let resolved: { fields: F; winner: ConflictRecord<F>['winner']; strategy: ConflictRecord<F>['strategy'] };
  if (settings.direction === 'bidirectional') {
    const ancestor = noAncestor(current.oro.fields, current.microsoft.fields);
    const outcome = CONFLICT_STRATEGIES[settings.conflictResolution]({
      base: ancestor,
      oro: current.oro,
      microsoft: current.microsoft,
    });
    // What a side cannot undo (an occurrence Outlook cancelled) stays where the winner left
    // it as it was: measured against the winner's own fields, there is no older version.
    resolved = keepIrreversible(
      { ...outcome, strategy: settings.conflictResolution },
      current,
      outcome.fields,
      input.keeps ?? {},
    );
  } else {
    const source = sourceOf(settings.direction);
    resolved = { fields: current[source].fields, winner: source, strategy: 'direction' };
  }
  const writes: Write<F>[] = [];
  for (const side of ['oro', 'microsoft'] as const) {
    const now = current[side];
    if (hashFields(now.fields) !== hashFields(resolved.fields)) {
      writes.push(updateWrite(side, linkId, now.id, resolved.fields, now.fields));
    }
  }
  return {
    ...base,
    writes,
    outcome: { type: 'link', base: resolved.fields, versions },
    conflict: {
      strategy: resolved.strategy,
      winner: resolved.winner,
      oro: current.oro.fields,
      microsoft: current.microsoft.fields,
      result: resolved.fields,
    },
  };
}

/**
 * The base a conflict strategy compares with when the two items never shared a version:
 * what both hold; where they differ, the empty value when one side has nothing there (so
 * the other side's value counts as the only change, and a field merge keeps it), else null
 * (changed on both: the strategy's fallback decides).
 */
function noAncestor<F extends Fields>(oro: F, microsoft: F): F {
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const empty = (v: unknown) =>
    v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
  const keys = new Set([...Object.keys(oro), ...Object.keys(microsoft)]);
  return Object.fromEntries(
    [...keys].map((k) => {
      const [o, m] = [oro[k], microsoft[k]];
      return [k, same(o, m) || empty(o) ? o : empty(m) ? m : null];
    }),
  ) as F;
}
