import { createHash } from 'node:crypto';
import type { ConflictResolution, Direction } from '../settings/schema';

/** The two sides of every sync. */
export type Side = 'oro' | 'microsoft';
export const otherSide = (side: Side): Side => (side === 'oro' ? 'microsoft' : 'oro');

/** An entity's synced fields in the neutral model both sides map to. */
export type Fields = Readonly<Record<string, unknown>>;

/** One item as a side reports it, already mapped to neutral fields. */
export interface Snapshot<F extends Fields> {
  id: string;
  /** The side's own version token (etag, changeKey, updatedAt). */
  version: string;
  fields: F;
  /** When the side last changed it (ISO), for most-recent-wins. */
  modifiedAt: string;
  /** Our link id, when the item carries one (To Do linkedResources, event extended property, Oro uid). */
  linkId?: string;
  /**
   * The iCalendar UID (RFC 5545) the item carries: Oro calendar event `uid`, Graph event
   * `iCalUId`. Not a synced field (each side keeps its own); the first sync pairs items
   * whose UIDs match (plan-pairing.ts).
   */
  uid?: string;
  /**
   * Why the sync must not update or delete this item on its side (the user only attends an
   * event someone else organizes). Changes still flow from it to the other side.
   */
  readOnly?: string;
}

export type Change<F extends Fields> = { type: 'upsert'; item: Snapshot<F> } | { type: 'delete'; id: string };

/** What we know about a pair of items that are the same thing on both sides. */
export interface Link<F extends Fields> {
  linkId: string;
  oroId: string | null;
  microsoftId: string | null;
  oroVersion: string | null;
  microsoftVersion: string | null;
  /** The fields both sides agreed on at the last sync: the base of field merges and echo suppression. */
  base: F;
  baseHash: string;
  /**
   * A create is under way on this side: written before the create, so a crash between the
   * create and the link save re-finds the created item instead of creating it twice.
   */
  pending?: { side: Side; hash: string; since: string; attempt?: string };
  /**
   * The item on this side is someone else's (an invitation the user attends): it is the
   * source of the pair, and the sync never updates or deletes it there.
   */
  readOnly?: ReadOnly;
  /**
   * We created the item on this side and no read has shown it since. A change feed read
   * from before the create may never mention it, not even when the user deletes it again:
   * the next read checks it directly.
   */
  unconfirmed?: Side;
}

export interface ReadOnly {
  side: Side;
  reason: string;
}

export interface SyncSettings {
  direction: Direction;
  conflictResolution: ConflictResolution;
}

/** Whether changes may be written to `side` under `direction`. */
export function writable(direction: Direction, side: Side): boolean {
  if (direction === 'bidirectional') {
    return true;
  }
  return direction === 'oro-to-microsoft' ? side === 'microsoft' : side === 'oro';
}

/** The side whose changes flow in a one-way sync. */
export const sourceOf = (direction: Exclude<Direction, 'bidirectional'>): Side =>
  direction === 'oro-to-microsoft' ? 'oro' : 'microsoft';

/**
 * Hashes already taken, by fields object. A run hashes each item's fields up to five times
 * (planning, pending link, the write's version, final link); an event's fields carry its
 * series and exceptions. Fields are never changed once made (a change makes a new object),
 * so an object's hash stays its hash.
 */
const hashes = new WeakMap<Fields, string>();

/** Stable hash of neutral fields: key order does not matter. */
export function hashFields(fields: Fields): string {
  let hash = hashes.get(fields);
  if (hash === undefined) {
    const sorted = Object.keys(fields)
      .sort()
      .map((k) => [k, fields[k] ?? null]);
    hash = createHash('sha256').update(JSON.stringify(sorted)).digest('base64url').slice(0, 22);
    hashes.set(fields, hash);
  }
  return hash;
}

/** Link ids are derived from the item that started the link, so a retried create finds its first copy. */
export const linkIdFor = (side: Side, id: string): string =>
  `${side === 'oro' ? 'o' : 'm'}-${createHash('sha256').update(id).digest('base64url').slice(0, 20)}`;
