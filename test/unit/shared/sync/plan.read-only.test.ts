import type { Change } from '../../../../shared/sync/model';
import { type F, f, link, up, del, O2M, only, run } from '../../../support/plan-builders';

describe('plan: items the user only attends (read-only on their side)', () => {
  const base = f('base');
  const reason = 'the user attends this event; Boss organizes it';
  const ro = (id: string, fields: F, version = 'v2'): Change<F> => ({
    type: 'upsert',
    item: { id, version, fields, modifiedAt: '2026-01-01T00:00:00Z', readOnly: reason },
  });
  const invitation = link('1', base, { readOnly: { side: 'microsoft', reason } });

  it('a new invitation is copied to the other side, and the link remembers whose it is', () => {
    const item = only(run([], [], [ro('m5', f('meeting'))]).items);
    expect(item.writes).toEqual([expect.objectContaining({ op: 'create', side: 'oro' })]);
    expect(item.readOnly).toEqual({ side: 'microsoft', reason });
  });

  it('an edit of the copy is not pushed back, even bidirectional; the admin sees why', () => {
    expect(only(run([invitation], [up('o1', f('my edit'))], []).items)).toMatchObject({
      writes: [],
      outcome: { type: 'keep' },
      skipped: reason,
    });
    // Our copy names the same organizer, so it reads as someone else's too: the link decides.
    const copyEdited: Change<F> = {
      type: 'upsert',
      item: { id: 'o1', version: 'v3', fields: f('my edit'), modifiedAt: '', readOnly: reason },
    };
    expect(only(run([invitation], [copyEdited], []).items).writes).toEqual([]);
  });

  it('deleting the copy does not cancel the organizer’s event', () => {
    expect(only(run([invitation], [del('o1')], []).items)).toMatchObject({
      writes: [],
      outcome: { type: 'unlink' },
    });
  });

  it('the organizer’s change flows to the copy, and wins over an edit of the copy', () => {
    expect(only(run([invitation], [], [ro('m1', f('moved'))]).items).writes).toEqual([
      expect.objectContaining({ op: 'update', side: 'oro', fields: f('moved') }),
    ]);
    const both = only(run([invitation], [up('o1', f('mine'))], [ro('m1', f('moved'))]).items);
    expect(both.writes).toEqual([expect.objectContaining({ op: 'update', side: 'oro', fields: f('moved') })]);
    expect(both.conflict).toMatchObject({ strategy: 'direction', winner: 'microsoft' });
  });

  it('the organizer cancelled it while the copy was edited: the copy goes too', () => {
    expect(only(run([invitation], [up('o1', f('mine'))], [del('m1')]).items)).toMatchObject({
      writes: [{ op: 'delete', side: 'oro', id: 'o1' }],
      outcome: { type: 'unlink' },
    });
  });

  it('when the direction does not reach the other side either, nothing is written anywhere', () => {
    expect(only(run([invitation], [up('o1', f('mine'))], [], O2M).items)).toMatchObject({
      writes: [],
      outcome: { type: 'keep' },
      skipped: reason,
    });
  });

  it('a copy found again after a crash is brought up to date from the organizer’s side, not the reverse', () => {
    const copy: Change<F> = {
      type: 'upsert',
      item: {
        id: 'm7',
        version: 'v',
        fields: f('organizer'),
        modifiedAt: '',
        linkId: 'uid-7',
        readOnly: reason,
      },
    };
    const item = only(run([], [up('o7', f('edited'), 'v', '', 'uid-7')], [copy]).items);
    expect(item).toMatchObject({
      cell: 'pending/adopted',
      linkId: 'uid-7',
      writes: [{ op: 'update', side: 'oro', id: 'o7', fields: f('organizer') }],
    });
    expect(item.readOnly).toEqual({ side: 'microsoft', reason });
  });
});
