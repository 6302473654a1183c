import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../../../shared/crypto/secret-box';
import type { SyncQueue } from '../../../../shared/messaging/sync-queue';
import { QUEUES } from '../../../../shared/messaging/messages';
import { Scheduler } from '../../../../shared/scheduling/scheduler';
import { SettingsService } from '../../../../shared/settings/service';
import {
  ConnectionRepository,
  type ConnectionStatus,
} from '../../../../shared/storage/connection-repository';
import { ScheduleRepository, type DueRow } from '../../../../shared/storage/schedule-repository';
import { GLOBAL_ID, SettingsRepository } from '../../../../shared/storage/settings-repository';
import { SyncStateRepository } from '../../../../shared/storage/sync-state-repository';
import { createTableStore } from '../../../../shared/storage/tables';
import { testConnectionString, uniquePrefix } from '../../../support/storage';
import { startTestServiceBus, type TestServiceBus } from '../../../support/service-bus';

const at = (hhmm: string, seconds = 30) =>
  new Date(`2026-11-24T${hhmm}:${String(seconds).padStart(2, '0')}Z`);

const buses: TestServiceBus[] = [];
afterEach(async () => {
  for (const bus of buses.splice(0)) {
    await bus.close();
  }
});

async function world() {
  const bus = await startTestServiceBus();
  buses.push(bus);
  const tables = createTableStore(testConnectionString(), uniquePrefix());
  const settings = new SettingsService(
    new SettingsRepository(tables),
    new SecretBox([{ id: 'k', key: randomBytes(32) }]),
  );
  const connections = new ConnectionRepository(tables);
  const schedule = new ScheduleRepository(tables);
  const states = new SyncStateRepository(tables);
  const queue = bus.queue;
  const scheduler = new Scheduler({ schedule, settings, connections, states, queue, pageSize: 3 });
  /** What reached Service Bus for these users (task-sync), received and completed. */
  const received = async (...users: string[]) => {
    const got = [];
    for (const u of users) {
      got.push(...(await bus.drain(QUEUES.tasks, u)));
    }
    return got.map((m) => ({ messageId: m.messageId as string, body: m.body as unknown }));
  };
  const ids = async (...users: string[]) => (await received(...users)).map((m) => m.messageId).sort();
  await settings.write(
    'global',
    GLOBAL_ID,
    { syncIntervalMinutes: 30, tasks: { enabled: true } },
    'replace',
    {},
  );
  await settings.write('organization', 'acme', { syncIntervalMinutes: 15 }, 'replace', {});
  const user = async (
    id: string,
    overrides: Record<string, unknown> = {},
    status: ConnectionStatus | null = 'connected',
  ) => {
    await settings.write('user', id, { organizationId: 'acme', ...overrides }, 'replace', {});
    if (status) {
      const stamp = '2026-11-24T18:00:00Z';
      await connections.saveAccount(id, {
        status,
        homeAccountId: `h-${id}`,
        username: `${id}@contoso.example`,
        displayName: id,
        tenantId: 't',
        scopes: [],
        connectedAt: stamp,
        updatedAt: stamp,
      });
    }
  };
  const slots = async () => {
    const rows: DueRow[] = [];
    for await (const page of schedule.due('000000000000', '209912312359', 100)) {
      rows.push(...page);
    }
    return rows.map((r) => `${r.userId}/${r.entity}@${r.slot.slice(8)}`).sort();
  };
  return {
    tables,
    settings,
    connections,
    schedule,
    states,
    queue,
    scheduler,
    user,
    slots,
    received,
    ids,
    bus,
  };
}

describe('Scheduler.fanOut (Azurite)', () => {
  it('queues the due users only, one message each with the slot in its id, and moves them on by their interval', async () => {
    const w = await world();
    await w.user('a');
    await w.user('b', { syncIntervalMinutes: 5 });
    await w.user('c');
    await w.schedule.place('a', 'tasks', '202611241900');
    await w.schedule.place('b', 'tasks', '202611241901');
    await w.schedule.place('c', 'tasks', '202611241910');
    await w.schedule.saveCursor({ through: '202611241859' });

    const r = await w.scheduler.fanOut(at('19:01'));

    expect(r).toMatchObject({
      read: 2,
      enqueued: 2,
      slots: { from: '202611241900', through: '202611241901' },
    });
    const got = await w.received('a', 'b', 'c');
    expect(got.map((m) => m.messageId).sort()).toEqual([
      'schedule:a:tasks:202611241900',
      'schedule:b:tasks:202611241901',
    ]);
    expect(got[0]!.body).toMatchObject({
      entity: 'tasks',
      reason: 'schedule',
      requestedAt: at('19:01').toISOString(),
    });
    // a: organization interval 15; b: own interval 5; c: not due, untouched
    expect(await w.slots()).toEqual(['a/tasks@1915', 'b/tasks@1906', 'c/tasks@1910']);
    expect((await w.states.get('a', 'tasks'))?.state.queuedAt).toBe(at('19:01').toISOString());
    expect(await w.states.get('c', 'tasks')).toBeUndefined();
  });

  it('does nothing on a re-run of the same minute, and one of two overlapping runs gets the work', async () => {
    const w = await world();
    for (const id of ['a', 'b', 'c', 'd']) {
      await w.user(id);
      await w.schedule.place(id, 'tasks', '202611241900');
    }
    await w.schedule.saveCursor({ through: '202611241859' });
    const [one, two] = await Promise.all([w.scheduler.fanOut(at('19:00')), w.scheduler.fanOut(at('19:00'))]);
    expect([one.busy, two.busy].sort()).toEqual([false, true]);
    expect(one.enqueued + two.enqueued).toBe(4);
    const again = await w.scheduler.fanOut(at('19:00', 50));
    expect(again).toMatchObject({ busy: false, read: 0, enqueued: 0 });
    expect(await w.ids('a', 'b', 'c', 'd')).toEqual(
      ['a', 'b', 'c', 'd'].map((u) => `schedule:${u}:tasks:202611241900`),
    );
  });

  it('catches up missed minutes in one run, keeping each user on their cadence', async () => {
    const w = await world();
    await w.user('a');
    await w.user('b', { syncIntervalMinutes: 1 });
    await w.schedule.place('a', 'tasks', '202611241902');
    await w.schedule.place('b', 'tasks', '202611241905');
    await w.schedule.saveCursor({ through: '202611241900' });
    const r = await w.scheduler.fanOut(at('19:20'));
    expect(r).toMatchObject({
      read: 2,
      enqueued: 2,
      slots: { from: '202611241901', through: '202611241920' },
    });
    // a: 19:02 + 15 = 19:17 is past, so 19:32; b: every minute, so 19:21
    expect(await w.slots()).toEqual(['a/tasks@1932', 'b/tasks@1921']);
  });

  it('reads the interval at due time: a change at user or organization level applies from the next slot', async () => {
    const w = await world();
    await w.user('a');
    await w.user('b');
    await w.schedule.place('a', 'tasks', '202611241900');
    await w.schedule.place('b', 'tasks', '202611241900');
    await w.schedule.saveCursor({ through: '202611241859' });
    await w.scheduler.fanOut(at('19:00'));
    expect(await w.slots()).toEqual(['a/tasks@1915', 'b/tasks@1915']);
    expect(await w.ids('a', 'b')).toHaveLength(2);

    await w.settings.write('user', 'a', { syncIntervalMinutes: 5 }, 'merge', {});
    await w.settings.write('organization', 'acme', { syncIntervalMinutes: 60 }, 'merge', {});
    // the pending slot stays: nothing moves before it comes due
    expect(await w.slots()).toEqual(['a/tasks@1915', 'b/tasks@1915']);
    await w.scheduler.fanOut(at('19:15'));
    expect(await w.slots()).toEqual(['a/tasks@1920', 'b/tasks@2015']);
    expect(await w.ids('a', 'b')).toEqual(['schedule:a:tasks:202611241915', 'schedule:b:tasks:202611241915']);
  });

  it('does not queue disabled or unconnected users: disabled move on, disconnected leave the schedule', async () => {
    const w = await world();
    await w.user('on');
    await w.user('off', { tasks: { enabled: false } });
    await w.user('gone', {}, 'disconnected');
    await w.user('expired', {}, 'reconnect-required');
    await w.user('never', {}, null);
    for (const id of ['on', 'off', 'gone', 'expired', 'never']) {
      await w.scheduler.connected(id, at('18:59'));
    }
    await w.schedule.saveCursor({ through: '202611241859' });

    const r = await w.scheduler.fanOut(at('19:00'));

    const everyone = ['on', 'off', 'gone', 'expired', 'never'];
    expect(await w.ids(...everyone)).toEqual(['schedule:on:tasks:202611241900']);
    // calendar is disabled for everyone (global default)
    expect(r.skipped).toMatchObject({ disabled: 3, 'not-connected': 6 });
    expect(await w.slots()).toEqual([
      'expired/calendar@1915',
      'expired/tasks@1915',
      'off/calendar@1915',
      'off/tasks@1915',
      'on/calendar@1915',
      'on/tasks@1915',
    ]);
    // enabling takes effect at the next slot
    await w.settings.write('user', 'off', { tasks: { enabled: true } }, 'merge', {});
    await w.scheduler.fanOut(at('19:15'));
    expect(await w.ids(...everyone)).toEqual([
      'schedule:off:tasks:202611241915',
      'schedule:on:tasks:202611241915',
    ]);
  });

  it('drops a row left behind by a move that died halfway, without queueing it', async () => {
    const w = await world();
    await w.user('a');
    await w.schedule.place('a', 'tasks', '202611241900');
    const pointer = await w.schedule.get('a', 'tasks');
    await w.schedule.place('a', 'tasks', '202611241930');
    // a mover that read the pointer before: writes its new row, then loses at the pointer
    await expect(
      w.schedule.move({ userId: 'a', entity: 'tasks', slot: '202611241900' }, pointer!.etag, '202611241905'),
    ).rejects.toMatchObject({ code: 'precondition-failed' });
    await w.schedule.saveCursor({ through: '202611241859' });
    const r = await w.scheduler.fanOut(at('19:10'));
    expect(r).toMatchObject({ read: 1, enqueued: 0, skipped: { stale: 1 } });
    expect(await w.slots()).toEqual(['a/tasks@1930']);
    expect(await w.ids('a')).toEqual([]);
  });

  it('leaves the cursor and the rows when sending fails, and the next run sends the same ids', async () => {
    const w = await world();
    await w.user('a');
    await w.schedule.place('a', 'tasks', '202611241900');
    await w.schedule.saveCursor({ through: '202611241859' });
    const down: SyncQueue = {
      send: () => Promise.reject(new Error('Service Bus unavailable')),
      close: () => Promise.resolve(),
    };
    const outage = new Scheduler({ ...w, connections: w.connections, queue: down });
    await expect(outage.fanOut(at('19:00'))).rejects.toThrow('Service Bus unavailable');
    expect(await w.slots()).toEqual(['a/tasks@1900']);
    expect(await w.scheduler.fanOut(at('19:01'))).toMatchObject({ busy: true }); // lease of the failed run
    const r = await w.scheduler.fanOut(at('19:03'));
    expect(r).toMatchObject({ enqueued: 1, slots: { from: '202611241900', through: '202611241903' } });
    expect(await w.ids('a')).toEqual(['schedule:a:tasks:202611241900']);
    expect(await w.slots()).toEqual(['a/tasks@1915']);
  });
});

describe('Scheduler lifecycle (Azurite)', () => {
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
    expect((await w.received('a')).map((m) => m.body)).toEqual([
      {
        userId: 'a',
        entity: 'tasks',
        reason: 'manual',
        requestedAt: '2026-11-24T19:04:30.000Z',
        confirmMassDelete: true,
      },
      { userId: 'a', entity: 'tasks', reason: 'manual', requestedAt: '2026-11-24T19:04:30.000Z' },
    ]);
    await expect(w.scheduler.requestNow('nobody', ['tasks'], {}, at('19:04'))).rejects.toMatchObject({
      code: 'not-found',
    });
  });
});
