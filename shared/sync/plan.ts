import type { Change, Fields, Link, ReadOnly, Side, SyncSettings } from './model';
import { planLinked } from './plan-linked';
import { adoptPending, adoptRecreated, retryCreate } from './plan-pending';
import type { Changes, Consumed } from './plan-rules';
import { planUnlinked } from './plan-unlinked';

/** How one side of a linked pair changed since the last sync. */
export type SideState = 'unchanged' | 'updated' | 'deleted';

/**
 * Every cell of the change matrix has a name; each item plan says which one it came from.
 * Linked pairs: `<oro state>/<microsoft state>`. Unlinked items: created on one side, or
 * on both with the same content, or a create retried after a crash, or (first sync) an
 * item paired with the equal item the other side already had (plan-pairing.ts).
 */
export type Cell =
  | `${SideState}/${SideState}`
  | 'created/absent'
  | 'absent/created'
  | 'created/created-same'
  | 'pending/adopted'
  | 'paired/existing';

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
  /** Cell `paired/existing`: what the two items were found equal by, in words. */
  paired?: string;
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
  /**
   * Each side's `SidePort.complete`: what it cannot store, taken from other fields. Items
   * being paired are completed from each other (Oro events have no location).
   */
  complete?: Partial<Record<Side, (fields: F, base: F) => F>>;
  /**
   * No run of this user and entity has completed yet (no cursor saved: the first sync, or
   * the first after an account switch retired the links): unlinked items equal on both
   * sides are paired (plan-pairing.ts), not copied both ways.
   */
  firstSync?: boolean;
  /** The entity's pairing key (pair-keys.ts): items with equal keys are the same item. */
  pairing?: PairingKey<F>;
}

/** What makes two items of an entity the same item on a first sync. */
export interface PairingKey<F extends Fields> {
  /** Equal keys: the same item; undefined: never paired by key. */
  key: (fields: F) => string | undefined;
  /** The key's fields in words, for the log ("title and due date"). */
  by: string;
}

/** Stop instead of deleting more than this share of linked items, when more than MASS_DELETE_MIN. */
export const MASS_DELETE_SHARE = 0.5;
export const MASS_DELETE_MIN = 10;

const idOf = <F extends Fields>(c: Change<F>): string => (c.type === 'upsert' ? c.item.id : c.id);

/**
 * The pure core of a sync run: from what we linked last time and what changed on each
 * side since, the list of writes to make and links to keep. No I/O, no clock.
 */
export function plan<F extends Fields>(input: PlanInput<F>): Plan<F> {
  const changes: Changes<F> = {
    oro: new Map(input.changes.oro.map((c) => [idOf(c), c])),
    microsoft: new Map(input.changes.microsoft.map((c) => [idOf(c), c])),
  };
  const consumed: Consumed = { oro: new Set<string>(), microsoft: new Set<string>() };
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
    const link = stored.pending
      ? adoptPending(stored, changes, consumed)
      : adoptRecreated(stored, changes, consumed);
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

  items.push(...planUnlinked(changes, consumed, input));

  const linked = input.links.filter((l) => !l.pending).length;
  const deletes = items.reduce((n, i) => n + i.writes.filter((w) => w.op === 'delete').length, 0);
  const blocked =
    deletes > MASS_DELETE_MIN && deletes > linked * MASS_DELETE_SHARE
      ? `This run would delete ${deletes} of ${linked} linked items; stopped for safety. Check what changed, then sync again.`
      : undefined;
  return blocked ? { items, blocked } : { items };
}
