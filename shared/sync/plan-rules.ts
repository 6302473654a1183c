import {
  hashFields,
  linkIdFor,
  otherSide,
  writable,
  type Change,
  type Fields,
  type ReadOnly,
  type Side,
  type Snapshot,
  type SyncSettings,
} from './model';
import type { ConflictRecord, PlanInput, Write } from './plan';

/*
 * Rules every part of the planner shares (plan.ts and its plan-*.ts modules): who is the
 * source of a pair with someone else's item, how a one-way skip reads, what an update
 * writes, and what a conflict's winner must leave as it is.
 */

export type ChangeIndex<F extends Fields> = Map<string, Change<F>>;
export type Changes<F extends Fields> = { oro: ChangeIndex<F>; microsoft: ChangeIndex<F> };
/** Items already given to a link (or a pairing) in this plan: none is taken twice. */
export type Consumed = { oro: Set<string>; microsoft: Set<string> };

const SIDE_NAMES: Record<Side, string> = { oro: 'Oro', microsoft: 'Microsoft' };

/**
 * Which item of a pair is someone else's. When both read so (an invitation and our copy of
 * it), Microsoft's: that is where the organizer's changes arrive as meeting updates.
 */
export const readOnlyOf = <F extends Fields>(
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
export function readOnlySettings(settings: SyncSettings, readOnly: ReadOnly): SyncSettings | undefined {
  if (!writable(settings.direction, otherSide(readOnly.side))) {
    return undefined;
  }
  return {
    ...settings,
    direction: readOnly.side === 'microsoft' ? 'microsoft-to-oro' : 'oro-to-microsoft',
  };
}

/** Why a change stayed where it was, in the admin's words. */
export const oneWayNote = (settings: SyncSettings, target: Side): string =>
  `not copied to ${SIDE_NAMES[target]}: this sync runs one way (${settings.direction})`;

/**
 * A resolution with what each side cannot undo kept where the winner did not touch it (a
 * series' occurrence cancelled in Outlook, which Graph cannot bring back, while Oro won
 * with edits elsewhere): both sides then get it, instead of a write Outlook cannot take
 * (found by the calendar property test). Bidirectional only: a one-way sync never writes
 * its source.
 */
export function keepIrreversible<
  F extends Fields,
  R extends { fields: F; winner: ConflictRecord<F>['winner'] },
>(resolved: R, current: Record<Side, Snapshot<F>>, base: F, keeps: NonNullable<PlanInput<F>['keeps']>): R {
  let fields = resolved.fields;
  for (const side of ['oro', 'microsoft'] as const) {
    fields = keeps[side]?.(current[side].fields, fields, base) ?? fields;
  }
  return hashFields(fields) === hashFields(resolved.fields)
    ? resolved
    : { ...resolved, fields, winner: 'merged' };
}

export function updateWrite<F extends Fields>(
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
 * The link id of a new link from an unlinked item: the one it carries (our copy, an Oro
 * event's uid), unless a stored link has that id already (a leftover copy of a link this
 * run keeps or drops): then one derived from the item, so no link row is written twice.
 */
export const newLinkId = <F extends Fields>(
  item: Snapshot<F>,
  side: Side,
  taken: ReadonlySet<string>,
): string => (item.linkId !== undefined && !taken.has(item.linkId) ? item.linkId : linkIdFor(side, item.id));
