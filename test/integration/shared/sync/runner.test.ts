import { SyncLogRepository } from '../../../../shared/storage/sync-log-repository';
import { SyncStateRepository } from '../../../../shared/storage/sync-state-repository';
import type { SyncSettings } from '../../../../shared/sync/model';
import { MS_USER, ORO_OWNER, startSyncHarness, type SyncHarness } from '../../../support/sync-harness';

const BI: SyncSettings = { direction: 'bidirectional', conflictResolution: 'field-merge' };

describe('sync runner with both simulators and Azurite', () => {
  let h: SyncHarness;
  beforeAll(async () => {
    h = await startSyncHarness();
  });
  afterAll(() => h.close());

  const oroTitles = () =>
    h.oro
      .tasks(ORO_OWNER)
      .map((t) => t.subject)
      .sort();
  const msTitles = () =>
    h.microsoft
      .todo(MS_USER)
      .all()
      .map((t) => t.title)
      .sort();

  it('first run: every task on both sides, once', async () => {
    h.oro.createTask(ORO_OWNER, { subject: 'Call Acme', dueDate: '2026-06-01T09:00:00Z', priority: 'high' });
    h.oro.createTask(ORO_OWNER, { subject: 'Send offer' });
    h.microsoft.todo(MS_USER).create({ title: 'Book flight', importance: 'low' });
    const report = await h.run(BI);
    expect(report).toMatchObject({ status: 'ok', result: { created: 3, updated: 0, deleted: 0, errors: 0 } });
    expect(oroTitles()).toEqual(['Book flight', 'Call Acme', 'Send offer']);
    expect(msTitles()).toEqual(['Book flight', 'Call Acme', 'Send offer']);
    expect(
      h.microsoft
        .todo(MS_USER)
        .all()
        .find((t) => t.title === 'Call Acme'),
    ).toMatchObject({
      importance: 'high',
      // The mailbox is in Pacific time: 1 June starts at 07:00 UTC (To Do stores the instant).
      dueDateTime: { dateTime: '2026-06-01T07:00:00.0000000' },
    });
    expect(await h.links()).toHaveLength(3);
  });

  it('idle run: writes nothing, 1 Graph request and at most 2 Oro requests', async () => {
    const report = await h.run(BI);
    expect(report.result).toEqual({ created: 0, updated: 0, deleted: 0, conflicts: 0, errors: 0 });
    expect(report.requests.microsoft).toBe(1);
    expect(report.requests.oro).toBeLessThanOrEqual(2);
  });

  it('an idle run keeps the last run that changed something, with its counts, beside its own empty result', async () => {
    const { state } = (await new SyncStateRepository(h.tables).get(ORO_OWNER, 'tasks'))!;
    expect(state.lastResult).toEqual({ created: 0, updated: 0, deleted: 0, conflicts: 0, errors: 0 });
    expect(state.lastChange?.result).toEqual({ created: 3, updated: 0, deleted: 0, conflicts: 0, errors: 0 });
    expect(Date.parse(state.lastChange!.at)).toBeLessThan(Date.parse(state.lastSyncAt!));
  });

  it('field-merge keeps both sides’ edits to different fields', async () => {
    const oroTask = h.oro.tasks(ORO_OWNER).find((t) => t.subject === 'Send offer')!;
    const msTask = h.microsoft
      .todo(MS_USER)
      .all()
      .find((t) => t.title === 'Send offer')!;
    h.oro.editTask(oroTask.id, { priority: 'high' });
    h.microsoft.todo(MS_USER).update(msTask.id, { status: 'completed' });
    const report = await h.run(BI);
    expect(report.result).toMatchObject({ updated: 2, conflicts: 1, errors: 0 });
    expect(h.oro.tasks(ORO_OWNER).find((t) => t.id === oroTask.id)).toMatchObject({
      priority: 'high',
      status: 'closed',
    });
    expect(h.microsoft.todo(MS_USER).get(msTask.id)).toMatchObject({
      importance: 'high',
      status: 'completed',
    });
  });

  it('a deletion in Oro deletes the To Do task', async () => {
    const oroTask = h.oro.tasks(ORO_OWNER).find((t) => t.subject === 'Book flight')!;
    h.oro.deleteTask(oroTask.id);
    const report = await h.run(BI);
    expect(report.result).toMatchObject({ deleted: 1, errors: 0 });
    expect(msTitles()).toEqual(['Call Acme', 'Send offer']);
  });

  it('a crash after the To Do creates, before the links are saved, makes no duplicate', async () => {
    h.oro.createTask(ORO_OWNER, { subject: 'Crash test' });
    await expect(h.run(BI, 'after-microsoft-writes')).rejects.toThrow('after-microsoft-writes');
    expect(msTitles()).toEqual(['Call Acme', 'Crash test', 'Send offer']);
    h.advance(10 * 60_000); // the crashed run's lease runs out
    const report = await h.run(BI);
    expect(report.status).toBe('ok');
    expect(msTitles()).toEqual(['Call Acme', 'Crash test', 'Send offer']);
    expect(oroTitles()).toEqual(['Call Acme', 'Crash test', 'Send offer']);
    expect((await h.links()).filter((l) => l.pending)).toEqual([]);
  });

  it('a crash after an Oro create is adopted by content next time', async () => {
    h.microsoft.todo(MS_USER).create({ title: 'From To Do' });
    await expect(h.run(BI, 'after-oro-writes')).rejects.toThrow();
    h.advance(10 * 60_000);
    await h.run(BI);
    expect(oroTitles().filter((t) => t === 'From To Do')).toHaveLength(1);
    expect(msTitles().filter((t) => t === 'From To Do')).toHaveLength(1);
  });

  it('a write refused for good is logged once and waits for the next change, not retried every run', async () => {
    // Oro refuses a task without a subject (400): no retry can fix that.
    const untitled = h.microsoft.todo(MS_USER).create({ title: '' });
    const failed = await h.run(BI);
    expect(failed).toMatchObject({ status: 'failed', result: { errors: 1 } });
    expect((await h.links()).filter((l) => l.pending)).toEqual([]);

    h.oro.resetCounts();
    const next = await h.run(BI);
    expect(next).toMatchObject({ status: 'ok', result: { created: 0, errors: 0 } });
    expect(Object.keys(h.oro.requestCounts()).filter((k) => k.startsWith('POST'))).toEqual([]);

    h.microsoft.todo(MS_USER).update(untitled.id, { title: 'Named at last' });
    expect((await h.run(BI)).result).toMatchObject({ created: 1, errors: 0 });
    expect(oroTitles()).toContain('Named at last');
  });

  it('a status Oro’s task workflow refuses does not throw away the other fields, is logged, and is not retried', async () => {
    const oroTask = h.oro.tasks(ORO_OWNER).find((t) => t.subject === 'Send offer')!;
    const msTask = h.microsoft
      .todo(MS_USER)
      .all()
      .find((t) => t.title === 'Send offer')!;
    h.oro.setTaskWorkflow(true);
    try {
      h.microsoft.todo(MS_USER).update(msTask.id, { title: 'Send offer v2', status: 'inProgress' });
      const report = await h.run(BI);
      expect(report).toMatchObject({ status: 'ok', result: { updated: 1, errors: 0 } });
      expect(h.oro.tasks(ORO_OWNER).find((t) => t.id === oroTask.id)).toMatchObject({
        subject: 'Send offer v2',
        status: oroTask.status,
      });
      const [entry] = await new SyncLogRepository(h.tables).list(ORO_OWNER, { entity: 'tasks', limit: 1 });
      expect(entry).toMatchObject({ action: 'update', outcome: 'ok' });
      expect(entry?.detail).toContain('Oro refused status "in_progress"');

      h.oro.resetCounts();
      const next = await h.run(BI);
      expect(next.result).toEqual({ created: 0, updated: 0, deleted: 0, conflicts: 0, errors: 0 });
      expect(Object.keys(h.oro.requestCounts()).filter((k) => k.startsWith('PATCH'))).toEqual([]);
    } finally {
      h.oro.setTaskWorkflow(false);
    }
  });

  it('an item deleted while the run was under way is created again, not lost, and the log says so', async () => {
    h.oro.createTask(ORO_OWNER, { subject: 'Deleted meanwhile' });
    await h.run(BI);
    const task = h.oro.tasks(ORO_OWNER).find((t) => t.subject === 'Deleted meanwhile')!;
    const copy = () =>
      h.microsoft
        .todo(MS_USER)
        .all()
        .filter((t) => t.title.startsWith('Deleted meanwhile'));
    h.oro.editTask(task.id, { subject: 'Deleted meanwhile (edited)' });
    // The user deletes the To Do copy after the run read it and before the run writes it.
    const victim = copy()[0]!.id;
    const report = await h.run(BI, undefined, {
      during: (point) => {
        if (point === 'after-read') {
          h.microsoft.todo(MS_USER).remove(victim);
        }
      },
    });
    expect(report.result).toMatchObject({ updated: 0, errors: 1 });
    const [entry] = await new SyncLogRepository(h.tables).list(ORO_OWNER, { entity: 'tasks', limit: 1 });
    expect(entry).toMatchObject({
      action: 'update',
      outcome: 'failed',
      detail: expect.stringContaining('created again') as unknown,
    });

    expect((await h.run(BI)).result).toMatchObject({ created: 1, errors: 0 });
    expect(copy().map((t) => t.title)).toEqual(['Deleted meanwhile (edited)']);
    expect((await h.links()).filter((l) => l.pending)).toEqual([]);
  });

  it('a second run while one holds the lease is turned away', async () => {
    const [a, b] = await Promise.all([h.run(BI), h.run(BI)]);
    expect([a.status, b.status].sort()).toEqual(['busy', 'ok']);
  });
});

describe('sync runner: mass-delete guard', () => {
  let h: SyncHarness;
  beforeAll(async () => {
    h = await startSyncHarness();
  });
  afterAll(() => h.close());

  it('stops a run that would delete most linked items, says why, and runs when the admin confirms', async () => {
    for (let i = 0; i < 14; i++) {
      h.oro.createTask(ORO_OWNER, { subject: `Task ${i}` });
    }
    expect((await h.run(BI)).result.created).toBe(14);
    for (const t of h.oro.tasks(ORO_OWNER).slice(0, 12)) {
      h.oro.deleteTask(t.id);
    }

    const blocked = await h.run(BI);
    expect(blocked).toMatchObject({
      status: 'blocked',
      error: expect.stringContaining('12 of 14') as unknown,
    });
    expect(h.microsoft.todo(MS_USER).all()).toHaveLength(14);
    // Still blocked next time: nothing was forgotten.
    expect((await h.run(BI)).status).toBe('blocked');

    const confirmed = await h.run(BI, undefined, { confirmMassDelete: true });
    expect(confirmed).toMatchObject({ status: 'ok', result: { deleted: 12 } });
    expect(h.microsoft.todo(MS_USER).all()).toHaveLength(2);
  });
});

describe('sync runner when the direction changes', () => {
  let h: SyncHarness;
  beforeAll(async () => {
    h = await startSyncHarness();
  });
  afterAll(() => h.close());

  it('copies what a one-way run skipped once the direction lets it through, and only that', async () => {
    h.oro.createTask(ORO_OWNER, { subject: 'From Oro' });
    h.microsoft.todo(MS_USER).create({ title: 'From To Do' });
    const oneWay = await h.run({ direction: 'oro-to-microsoft', conflictResolution: 'oro-wins' });
    expect(oneWay.result).toMatchObject({ created: 1 });
    expect(h.oro.tasks(ORO_OWNER).map((t) => t.subject)).toEqual(['From Oro']);

    // The admin makes it bidirectional: the To Do task skipped before now comes to Oro.
    const both = await h.run(BI);
    expect(both.result).toMatchObject({ created: 1, updated: 0, deleted: 0, errors: 0 });
    expect(
      h.oro
        .tasks(ORO_OWNER)
        .map((t) => t.subject)
        .sort(),
    ).toEqual(['From Oro', 'From To Do']);
    expect(h.microsoft.todo(MS_USER).all()).toHaveLength(2);
    // The full read happens once, on the change: the next run is idle again.
    const idle = await h.run(BI);
    expect(idle.result).toEqual({ created: 0, updated: 0, deleted: 0, conflicts: 0, errors: 0 });
    expect(idle.requests.microsoft).toBe(1);
  });
});
