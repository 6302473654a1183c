import { hashFields, otherSide, writable, type Fields, type Link } from './model';
import type { Cell, ItemPlan } from './plan';
import type { Changes, Consumed } from './plan-rules';
import type { SyncSettings } from './model';

/*
 * Links recorded as pending before a create: adopt the item a create made before a crash,
 * or make the create again under the same link id.
 */

/**
 * A pending link whose create may have happened before a crash: find the created item
 * (To Do: by the link id it carries; Oro: an unlinked item with exactly the intended
 * content) and adopt it; otherwise return the link still pending.
 */
export function adoptPending<F extends Fields>(
  link: Link<F>,
  changes: Changes<F>,
  consumed: Consumed,
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

export function retryCreate<F extends Fields>(
  link: Link<F>,
  changes: Changes<F>,
  consumed: Consumed,
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

/**
 * A link whose Microsoft item is gone while an unlinked Microsoft item carries the link's
 * id: the copy a re-create (an update that won over the deletion) made before a crash.
 * Microsoft creates record no pending link (the copy carries its link id), so it is
 * adopted here in place of the gone item; else the run would create it once more, and
 * copy the leftover back as a new item under the same link id (found by the task
 * property test: one link row dropped and written again in one batch).
 */
export function adoptRecreated<F extends Fields>(
  link: Link<F>,
  changes: Changes<F>,
  consumed: Consumed,
): Link<F> {
  const gone = link.microsoftId;
  if (!gone || changes.microsoft.get(gone)?.type !== 'delete') {
    return link;
  }
  for (const change of changes.microsoft.values()) {
    if (
      change.type === 'upsert' &&
      change.item.linkId === link.linkId &&
      !consumed.microsoft.has(change.item.id)
    ) {
      consumed.microsoft.add(change.item.id);
      return { ...link, microsoftId: change.item.id, microsoftVersion: null };
    }
  }
  return link;
}
