import type { Fields } from '../model';
import type { ConflictStrategy } from './strategy';

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

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
  let fromOro = false;
  let fromMicrosoft = false;
  const keys = new Set([...Object.keys(base), ...Object.keys(oro.fields), ...Object.keys(microsoft.fields)]);
  for (const key of keys) {
    const oroChanged = !same(oro.fields[key], base[key]);
    const msChanged = !same(microsoft.fields[key], base[key]);
    if (msChanged && !oroChanged) {
      merged[key] = microsoft.fields[key];
      fromMicrosoft = true;
    } else {
      merged[key] = oro.fields[key];
      if (oroChanged) fromOro = true;
    }
  }
  const winner = fromOro && fromMicrosoft ? 'merged' : fromMicrosoft ? 'microsoft' : 'oro';
  return { fields: merged as F, winner };
};
