import { hashFields, linkIdFor } from '../../../../shared/sync/model';
import { f, link, up, del, M2O, only, run } from '../../../support/plan-builders';

describe('plan: unlinked items', () => {
  it('created on one side: created on the other, with a link id derived from the source', () => {
    const item = only(run([], [up('o5', f('new'))], []).items);
    expect(item).toMatchObject({
      cell: 'created/absent',
      linkId: linkIdFor('oro', 'o5'),
      writes: [{ op: 'create', side: 'microsoft', fields: f('new') }],
      outcome: { type: 'link', versions: { oro: 'v2', microsoft: null } },
    });
  });

  it('created on both sides with the same content: linked, nothing duplicated', () => {
    expect(only(run([], [up('o5', f('same'))], [up('m5', f('same'))]).items)).toMatchObject({
      cell: 'created/created-same',
      oroId: 'o5',
      microsoftId: 'm5',
      writes: [],
    });
  });

  it('ignores deletions of items we never linked', () => {
    expect(run([], [del('o7')], [del('m7')]).items).toEqual([]);
  });
});

describe('plan: crash recovery of creates', () => {
  const pendingMs = link('1', f('made'), {
    microsoftId: null,
    microsoftVersion: null,
    pending: { side: 'microsoft', hash: hashFields(f('made')), since: '2026-01-01T00:00:00Z' },
  });

  it('adopts the To Do item that carries the link id instead of creating a second one', () => {
    const item = only(run([pendingMs], [], [up('m-created', f('made'), 'mv', undefined, 'L1')]).items);
    expect(item.cell).toBe('pending/adopted');
    expect(item.writes).toEqual([]);
    expect(item).toMatchObject({
      microsoftId: 'm-created',
      outcome: { type: 'link', versions: { microsoft: 'mv' } },
    });
  });

  it('adopts an unlinked Oro item with exactly the intended content', () => {
    const pendingOro = link('2', f('made'), {
      oroId: null,
      oroVersion: null,
      pending: { side: 'oro', hash: hashFields(f('made')), since: '2026-01-01T00:00:00Z' },
    });
    const item = only(run([pendingOro], [up('o-created', f('made'))], []).items);
    expect(item).toMatchObject({ cell: 'pending/adopted', oroId: 'o-created', writes: [] });
  });

  it('records the adopted item even when the receiving side changed it before the next run (one-way; found by the calendar property test)', () => {
    // Oro → Microsoft crashed after creating in Oro; the user edited that copy in Oro before
    // the next run. Microsoft → Oro does not copy the edit back, but the link must record the
    // item it found: kept pending, the create would be tried again every run.
    const pendingOro = link('3', f('made'), {
      oroId: null,
      oroVersion: null,
      pending: { side: 'oro', hash: hashFields(f('made')), since: '2026-01-01T00:00:00Z' },
    });
    const item = only(
      run([pendingOro], [up('o-created', f('edited'), 'ov', undefined, 'L3')], [], M2O).items,
    );
    expect(item).toMatchObject({
      cell: 'pending/adopted',
      oroId: 'o-created',
      writes: [],
      outcome: { type: 'link', base: f('made'), versions: { oro: null, microsoft: 'mv1' } },
    });
  });

  it('never adopts an item another link holds, whatever the order of the links (found by the task property test)', () => {
    const pendingOro = link('2', f('made'), {
      oroId: null,
      oroVersion: null,
      pending: { side: 'oro', hash: hashFields(f('made')), since: '2026-01-01T00:00:00Z' },
    });
    // o1 has the same content but is linked already (listed after the pending link); o-created is ours.
    const held = link('1', f('made'));
    const { items } = run([pendingOro, held], [up('o1', f('made')), up('o-created', f('made'))], []);
    expect(items.find((i) => i.linkId === 'L2')).toMatchObject({
      cell: 'pending/adopted',
      oroId: 'o-created',
    });
    expect(items.filter((i) => i.oroId === 'o1').map((i) => i.linkId)).toEqual(['L1']);
  });

  it('re-pairs a To Do copy by the link id it carries when its link was lost, updating it if the task moved on', () => {
    const copy = up('m-copy', f('old'), 'mv', undefined, linkIdFor('oro', 'o8'));
    const item = only(run([], [up('o8', f('new'))], [copy]).items);
    expect(item).toMatchObject({
      cell: 'pending/adopted',
      oroId: 'o8',
      microsoftId: 'm-copy',
      writes: [{ op: 'update', side: 'microsoft', id: 'm-copy', changed: ['title'] }],
      outcome: { type: 'link', base: f('new') },
    });
    expect(only(run([], [up('o8', f('old'))], [copy]).items).writes).toEqual([]);
  });

  it('a retried re-create keeps its attempt (the same idempotency key as the try before)', () => {
    const again = { ...pendingMs, pending: { ...pendingMs.pending!, attempt: 'm-deleted' } };
    expect(only(run([again], [], []).items).writes).toEqual([
      { op: 'create', side: 'microsoft', linkId: 'L1', fields: f('made'), attempt: 'm-deleted' },
    ]);
  });

  it('creates again when the first create never happened', () => {
    expect(only(run([pendingMs], [], []).items)).toMatchObject({
      writes: [{ op: 'create', side: 'microsoft', linkId: 'L1', fields: f('made') }],
    });
  });
});
