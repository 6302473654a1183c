import { CONFLICT_STRATEGIES } from './conflict';
import {
  hashFields,
  linkIdFor,
  otherSide,
  sourceOf,
  writable,
  type Change,
  type Fields,
  type Link,
  type ReadOnly,
  type Side,
  type Snapshot,
  type SyncSettings,
} from './model';

/** How one side of a linked pair changed since the last sync. */
export type SideState = 'unchanged' | 'updated' | 'deleted';

/**
 * Every cell of the change matrix has a name; each item plan says which one it came from.
 * Linked pairs: `<oro state>/<microsoft state>`. Unlinked items: created on one side, or
 * on both with the same content, or a create retried after a crash.
 */
export type Cell =
  | `${SideState}/${SideState}`
  | 'created/absent'
  | 'absent/created'
  | 'created/created-same'
  | 'pending/adopted';

export interface Write<F extends Fields> {
  op: 'create' | 'update' | 'delete';
  side: Side;
  linkId: string;
  /** The item to update or delete. */
  id?: string;
  /** Full neutral fields the item must have afterwards (create, update). */
  fields?: F;
  /** Update only: the fields that differ from what the side holds now. */
  changed?: string[];
  /**
   * Create only: which create of this link it is, the id of the item it replaces (none for
   * the link's first create). A side's idempotency key derives from the link id and this: a
   * retry of the same create keeps the key, a re-create after a deletion gets a new one.
   */
  attempt?: string;
}

export interface ConflictRecord<F extends Fields> {
  strategy: SyncSettings['conflictResolution'] | 'direction';
  winner: 'oro' | 'microsoft' | 'merged';
  oro: F;
  microsoft: F;
  result: F;
}

export interface ItemPlan<F extends Fields> {
  cell: Cell;
  linkId: string;
  oroId: string | null;
  microsoftId: string | null;
  writes: Write<F>[];
  /**
   * After the writes: store the link with this base (ids and versions of written sides come
   * from the writes, the others from `versions`), drop it, or leave it as it is.
   */
  outcome:
    | { type: 'link'; base: F; versions: { oro: string | null; microsoft: string | null } }
    | { type: 'unlink' }
    | { type: 'keep' };
  conflict?: ConflictRecord<F>;
  /** Why nothing was written although something changed (a one-way direction, a read-only item). */
  skipped?: string;
  /** Carried into the saved link: the side whose item the sync must not change. */
  readOnly?: ReadOnly;
}

export interface Plan<F extends Fields> {
  items: ItemPlan<F>[];
  /** Set when the plan must not be applied (mass-delete guard). */
  blocked?: string;
}

export interface PlanInput<F extends Fields> {
  links: readonly Link<F>[];
  changes: { oro: readonly Change<F>[]; microsoft: readonly Change<F>[] };
  settings: SyncSettings;
  /** Each side's `SidePort.keeps`: what its current state keeps whatever is written. */
  keeps?: Partial<Record<Side, (current: F, wanted: F, base: F) => F>>;
}

/** Stop instead of deleting more than this share of linked items, when more than MASS_DELETE_MIN. */
export const MASS_DELETE_SHARE = 0.5;
export const MASS_DELETE_MIN = 10;

type ChangeIndex<F extends Fields> = Map<string, Change<F>>;

const idOf = <F extends Fields>(c: Change<F>): string => (c.type === 'upsert' ? c.item.id : c.id);

/**
 * The pure core of a sync run: from what we linked last time and what changed on each
 * side since, the list of writes to make and links to keep. No I/O, no clock.
 */
export function plan<F extends Fields>(input: PlanInput<F>): Plan<F> {
  const changes = {
    oro: new Map(input.changes.oro.map((c) => [idOf(c), c])) as ChangeIndex<F>,
    microsoft: new Map(input.changes.microsoft.map((c) => [idOf(c), c])) as ChangeIndex<F>,
  };
  const consumed = { oro: new Set<string>(), microsoft: new Set<string>() };
  // Every item a link holds is taken before any pending create looks for its item by
  // content: an item with the same content that another link holds is never adopted.
  for (const l of input.links) {
    if (l.oroId) {
      consumed.oro.add(l.oroId);
    }
    if (l.microsoftId) {
      consumed.microsoft.add(l.microsoftId);
    }
  }
  const items: ItemPlan<F>[] = [];
  const { settings } = input;

  for (const stored of input.links) {
    const link = stored.pending ? adoptPending(stored, changes, consumed) : stored;
    if (!link) {
      continue;
    }
    if (link.pending) {
      // The create never happened: make it again, under the same link id.
      items.push(retryCreate(link, changes, consumed, settings));
      continue;
    }
    if (link.oroId) {
      consumed.oro.add(link.oroId);
    }
    if (link.microsoftId) {
      consumed.microsoft.add(link.microsoftId);
    }
    const item = planLinked(link, changes, settings, link !== stored, input.keeps);
    if (item) {
      items.push(item);
    }
  }

  items.push(...planUnlinked(changes, consumed, settings));

  const linked = input.links.filter((l) => !l.pending).length;
  const deletes = items.reduce((n, i) => n + i.writes.filter((w) => w.op === 'delete').length, 0);
  const blocked =
    deletes > MASS_DELETE_MIN && deletes > linked * MASS_DELETE_SHARE
      ? `This run would delete ${deletes} of ${linked} linked items; stopped for safety. Check what changed, then sync again.`
      : undefined;
  return blocked ? { items, blocked } : { items };
}

function sideState<F extends Fields>(link: Link<F>, side: Side, change: Change<F> | undefined): SideState {
  if (!change) {
    return 'unchanged';
  }
  if (change.type === 'delete') {
    return 'deleted';
  }
  const version = side === 'oro' ? link.oroVersion : link.microsoftVersion;
  if (version !== null && change.item.version === version) {
    return 'unchanged';
  }
  // Content, not versions, decides: our own writes come back as echoes with equal content.
  return hashFields(change.item.fields) === link.baseHash ? 'unchanged' : 'updated';
}

function planLinked<F extends Fields>(
  link: Link<F>,
  changes: { oro: ChangeIndex<F>; microsoft: ChangeIndex<F> },
  syncSettings: SyncSettings,
  adopted: boolean,
  keeps: PlanInput<F>['keeps'] = {},
): ItemPlan<F> | undefined {
  const oroChange = link.oroId ? changes.oro.get(link.oroId) : undefined;
  const msChange = link.microsoftId ? changes.microsoft.get(link.microsoftId) : undefined;
  const state = { oro: sideState(link, 'oro', oroChange), microsoft: sideState(link, 'microsoft', msChange) };
  const cell: Cell = adopted ? 'pending/adopted' : `${state.oro}/${state.microsoft}`;
  const current = {
    oro: oroChange?.type === 'upsert' ? oroChange.item : undefined,
    microsoft: msChange?.type === 'upsert' ? msChange.item : undefined,
  };
  const versions = {
    oro: current.oro?.version ?? link.oroVersion,
    microsoft: current.microsoft?.version ?? link.microsoftVersion,
  };
  // The side recorded when the pair was made stays the source: our own copy of an invitation
  // names the same organizer, and reads as someone else's event too.
  const readOnly = link.readOnly ?? readOnlyOf(current.oro, current.microsoft);
  const base = {
    linkId: link.linkId,
    oroId: link.oroId,
    microsoftId: link.microsoftId,
    cell,
    ...(readOnly ? { readOnly } : {}),
  };
  // A read-only item is the source of its pair: the pair runs one way, from it.
  const settings = readOnly ? readOnlySettings(syncSettings, readOnly) : syncSettings;
  // Nothing to write, and the pair stays as it was; an adopted create still records the
  // item it found, or its link would stay pending (and be created again) for ever.
  const keep: ItemPlan<F>['outcome'] = adopted
    ? { type: 'link', base: link.base, versions: { oro: link.oroVersion, microsoft: link.microsoftVersion } }
    : { type: 'keep' };

  // Both unchanged: remember new versions of echoes, else nothing to do.
  if (state.oro === 'unchanged' && state.microsoft === 'unchanged') {
    const moved = versions.oro !== link.oroVersion || versions.microsoft !== link.microsoftVersion;
    return moved || adopted
      ? { ...base, writes: [], outcome: { type: 'link', base: link.base, versions } }
      : undefined;
  }
  if (state.oro === 'deleted' && state.microsoft === 'deleted') {
    return { ...base, writes: [], outcome: { type: 'unlink' } };
  }
  if (!settings) {
    // Someone else's item, and the sync may not write the other side either: nothing moves.
    return {
      ...base,
      writes: [],
      outcome: state.oro === 'deleted' || state.microsoft === 'deleted' ? { type: 'unlink' } : keep,
      skipped: readOnly!.reason,
    };
  }

  // One side changed, the other did not.
  for (const side of ['oro', 'microsoft'] as const) {
    const other = otherSide(side);
    if (state[other] !== 'unchanged') {
      continue;
    }
    const target = { side: other, id: other === 'oro' ? link.oroId : link.microsoftId };
    if (!writable(settings.direction, other)) {
      // One-way: a change on the receiving side is not copied back. A deletion there ends
      // the link (a later change of the source item brings it back as new).
      return {
        ...base,
        writes: [],
        outcome: state[side] === 'deleted' ? { type: 'unlink' } : keep,
        skipped: readOnly?.side === other ? readOnly.reason : oneWayNote(settings, other),
      };
    }
    if (state[side] === 'deleted') {
      return {
        ...base,
        writes: [{ op: 'delete', side: other, linkId: link.linkId, ...(target.id ? { id: target.id } : {}) }],
        outcome: { type: 'unlink' },
      };
    }
    const fields = current[side]?.fields ?? link.base;
    return {
      ...base,
      writes: [updateWrite(other, link.linkId, target.id, fields, current[other]?.fields ?? link.base)],
      outcome: { type: 'link', base: fields, versions },
    };
  }

  // Deleted on one side, updated on the other.
  for (const deletedSide of ['oro', 'microsoft'] as const) {
    if (state[deletedSide] !== 'deleted') {
      continue;
    }
    const updatedSide = otherSide(deletedSide);
    const updated = current[updatedSide];
    if (!updated) {
      continue;
    }
    const deletionIsSource =
      settings.direction !== 'bidirectional' && sourceOf(settings.direction) === deletedSide;
    if (deletionIsSource) {
      return {
        ...base,
        writes: [{ op: 'delete', side: updatedSide, linkId: link.linkId, id: updated.id }],
        outcome: { type: 'unlink' },
      };
    }
    // The update wins: the deleted side gets the item back, as a new create of the link.
    const replaced = deletedSide === 'oro' ? link.oroId : link.microsoftId;
    return {
      ...base,
      ...(deletedSide === 'oro' ? { oroId: null } : { microsoftId: null }),
      writes: [
        {
          op: 'create',
          side: deletedSide,
          linkId: link.linkId,
          fields: updated.fields,
          ...(replaced ? { attempt: replaced } : {}),
        },
      ],
      outcome: {
        type: 'link',
        base: updated.fields,
        versions: { ...versions, [deletedSide]: null },
      },
    };
  }

  // Both updated.
  const oro = current.oro;
  const microsoft = current.microsoft;
  if (!oro || !microsoft) {
    return undefined;
  }
  if (hashFields(oro.fields) === hashFields(microsoft.fields)) {
    return { ...base, writes: [], outcome: { type: 'link', base: oro.fields, versions } };
  }
  const resolved =
    settings.direction === 'bidirectional'
      ? keepIrreversible(
          {
            ...CONFLICT_STRATEGIES[settings.conflictResolution]({ base: link.base, oro, microsoft }),
            strategy: settings.conflictResolution,
          },
          { oro, microsoft },
          link.base,
          keeps,
        )
      : {
          fields: sourceOf(settings.direction) === 'oro' ? oro.fields : microsoft.fields,
          winner: sourceOf(settings.direction),
          strategy: 'direction' as const,
        };
  const writes: Write<F>[] = [];
  for (const side of ['oro', 'microsoft'] as const) {
    const now = current[side]!;
    if (hashFields(now.fields) !== hashFields(resolved.fields)) {
      writes.push(updateWrite(side, link.linkId, now.id, resolved.fields, now.fields));
    }
  }
  return {
    ...base,
    writes,
    outcome: { type: 'link', base: resolved.fields, versions },
    conflict: {
      strategy: resolved.strategy,
      winner: resolved.winner,
      oro: oro.fields,
      microsoft: microsoft.fields,
      result: resolved.fields,
    },
  };
}

const SIDE_NAMES: Record<Side, string> = { oro: 'Oro', microsoft: 'Microsoft' };

/**
 * Which item of a pair is someone else's. When both read so (an invitation and our copy of
 * it), Microsoft's: that is where the organizer's changes arrive as meeting updates.
 */
const readOnlyOf = <F extends Fields>(
  oro: Snapshot<F> | undefined,
  microsoft: Snapshot<F> | undefined,
): ReadOnly | undefined =>
  microsoft?.readOnly
    ? { side: 'microsoft', reason: microsoft.readOnly }
    : oro?.readOnly
      ? { side: 'oro', reason: oro.readOnly }
      : undefined;

/**
 * The settings a pair with a read-only item runs under: one way, from that item. Undefined
 * when the configured direction does not let its changes reach the other side either.
 */
function readOnlySettings(settings: SyncSettings, readOnly: ReadOnly): SyncSettings | undefined {
  if (!writable(settings.direction, otherSide(readOnly.side))) {
    return undefined;
  }
  return {
    ...settings,
    direction: readOnly.side === 'microsoft' ? 'microsoft-to-oro' : 'oro-to-microsoft',
  };
}

/** Why a change stayed where it was, in the admin's words. */
const oneWayNote = (settings: SyncSettings, target: Side): string =>
  `not copied to ${SIDE_NAMES[target]}: this sync runs one way (${settings.direction})`;

/**
 * A resolution with what each side cannot undo kept where the winner did not touch it (a
 * series' occurrence cancelled in Outlook, which Graph cannot bring back, while Oro won
 * with edits elsewhere): both sides then get it, instead of a write Outlook cannot take
 * (found by the calendar property test). Bidirectional only: a one-way sync never writes
 * its source.
 */
function keepIrreversible<F extends Fields, R extends { fields: F; winner: ConflictRecord<F>['winner'] }>(
  resolved: R,
  current: Record<Side, Snapshot<F>>,
  base: F,
  keeps: NonNullable<PlanInput<F>['keeps']>,
): R {
  let fields = resolved.fields;
  for (const side of ['oro', 'microsoft'] as const) {
    fields = keeps[side]?.(current[side].fields, fields, base) ?? fields;
  }
  return hashFields(fields) === hashFields(resolved.fields)
    ? resolved
    : { ...resolved, fields, winner: 'merged' };
}

function updateWrite<F extends Fields>(
  side: Side,
  linkId: string,
  id: string | null,
  fields: F,
  now: F,
): Write<F> {
  const changed = Object.keys(fields).filter(
    (k) => JSON.stringify(fields[k] ?? null) !== JSON.stringify(now[k] ?? null),
  );
  return { op: 'update', side, linkId, ...(id ? { id } : {}), fields, changed };
}

/**
 * A pending link whose create may have happened before a crash: find the created item
 * (To Do: by the link id it carries; Oro: an unlinked item with exactly the intended
 * content) and adopt it; otherwise return the link still pending.
 */
function adoptPending<F extends Fields>(
  link: Link<F>,
  changes: { oro: ChangeIndex<F>; microsoft: ChangeIndex<F> },
  consumed: { oro: Set<string>; microsoft: Set<string> },
): Link<F> | undefined {
  const pending = link.pending;
  if (!pending) {
    return link;
  }
  for (const change of changes[pending.side].values()) {
    if (change.type !== 'upsert' || consumed[pending.side].has(change.item.id)) {
      continue;
    }
    const item = change.item;
    const match =
      item.linkId === link.linkId || (item.linkId === undefined && hashFields(item.fields) === pending.hash);
    if (!match) {
      continue;
    }
    consumed[pending.side].add(item.id);
    const { pending: _done, ...rest } = link;
    // Adopted as created; its current content is classified like any linked item's.
    return pending.side === 'oro'
      ? { ...rest, oroId: item.id, oroVersion: null }
      : { ...rest, microsoftId: item.id, microsoftVersion: null };
  }
  return link;
}

function retryCreate<F extends Fields>(
  link: Link<F>,
  changes: { oro: ChangeIndex<F>; microsoft: ChangeIndex<F> },
  consumed: { oro: Set<string>; microsoft: Set<string> },
  settings: SyncSettings,
): ItemPlan<F> {
  const side = link.pending!.side;
  const sourceSide = otherSide(side);
  const sourceId = sourceSide === 'oro' ? link.oroId : link.microsoftId;
  const sourceChange = sourceId ? changes[sourceSide].get(sourceId) : undefined;
  if (sourceId) {
    consumed[sourceSide].add(sourceId);
  }
  const base = {
    linkId: link.linkId,
    oroId: link.oroId,
    microsoftId: link.microsoftId,
    cell: (side === 'oro' ? 'absent/created' : 'created/absent') as Cell,
    ...(link.readOnly ? { readOnly: link.readOnly } : {}),
  };
  if (sourceChange?.type === 'delete' || !writable(settings.direction, side)) {
    return { ...base, writes: [], outcome: { type: 'unlink' } };
  }
  const source = sourceChange?.type === 'upsert' ? sourceChange.item : undefined;
  const fields = source?.fields ?? link.base;
  const sourceVersion = source?.version ?? (sourceSide === 'oro' ? link.oroVersion : link.microsoftVersion);
  return {
    ...base,
    writes: [
      {
        op: 'create',
        side,
        linkId: link.linkId,
        fields,
        ...(link.pending?.attempt ? { attempt: link.pending.attempt } : {}),
      },
    ],
    outcome: {
      type: 'link',
      base: fields,
      // The side being created has no version yet; the source keeps the newest we know.
      versions:
        side === 'oro' ? { oro: null, microsoft: sourceVersion } : { oro: sourceVersion, microsoft: null },
    },
  };
}

function planUnlinked<F extends Fields>(
  changes: { oro: ChangeIndex<F>; microsoft: ChangeIndex<F> },
  consumed: { oro: Set<string>; microsoft: Set<string> },
  settings: SyncSettings,
): ItemPlan<F>[] {
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
    const linkId = o.linkId ?? linkIdFor('oro', o.id);
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

  // The same item created on both sides (e.g. copied by hand before the first sync): link, never duplicate.
  const msByHash = new Map<string, Snapshot<F>[]>();
  for (const m of msNew) {
    if (!matchedMs.has(m.id)) {
      msByHash.set(hashFields(m.fields), [...(msByHash.get(hashFields(m.fields)) ?? []), m]);
    }
  }
  const oroRest: Snapshot<F>[] = [];
  for (const o of oroUnpaired) {
    const twin = msByHash.get(hashFields(o.fields))?.find((m) => !matchedMs.has(m.id));
    if (!twin) {
      oroRest.push(o);
      continue;
    }
    matchedMs.add(twin.id);
    const readOnly = readOnlyOf(o, twin);
    items.push({
      cell: 'created/created-same',
      linkId: o.linkId ?? linkIdFor('oro', o.id),
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
      const linkId = item.linkId ?? linkIdFor(side, item.id);
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
