import { hashFields, otherSide, writable, type Fields, type Side, type Snapshot } from './model';
import type { Cell, ItemPlan, PlanInput } from './plan';
import { pairExisting } from './plan-pairing';
import { newLinkId, oneWayNote, readOnlyOf, updateWrite, type Changes, type Consumed } from './plan-rules';

/*
 * Items no link holds: a copy we made before a crash (it carries its link id), an item
 * the other side already holds (the first sync pairs them), or a new item to create.
 */

/** Items no link holds: re-paired by the link id they carry, paired with their equal, or created. */
export function planUnlinked<F extends Fields>(
  changes: Changes<F>,
  consumed: Consumed,
  input: PlanInput<F>,
): ItemPlan<F>[] {
  const { settings } = input;
  const taken = new Set(input.links.map((l) => l.linkId));
  const unlinked = (side: Side): Snapshot<F>[] =>
    [...changes[side].values()].flatMap((c) =>
      c.type === 'upsert' && !consumed[side].has(c.item.id) ? [c.item] : [],
    );
  const oroNew = unlinked('oro');
  const msNew = unlinked('microsoft');
  const items: ItemPlan<F>[] = [];

  // A To Do copy we created whose link was never saved (a crash) carries the link id derived
  // from its Oro task: pair them again, and bring the copy up to date if the task moved on.
  const msByLinkId = new Map(msNew.flatMap((m) => (m.linkId ? [[m.linkId, m] as const] : [])));
  const matchedMs = new Set<string>();
  const oroUnpaired: Snapshot<F>[] = [];
  for (const o of oroNew) {
    const linkId = newLinkId(o, 'oro', taken);
    const copy = msByLinkId.get(linkId);
    if (!copy) {
      oroUnpaired.push(o);
      continue;
    }
    matchedMs.add(copy.id);
    const readOnly = readOnlyOf(o, copy);
    // The copy was made from the Oro item, unless the other one is someone else's event.
    const pair = { oro: o, microsoft: copy };
    const from = readOnly?.side ?? 'oro';
    const to = otherSide(from);
    const stale = hashFields(copy.fields) !== hashFields(o.fields) && writable(settings.direction, to);
    items.push({
      cell: 'pending/adopted',
      linkId,
      oroId: o.id,
      microsoftId: copy.id,
      ...(readOnly ? { readOnly } : {}),
      writes: stale ? [updateWrite(to, linkId, pair[to].id, pair[from].fields, pair[to].fields)] : [],
      outcome: {
        type: 'link',
        base: stale ? pair[from].fields : copy.fields,
        versions: { oro: o.version, microsoft: copy.version },
      },
    });
  }

  // First sync: what both sides already hold is paired, by uid or by key, not copied.
  let oroUnmatched = oroUnpaired;
  if (input.firstSync && input.pairing) {
    const paired = pairExisting(
      oroUnpaired,
      msNew.filter((m) => !matchedMs.has(m.id)),
      input,
      input.pairing,
      taken,
    );
    items.push(...paired.items);
    paired.microsoft.forEach((id) => matchedMs.add(id));
    oroUnmatched = oroUnpaired.filter((o) => !paired.oro.has(o.id));
  }

  // The same item created on both sides (e.g. copied by hand before the first sync): link, never duplicate.
  const msByHash = new Map<string, Snapshot<F>[]>();
  for (const m of msNew) {
    if (!matchedMs.has(m.id)) {
      msByHash.set(hashFields(m.fields), [...(msByHash.get(hashFields(m.fields)) ?? []), m]);
    }
  }
  const oroRest: Snapshot<F>[] = [];
  for (const o of oroUnmatched) {
    const twin = msByHash.get(hashFields(o.fields))?.find((m) => !matchedMs.has(m.id));
    if (!twin) {
      oroRest.push(o);
      continue;
    }
    matchedMs.add(twin.id);
    const readOnly = readOnlyOf(o, twin);
    items.push({
      cell: 'created/created-same',
      linkId: newLinkId(o, 'oro', taken),
      oroId: o.id,
      microsoftId: twin.id,
      ...(readOnly ? { readOnly } : {}),
      writes: [],
      outcome: { type: 'link', base: o.fields, versions: { oro: o.version, microsoft: twin.version } },
    });
  }

  for (const [side, created] of [
    ['oro', oroRest],
    ['microsoft', msNew.filter((m) => !matchedMs.has(m.id))],
  ] as const) {
    const target = otherSide(side);
    for (const item of created) {
      const linkId = newLinkId(item, side, taken);
      const ids =
        side === 'oro' ? { oroId: item.id, microsoftId: null } : { oroId: null, microsoftId: item.id };
      const cell: Cell = side === 'oro' ? 'created/absent' : 'absent/created';
      const readOnly = item.readOnly ? { readOnly: { side, reason: item.readOnly } } : {};
      if (!writable(settings.direction, target)) {
        items.push({
          cell,
          linkId,
          ...ids,
          writes: [],
          outcome: { type: 'keep' },
          skipped: oneWayNote(settings, target),
        });
        continue;
      }
      items.push({
        cell,
        linkId,
        ...ids,
        ...readOnly,
        writes: [{ op: 'create', side: target, linkId, fields: item.fields }],
        outcome: {
          type: 'link',
          base: item.fields,
          versions:
            side === 'oro' ? { oro: item.version, microsoft: null } : { oro: null, microsoft: item.version },
        },
      });
    }
  }
  return items;
}
