import { CONFLICT_STRATEGIES } from './conflict';
import {
  hashFields,
  otherSide,
  sourceOf,
  writable,
  type Change,
  type Fields,
  type Link,
  type Side,
  type SyncSettings,
} from './model';
import type { Cell, ItemPlan, PlanInput, SideState, Write } from './plan';
import {
  keepIrreversible,
  oneWayNote,
  readOnlyOf,
  readOnlySettings,
  updateWrite,
  type Changes,
} from './plan-rules';

/*
 * A linked pair: how each side changed since the last sync (the change matrix's cell), and
 * what to write so both agree again.
 */

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

export function planLinked<F extends Fields>(
  link: Link<F>,
  changes: Changes<F>,
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
