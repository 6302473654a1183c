import type { Fields } from '../model';
import type { ConflictStrategy } from './strategy';

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

type Side = 'oro' | 'microsoft';
type Merged = { value: unknown; from: Set<Side> };

/** One value of three versions: a side that changed it alone wins; both changed it → Oro. */
function mergeValue(base: unknown, oro: unknown, microsoft: unknown): Merged {
  const oroChanged = !same(oro, base);
  const msChanged = !same(microsoft, base);
  if (msChanged && !oroChanged) {
    return { value: microsoft, from: new Set(['microsoft']) };
  }
  if (oroChanged && msChanged && occurrenceList(base) && occurrenceList(oro) && occurrenceList(microsoft)) {
    return mergeOccurrences(base, oro, microsoft);
  }
  return { value: oro, from: new Set(oroChanged ? ['oro'] : []) };
}

type Occurrence = { originalStart: string };
const occurrenceList = (v: unknown): v is Occurrence[] =>
  Array.isArray(v) &&
  v.every((e) => typeof e === 'object' && e !== null && typeof (e as Occurrence).originalStart === 'string');

/**
 * A series' exceptions merge per occurrence, so an occurrence moved in Oro and another
 * cancelled in Microsoft both survive; the same occurrence changed on both → Oro's.
 */
function mergeOccurrences(base: Occurrence[], oro: Occurrence[], microsoft: Occurrence[]): Merged {
  const index = (list: Occurrence[]) => new Map(list.map((e) => [e.originalStart, e]));
  const [b, o, m] = [index(base), index(oro), index(microsoft)];
  const from = new Set<Side>();
  const value: Occurrence[] = [];
  for (const key of [...new Set([...b.keys(), ...o.keys(), ...m.keys()])].sort()) {
    const merged = mergeValue(b.get(key), o.get(key), m.get(key));
    merged.from.forEach((s) => from.add(s));
    if (merged.value !== undefined) {
      value.push(merged.value as Occurrence);
    }
  }
  return { value, from };
}

/**
 * Per field: changed on one side only → that side's value; changed on both to different
 * values → the fallback side (Oro). Both sides' edits to different fields survive.
 */
export const fieldMerge: ConflictStrategy = <F extends Fields>({
  base,
  oro,
  microsoft,
}: Parameters<ConflictStrategy>[0] & { base: F }) => {
  const merged: Record<string, unknown> = {};
  const from = new Set<Side>();
  const keys = new Set([...Object.keys(base), ...Object.keys(oro.fields), ...Object.keys(microsoft.fields)]);
  for (const key of keys) {
    const field = mergeValue(base[key], oro.fields[key], microsoft.fields[key]);
    merged[key] = field.value;
    field.from.forEach((s) => from.add(s));
  }
  const winner = from.size === 2 ? 'merged' : from.has('microsoft') ? 'microsoft' : 'oro';
  return { fields: merged as F, winner };
};
