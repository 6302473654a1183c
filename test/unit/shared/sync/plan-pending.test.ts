import { hashFields, type Change, type Link, type SyncSettings } from '../../../../shared/sync/model';
import { plan } from '../../../../shared/sync/plan';

/**
 * A Microsoft copy re-created before a crash (an update that won over a deletion): it
 * carries its link's id, and no pending link records it (plan-pending.ts, adoptRecreated).
 * Found by the task property test (seed 1354353740): the next run dropped the link and
 * wrote it again in one batch, which Table Storage refuses, so no run ever completed.
 */

type F = { title: string };
const BI: SyncSettings = { direction: 'bidirectional', conflictResolution: 'oro-wins' };
const base: F = { title: 'Call' };
const link: Link<F> = {
  linkId: 'L1',
  oroId: 'o1',
  microsoftId: 'm1',
  oroVersion: 'ov1',
  microsoftVersion: 'mv1',
  base,
  baseHash: hashFields(base),
};
const copy = (fields: F): Change<F> => ({
  type: 'upsert',
  item: { id: 'm2', version: 'mv2', fields, modifiedAt: '2026-01-01T00:00:00Z', linkId: 'L1' },
});

describe('plan: a re-created Microsoft copy left by a crash', () => {
  it('is adopted in place of the gone item: no second copy is created', () => {
    const edited = { title: 'Call v2' };
    const { items } = plan<F>({
      links: [link],
      changes: {
        oro: [{ type: 'upsert', item: { id: 'o1', version: 'ov2', fields: edited, modifiedAt: '' } }],
        microsoft: [{ type: 'delete', id: 'm1' }, copy(edited)],
      },
      settings: BI,
    });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      cell: 'pending/adopted',
      linkId: 'L1',
      oroId: 'o1',
      microsoftId: 'm2',
      writes: [],
    });
    expect(items[0]!.outcome).toMatchObject({ type: 'link', base: edited });
  });

  it('when the user deleted the Oro item too, the copy is its link (the update wins): never a link id dropped and written in one run', () => {
    const edited = { title: 'Call v2' };
    const { items } = plan<F>({
      links: [link],
      changes: {
        oro: [{ type: 'delete', id: 'o1' }],
        microsoft: [{ type: 'delete', id: 'm1' }, copy(edited)],
      },
      settings: BI,
    });
    const linkIds = items.map((i) => i.linkId);
    expect(new Set(linkIds).size).toBe(linkIds.length);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ linkId: 'L1', microsoftId: 'm2' });
    expect(items[0]!.writes).toEqual([
      expect.objectContaining({ op: 'create', side: 'oro', fields: edited }),
    ]);
  });

  it('an unlinked item carrying the id of a link that keeps its own items gets a link id of its own', () => {
    const other: Change<F> = {
      type: 'upsert',
      item: { id: 'm9', version: 'v', fields: { title: 'Other' }, modifiedAt: '', linkId: 'L1' },
    };
    const { items } = plan<F>({ links: [link], changes: { oro: [], microsoft: [other] }, settings: BI });
    expect(items).toHaveLength(1);
    expect(items[0]!.linkId).not.toBe('L1');
    expect(items[0]!.writes).toEqual([expect.objectContaining({ op: 'create', side: 'oro' })]);
  });
});
