import { QUEUES } from '../../../../shared/messaging/messages';
import { at, world, closeWorlds } from '../../../support/scheduler-world';

afterEach(closeWorlds);

describe('Scheduler lifecycle (Azurite)', () => {
  it('moves rows of the layout before sharding to the shards, keeping their slot, once', async () => {
    const w = await world();
    await w.user('old', { syncIntervalMinutes: 5 });
    await w.user('both');
    await w.scheduler.connected('both', at('19:10')); // reconnected after the upgrade: stays at 19:11
    const table = w.tables.client('schedule');
    await w.tables.ready();
    for (const [id, slot] of [
      ['old', '202611241858'],
      ['both', '202611241930'],
      ['nobody', '202611241900'],
    ] as const) {
      await table.createEntity({ partitionKey: slot, rowKey: `${id}:tasks`, userId: id, entity: 'tasks' });
      await table.createEntity({ partitionKey: `user:${id}`, rowKey: `${id}:tasks`, slot });
    }
    await w.schedule.saveCursor({ through: '202611241859' });
    const r = await w.tick(at('19:00'));
    expect(r.timer.migrated).toBe(3);
    expect(await w.schedule.get('both', 'tasks')).toMatchObject({ slot: '202611241911' });
    expect(await w.schedule.get('nobody', 'tasks')).toBeUndefined();
    const left: string[] = [];
    for await (const e of table.listEntities()) {
      if (/^\d{12}$|^user:/.test(e.partitionKey!)) {
        left.push(`${e.partitionKey}/${e.rowKey}`);
      }
    }
    expect(left).toEqual([]);
    // old's overdue slot comes due with the next work item, on its own cadence (5 minutes)
    await w.tick(at('19:01'));
    expect(await w.ids('old')).toEqual(['schedule:old:tasks:202611241858']);
    expect(await w.schedule.get('old', 'tasks')).toMatchObject({ slot: '202611241903', intervalMinutes: 5 });
    expect((await w.scheduler.fanOut(at('19:02'))).migrated).toBeUndefined();
  });

  it('schedules both entities at the next minute on connect, and removes them on disconnect', async () => {
    const w = await world();
    await w.user('a');
    await w.scheduler.connected('a', at('19:04'));
    expect(await w.slots()).toEqual(['a/calendar@1905', 'a/tasks@1905']);
    expect(await w.scheduler.nextDue('a', 'tasks')).toBe('2026-11-24T19:05:00.000Z');
    await w.scheduler.connected('a', at('19:20')); // reconnect: due again right away
    expect(await w.slots()).toEqual(['a/calendar@1921', 'a/tasks@1921']);
    await w.scheduler.disconnected('a');
    expect(await w.slots()).toEqual([]);
    expect(await w.scheduler.nextDue('a', 'tasks')).toBeNull();
  });

  it("carries the user's own settings and organization on the rows, kept current by every write", async () => {
    const w = await world();
    await w.settings.write('organization', 'beta', {}, 'replace', {});
    await w.user('a', { syncIntervalMinutes: 5 }, at('19:04'));
    expect(await w.schedule.get('a', 'tasks')).toMatchObject({ organizationId: 'acme', intervalMinutes: 5 });
    await w.settings.write('user', 'a', { organizationId: 'beta', tasks: { enabled: false } }, 'replace', {});
    const row = await w.schedule.get('a', 'tasks');
    expect(row).toMatchObject({ organizationId: 'beta', enabled: false, slot: '202611241905' });
    expect(row).not.toHaveProperty('intervalMinutes');
    expect(await w.schedule.get('a', 'calendar')).not.toHaveProperty('enabled');
  });

  it('queues "sync now" per enabled entity with a fresh id per request, carrying confirmMassDelete', async () => {
    const w = await world();
    await w.user('a');
    const first = await w.scheduler.requestNow(
      'a',
      ['calendar', 'tasks'],
      { confirmMassDelete: true },
      at('19:04'),
    );
    const second = await w.scheduler.requestNow('a', ['tasks'], {}, at('19:04'));
    expect(first.skipped).toEqual([{ entity: 'calendar', reason: 'disabled' }]);
    expect(first.queued).toHaveLength(1);
    expect(second.queued[0]!.messageId).not.toBe(first.queued[0]!.messageId);
    expect((await w.bus.drain(QUEUES.tasks, 'a')).map((m) => m.body as unknown)).toEqual([
      {
        userId: 'a',
        entity: 'tasks',
        reason: 'manual',
        requestedAt: '2026-11-24T19:04:30.000Z',
        confirmMassDelete: true,
      },
      { userId: 'a', entity: 'tasks', reason: 'manual', requestedAt: '2026-11-24T19:04:30.000Z' },
    ]);
    expect((await w.states.get('a', 'tasks'))?.state.queuedAt).toBe(at('19:04').toISOString());
    await expect(w.scheduler.requestNow('nobody', ['tasks'], {}, at('19:04'))).rejects.toMatchObject({
      code: 'not-found',
    });
  });
});
