import { linkIdFor, type Link, type SyncSettings } from '../../../../shared/sync/model';
import { MASS_DELETE_MIN } from '../../../../shared/sync/plan';
import { type F, f, link, up, del, O2M, M2O, only, run } from '../../../support/plan-builders';

describe('plan: linked items, every cell', () => {
  const base = f('base');
  const l = link('1', base);

  it('unchanged/unchanged: nothing', () => {
    expect(run([l], [], []).items).toEqual([]);
  });

  it('unchanged/unchanged with new versions of the same content (our own echo): remembers the versions, writes nothing', () => {
    const item = only(run([l], [up('o1', base, 'ov2')], [up('m1', base, 'mv2')]).items);
    expect(item.writes).toEqual([]);
    expect(item.outcome).toEqual({ type: 'link', base, versions: { oro: 'ov2', microsoft: 'mv2' } });
    expect(item.cell).toBe('unchanged/unchanged');
  });

  it('updated/unchanged: updates Microsoft with only the changed fields', () => {
    const item = only(run([l], [up('o1', f('new'))], []).items);
    expect(item.cell).toBe('updated/unchanged');
    expect(item.writes).toEqual([
      { op: 'update', side: 'microsoft', id: 'm1', linkId: 'L1', fields: f('new'), changed: ['title'] },
    ]);
    expect(item.outcome).toMatchObject({ type: 'link', base: f('new') });
  });

  it('unchanged/updated: updates Oro', () => {
    const item = only(run([l], [], [up('m1', f('base', 'n'))]).items);
    expect(item.cell).toBe('unchanged/updated');
    expect(item.writes).toEqual([
      { op: 'update', side: 'oro', id: 'o1', linkId: 'L1', fields: f('base', 'n'), changed: ['note'] },
    ]);
  });

  it('deleted/unchanged and unchanged/deleted: delete the other side and unlink', () => {
    expect(only(run([l], [del('o1')], []).items)).toMatchObject({
      cell: 'deleted/unchanged',
      writes: [{ op: 'delete', side: 'microsoft', id: 'm1' }],
      outcome: { type: 'unlink' },
    });
    expect(only(run([l], [], [del('m1')]).items)).toMatchObject({
      cell: 'unchanged/deleted',
      writes: [{ op: 'delete', side: 'oro', id: 'o1' }],
      outcome: { type: 'unlink' },
    });
  });

  it('deleted/deleted: unlink only', () => {
    expect(only(run([l], [del('o1')], [del('m1')]).items)).toMatchObject({
      cell: 'deleted/deleted',
      writes: [],
      outcome: { type: 'unlink' },
    });
  });

  it('deleted/updated and updated/deleted: the update wins and the item is re-created', () => {
    expect(only(run([l], [del('o1')], [up('m1', f('kept'))]).items)).toMatchObject({
      cell: 'deleted/updated',
      oroId: null,
      writes: [{ op: 'create', side: 'oro', linkId: 'L1', fields: f('kept') }],
      outcome: { type: 'link', base: f('kept'), versions: { oro: null, microsoft: 'v2' } },
    });
    expect(only(run([l], [up('o1', f('kept'))], [del('m1')]).items)).toMatchObject({
      cell: 'updated/deleted',
      microsoftId: null,
      writes: [{ op: 'create', side: 'microsoft', fields: f('kept') }],
    });
  });

  it('a re-create names the item it replaces as its attempt, so its idempotency key is not the first create’s', () => {
    expect(only(run([l], [up('o1', f('kept'))], [del('m1')]).items).writes).toEqual([
      { op: 'create', side: 'microsoft', linkId: 'L1', fields: f('kept'), attempt: 'm1' },
    ]);
    expect(only(run([l], [del('o1')], [up('m1', f('kept'))]).items).writes).toEqual([
      { op: 'create', side: 'oro', linkId: 'L1', fields: f('kept'), attempt: 'o1' },
    ]);
  });

  it('updated/updated to the same content: converged, no write', () => {
    expect(only(run([l], [up('o1', f('same'))], [up('m1', f('same'))]).items)).toMatchObject({
      cell: 'updated/updated',
      writes: [],
      outcome: { type: 'link', base: f('same') },
    });
  });

  it('treats an unchanged version as unchanged even if its content were to differ', () => {
    expect(run([l], [up('o1', f('x'), 'ov1')], []).items).toEqual([]);
  });
});

describe('plan: conflicts (both updated), one strategy each', () => {
  const base = f('base', 'base');
  const l = link('1', base);
  const oro = up('o1', f('oro title', 'base'), 'ov2', '2026-01-01T10:00:00Z');
  const ms = up('m1', f('base', 'ms note'), 'mv2', '2026-01-01T11:00:00Z');
  const conflicted = (settings: SyncSettings, o = oro, m = ms) => only(run([l], [o], [m], settings).items);

  it('oro-wins', () => {
    const item = conflicted({ direction: 'bidirectional', conflictResolution: 'oro-wins' });
    expect(item.writes).toEqual([
      expect.objectContaining({ op: 'update', side: 'microsoft', fields: f('oro title', 'base') }),
    ]);
    expect(item.conflict).toEqual({
      strategy: 'oro-wins',
      winner: 'oro',
      oro: f('oro title', 'base'),
      microsoft: f('base', 'ms note'),
      result: f('oro title', 'base'),
    });
  });

  it('microsoft-wins', () => {
    const item = conflicted({ direction: 'bidirectional', conflictResolution: 'microsoft-wins' });
    expect(item.writes).toEqual([expect.objectContaining({ side: 'oro', fields: f('base', 'ms note') })]);
  });

  it('most-recent-wins: the later edit, Oro on a tie', () => {
    const settings: SyncSettings = { direction: 'bidirectional', conflictResolution: 'most-recent-wins' };
    expect(conflicted(settings).conflict?.winner).toBe('microsoft');
    const tie = up('m1', f('base', 'ms note'), 'mv2', '2026-01-01T10:00:00Z');
    expect(conflicted(settings, oro, tie).conflict?.winner).toBe('oro');
  });

  it('field-merge: keeps both sides’ edits to different fields, both sides written', () => {
    const item = conflicted({ direction: 'bidirectional', conflictResolution: 'field-merge' });
    expect(item.conflict?.winner).toBe('merged');
    expect(item.outcome).toMatchObject({ base: f('oro title', 'ms note') });
    expect(item.writes.map((w) => [w.side, w.changed])).toEqual([
      ['oro', ['note']],
      ['microsoft', ['title']],
    ]);
  });

  it('field-merge: a field changed on both sides falls back to Oro', () => {
    const item = conflicted(
      { direction: 'bidirectional', conflictResolution: 'field-merge' },
      up('o1', f('oro', 'base')),
      up('m1', f('ms', 'ms note')),
    );
    expect(item.outcome).toMatchObject({ base: f('oro', 'ms note') });
  });

  it('one way: the source wins, logged as a direction conflict', () => {
    expect(conflicted(M2O).conflict).toMatchObject({ strategy: 'direction', winner: 'microsoft' });
    expect(conflicted(M2O).writes).toEqual([expect.objectContaining({ side: 'oro' })]);
  });
});

describe('plan: directions never write the disabled side', () => {
  const base = f('base');
  const l = link('1', base);

  it('oro-to-microsoft: a Microsoft edit is not copied back; an Oro edit is', () => {
    expect(only(run([l], [], [up('m1', f('ms'))], O2M).items)).toMatchObject({
      writes: [],
      outcome: { type: 'keep' },
      skipped: expect.any(String) as unknown,
    });
    expect(only(run([l], [up('o1', f('oro'))], [], O2M).items).writes).toEqual([
      expect.objectContaining({ side: 'microsoft' }),
    ]);
  });

  it('microsoft-to-oro: an Oro deletion unlinks without deleting in Microsoft', () => {
    expect(only(run([l], [del('o1')], [], M2O).items)).toMatchObject({
      writes: [],
      outcome: { type: 'unlink' },
    });
  });

  it('one way, source deleted while the target was edited: the source’s deletion wins', () => {
    expect(only(run([l], [del('o1')], [up('m1', f('edited'))], O2M).items)).toMatchObject({
      writes: [{ op: 'delete', side: 'microsoft', id: 'm1' }],
      outcome: { type: 'unlink' },
    });
  });

  it('new items flow only from the source', () => {
    const items = run([], [up('o9', f('oro only'))], [up('m9', f('ms only'))], O2M).items;
    expect(items.flatMap((i) => i.writes)).toEqual([
      { op: 'create', side: 'microsoft', linkId: linkIdFor('oro', 'o9'), fields: f('oro only') },
    ]);
    expect(items.find((i) => i.microsoftId === 'm9')).toMatchObject({
      writes: [],
      skipped: expect.any(String) as unknown,
    });
  });
});

describe('plan: mass-delete guard', () => {
  it('blocks a run that would delete more than half of the links, when more than the minimum', () => {
    const links = (n: number) => Array.from({ length: n }, (_, i) => link(String(i), f(String(i))));
    const deleting = (ls: Link<F>[], n: number) => ls.slice(0, n).map((l) => del(l.oroId!));
    const fifteen = links(15);
    expect(run(fifteen, deleting(fifteen, MASS_DELETE_MIN + 1), []).blocked).toMatch(/11 of 15/);
    const thirty = links(30);
    expect(run(thirty, deleting(thirty, 12), []).blocked).toBeUndefined(); // not more than half
  });

  it('lets a small number of deletions through even when it is most of the links', () => {
    const links = Array.from({ length: 4 }, (_, i) => link(String(i), f(String(i))));
    expect(
      run(
        links,
        links.map((l) => del(l.oroId!)),
        [],
      ).blocked,
    ).toBeUndefined();
  });
});
