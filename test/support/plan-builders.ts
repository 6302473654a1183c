/** Links, changes and settings for the planner's unit tests (test/unit/shared/sync/plan.*). */
import { hashFields, type Change, type Link, type SyncSettings } from '../../shared/sync/model';
import { plan, type ItemPlan } from '../../shared/sync/plan';

export type F = { title: string; note: string };
export const f = (title: string, note = ''): F => ({ title, note });

export const link = (id: string, base: F, extra: Partial<Link<F>> = {}): Link<F> => ({
  linkId: `L${id}`,
  oroId: `o${id}`,
  microsoftId: `m${id}`,
  oroVersion: 'ov1',
  microsoftVersion: 'mv1',
  base,
  baseHash: hashFields(base),
  ...extra,
});
export const up = (
  id: string,
  fields: F,
  version = 'v2',
  modifiedAt = '2026-01-01T00:00:00Z',
  linkId?: string,
): Change<F> => ({
  type: 'upsert',
  item: { id, version, fields, modifiedAt, ...(linkId ? { linkId } : {}) },
});
export const del = (id: string): Change<F> => ({ type: 'delete', id });

export const BI: SyncSettings = { direction: 'bidirectional', conflictResolution: 'oro-wins' };
export const O2M: SyncSettings = { direction: 'oro-to-microsoft', conflictResolution: 'oro-wins' };
export const M2O: SyncSettings = { direction: 'microsoft-to-oro', conflictResolution: 'oro-wins' };

export const only = (items: ItemPlan<F>[]): ItemPlan<F> => {
  expect(items).toHaveLength(1);
  return items[0]!;
};
export const run = (links: Link<F>[], oro: Change<F>[], microsoft: Change<F>[], settings = BI) =>
  plan({ links, changes: { oro, microsoft }, settings });
