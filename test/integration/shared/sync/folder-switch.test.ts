import { SyncLogRepository } from '../../../../shared/storage/sync-log-repository';
import { SyncStateRepository } from '../../../../shared/storage/sync-state-repository';
import type { SyncSettings } from '../../../../shared/sync/model';
import { MS_USER, ORO_OWNER, startSyncHarness, type SyncHarness } from '../../../support/sync-harness';

const BI: SyncSettings = { direction: 'bidirectional', conflictResolution: 'oro-wins' };

/**
 * The To Do list chosen for sync (setting tasks.microsoftListId) changes: a clean pairing
 * with the new list, nothing deleted or changed in the old one, nothing duplicated.
 */
describe('choosing another To Do list (tasks.microsoftListId)', () => {
  let h: SyncHarness;
  let chosen: string | undefined;
  beforeAll(async () => {
    h = await startSyncHarness(ORO_OWNER, { folder: () => chosen });
  });
  afterAll(() => h.close());

  const titles = (items: { title?: string; subject?: string }[]) =>
    items.map((t) => t.title ?? t.subject ?? '').sort();
  const oroTitles = () => titles(h.oro.tasks(ORO_OWNER));
  const listSnapshot = (listId: string) =>
    h.microsoft
      .todoLists(MS_USER)
      .find((l) => l.listId === listId)!
      .all()
      .map((t) => ({ id: t.id, title: t.title, etag: t.etag }))
      .sort((a, b) => a.title.localeCompare(b.title));
  const log = () => new SyncLogRepository(h.tables).list(ORO_OWNER, { entity: 'tasks', limit: 100 });

  let defaultList: string;
  let work: string;

  it('syncs the default list while nothing is chosen', async () => {
    h.oro.createTask(ORO_OWNER, { subject: 'Call Acme' });
    h.microsoft.todo(MS_USER).create({ title: 'Book flight' });
    defaultList = h.microsoft.todo(MS_USER).listId;
    expect(await h.run(BI)).toMatchObject({ status: 'ok', result: { created: 2 } });
    expect(titles(h.microsoft.todo(MS_USER).all())).toEqual(['Book flight', 'Call Acme']);
  });

  it('naming the default list by its id changes nothing: no links retired, nothing read in full', async () => {
    chosen = defaultList;
    const links = await h.links();
    const report = await h.run(BI);
    expect(report).toMatchObject({ status: 'ok', result: { created: 0, updated: 0, deleted: 0 } });
    expect((await h.links()).map((l) => l.linkId).sort()).toEqual(links.map((l) => l.linkId).sort());
    expect((await log()).some((e) => e.detail?.startsWith('switched'))).toBe(false);
    const { state } = (await new SyncStateRepository(h.tables).get(ORO_OWNER, 'tasks'))!;
    expect(state.folder).toEqual({ chosen: defaultList, id: defaultList, name: 'Tasks' });
  });

  it('a run built before the choice changed again does not switch: it stops and changes nothing', async () => {
    const list = h.microsoft.addTodoList(MS_USER, 'Work');
    work = list.listId;
    list.create({ title: 'Order paper' });
    chosen = work;
    const links = await h.links();
    const before = listSnapshot(defaultList);
    // The settings say the default list again by the time the run holds its lease.
    await expect(h.run(BI, undefined, { folderChoice: () => Promise.resolve(defaultList) })).rejects.toThrow(
      /changed again while this run started/,
    );
    expect((await h.links()).length).toBe(links.length);
    expect(listSnapshot(defaultList)).toEqual(before);
    expect(listSnapshot(work).map((t) => t.title)).toEqual(['Order paper']);
  });

  it('switches to the chosen list: old list untouched, the new one paired afresh, each task once', async () => {
    const before = listSnapshot(defaultList);
    const report = await h.run(BI, undefined, { folderChoice: () => Promise.resolve(work) });
    expect(report).toMatchObject({ status: 'ok', result: { created: 3, deleted: 0, errors: 0 } });
    // Nothing in the old list was deleted or even written.
    expect(listSnapshot(defaultList)).toEqual(before);
    // The new list has every Oro task once; Oro has the new list's task once.
    expect(listSnapshot(work).map((t) => t.title)).toEqual(['Book flight', 'Call Acme', 'Order paper']);
    expect(oroTitles()).toEqual(['Book flight', 'Call Acme', 'Order paper']);
    const switched = (await log()).find((e) => e.detail?.startsWith('switched'));
    expect(switched).toMatchObject({ action: 'unlink', outcome: 'ok' });
    expect(switched!.detail).toBe(
      'switched to task list "Work": 2 link(s) to the old task list "Tasks" retired, nothing deleted in it; both sides are read in full and paired with the new task list',
    );
    expect(await h.links()).toHaveLength(3);
  });

  it('the next run is an ordinary one: nothing created twice', async () => {
    const report = await h.run(BI);
    expect(report).toMatchObject({ status: 'ok', result: { created: 0, updated: 0, deleted: 0 } });
    expect(report.requests.microsoft).toBe(1);
    expect(listSnapshot(work)).toHaveLength(3);
    expect(oroTitles()).toEqual(['Book flight', 'Call Acme', 'Order paper']);
  });

  it('a deletion in Oro now reaches the new list only', async () => {
    const before = listSnapshot(defaultList);
    const task = h.oro.tasks(ORO_OWNER).find((t) => t.subject === 'Call Acme')!;
    h.oro.deleteTask(task.id);
    expect(await h.run(BI)).toMatchObject({ status: 'ok', result: { deleted: 1 } });
    expect(listSnapshot(work).map((t) => t.title)).toEqual(['Book flight', 'Order paper']);
    expect(listSnapshot(defaultList)).toEqual(before);
  });

  it('switching back to the list synced before pairs what both still hold: nothing twice', async () => {
    chosen = defaultList;
    const report = await h.run(BI);
    expect(report).toMatchObject({ status: 'ok', result: { deleted: 0, errors: 0 } });
    // 'Book flight' is in both and pairs; the old list's 'Call Acme' (deleted in Oro while the
    // other list was chosen) comes back to Oro as any unpaired task would; 'Order paper' is new there.
    expect(listSnapshot(defaultList).map((t) => t.title)).toEqual([
      'Book flight',
      'Call Acme',
      'Order paper',
    ]);
    expect(oroTitles()).toEqual(['Book flight', 'Call Acme', 'Order paper']);
    expect(
      (await log()).some((e) => e.action === 'link' && e.detail?.includes('paired with an existing item')),
    ).toBe(true);
    expect(await h.run(BI)).toMatchObject({ status: 'ok', result: { created: 0, updated: 0, deleted: 0 } });
  });

  it('a chosen list that is gone fails the run with the setting to change, and retires nothing', async () => {
    chosen = 'AAMkAD-tasks-no-such-list';
    const links = await h.links();
    await expect(h.run(BI)).rejects.toThrow(
      'The task list chosen for sync (setting tasks.microsoftListId) is not in the Microsoft account any more',
    );
    expect(await h.links()).toHaveLength(links.length);
    const { state } = (await new SyncStateRepository(h.tables).get(ORO_OWNER, 'tasks'))!;
    expect(state.status).toBe('error');
    expect(state.lastError).toContain('tasks.microsoftListId');
  });
});
