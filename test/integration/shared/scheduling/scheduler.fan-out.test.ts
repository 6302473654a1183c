import type { SyncQueue } from '../../../../shared/messaging/sync-queue';
import { QUEUES } from '../../../../shared/messaging/messages';
import type { ShardQueue } from '../../../../shared/messaging/schedule-queue';
import { Scheduler } from '../../../../shared/scheduling/scheduler';
import { shardOf } from '../../../../shared/storage/schedule-repository';
import { TableTraffic } from '../../../support/counting-tables';
import { at, SHARDS, world, closeWorlds } from '../../../support/scheduler-world';

afterEach(closeWorlds);

describe('Scheduler.fanOut and runShard (Azurite, Service Bus emulator)', () => {
  it('queues one work item per shard, and the due users only, one message each with the slot in its id', async () => {
    const w = await world();
    await w.user('a', {}, at('18:59')); // 19:00, acme: 15 minutes
    await w.user('b', { syncIntervalMinutes: 5 }, at('19:00')); // 19:01, own interval 5
    await w.user('c', {}, at('19:09')); // 19:10, not due
    await w.schedule.saveCursor({ through: '202611241859' });

    const r = await w.tick(at('19:01'));

    expect(r.timer).toMatchObject({
      busy: false,
      shards: SHARDS,
      slots: { from: '202611241900', through: '202611241901' },
    });
    expect(r.shards.map((s) => s.shard).sort()).toEqual([0, 1, 2, 3]);
    expect(r).toMatchObject({ read: 4, enqueued: 2, disabled: 2 }); // calendar: disabled everywhere
    expect(await w.ids('a', 'b', 'c')).toEqual([
      'schedule:a:tasks:202611241900',
      'schedule:b:tasks:202611241901',
    ]);
    // a: organization interval 15; b: own interval 5; c: not due, untouched
    expect(await w.taskSlots()).toEqual(['a/tasks@1915', 'b/tasks@1906', 'c/tasks@1910']);
  });

  it('reads nothing but the due rows: per due user-entity at most 1.1 entities and 0.2 requests', async () => {
    const traffic = new TableTraffic();
    const w = await world({ traffic, deps: { pageSize: 100 } });
    const users = Array.from({ length: 120 }, (_, i) => `u${i}`);
    for (const u of users) {
      await w.user(u, u.endsWith('0') ? { syncIntervalMinutes: 5 } : {}, at('18:59'));
    }
    await w.schedule.saveCursor({ through: '202611241859' });
    await w.shardWorkQueued();
    traffic.reset();
    const r = await w.tick(at('19:00'));
    expect(r).toMatchObject({ read: 240, enqueued: 120, disabled: 120 });
    expect(traffic.entitiesRead / r.read).toBeLessThanOrEqual(1.1);
    expect(traffic.requests / r.read).toBeLessThanOrEqual(0.2);
    // every shard's work stayed in its own partition
    const partitions = new Set(traffic.operations.map((o) => o.partition));
    expect([...partitions].filter((p) => p.startsWith('shard-')).length).toBe(SHARDS);
  });

  it('does nothing on a re-run of the same minute; of two overlapping runs one gets the work; a repeated work item doubles nobody', async () => {
    const w = await world();
    for (const id of ['a', 'b', 'c', 'd']) {
      await w.user(id, {}, at('18:59'));
    }
    await w.schedule.saveCursor({ through: '202611241859' });
    const [one, two] = await Promise.all([w.scheduler.fanOut(at('19:00')), w.scheduler.fanOut(at('19:00'))]);
    expect([one.busy, two.busy].sort()).toEqual([false, true]);
    const work = await w.shardWorkQueued();
    expect(work).toHaveLength(SHARDS);
    const first = await Promise.all(work.map((item) => w.scheduler.runShard(item, at('19:00'))));
    const again = await Promise.all(work.map((item) => w.scheduler.runShard(item, at('19:00', 40))));
    expect(first.reduce((n, r) => n + r.enqueued, 0)).toBe(4);
    expect(again.reduce((n, r) => n + r.read + r.enqueued, 0)).toBe(0);
    expect(await w.scheduler.fanOut(at('19:00', 50))).toMatchObject({ busy: false, shards: 0 });
    expect(await w.shardWorkQueued()).toEqual([]);
    expect(await w.ids('a', 'b', 'c', 'd')).toEqual(
      ['a', 'b', 'c', 'd'].map((u) => `schedule:${u}:tasks:202611241900`),
    );
  });

  it('catches up missed minutes in one run, keeping each user on their cadence', async () => {
    const w = await world();
    await w.user('a', {}, at('19:01')); // 19:02
    await w.user('b', { syncIntervalMinutes: 1 }, at('19:04')); // 19:05
    await w.schedule.saveCursor({ through: '202611241900' });
    const r = await w.tick(at('19:20'));
    expect(r.timer.slots).toEqual({ from: '202611241901', through: '202611241920' });
    expect(r.enqueued).toBe(2);
    // a: 19:02 + 15 = 19:17 is past, so 19:32; b: every minute, so 19:21
    expect(await w.taskSlots()).toEqual(['a/tasks@1932', 'b/tasks@1921']);
  });

  it('applies an interval change at user or organization level from the next slot', async () => {
    const w = await world();
    await w.user('a', {}, at('18:59'));
    await w.user('b', {}, at('18:59'));
    await w.schedule.saveCursor({ through: '202611241859' });
    await w.tick(at('19:00'));
    expect(await w.taskSlots()).toEqual(['a/tasks@1915', 'b/tasks@1915']);
    expect(await w.ids('a', 'b')).toHaveLength(2);

    await w.settings.write('user', 'a', { syncIntervalMinutes: 5 }, 'merge', {});
    await w.settings.write('organization', 'acme', { syncIntervalMinutes: 60 }, 'merge', {});
    // the pending slot stays: nothing moves before it comes due
    expect(await w.taskSlots()).toEqual(['a/tasks@1915', 'b/tasks@1915']);
    await w.tick(at('19:15'));
    expect(await w.taskSlots()).toEqual(['a/tasks@1920', 'b/tasks@2015']);
    expect(await w.ids('a', 'b')).toEqual(['schedule:a:tasks:202611241915', 'schedule:b:tasks:202611241915']);
    // back to inheriting: the organization's 60 minutes from the next slot
    await w.settings.write('user', 'a', { syncIntervalMinutes: null }, 'merge', {});
    await w.tick(at('19:20'));
    expect(await w.taskSlots()).toEqual(['a/tasks@2020', 'b/tasks@2015']);
  });

  it('moves disabled users on without a run, enables from the next slot, and drops disconnected and deleted users', async () => {
    const w = await world();
    await w.user('on', {}, at('18:59'));
    await w.user('off', { tasks: { enabled: false } }, at('18:59'));
    await w.user('gone', {}, at('18:59'));
    await w.user('deleted', {}, at('18:59'));
    await w.scheduler.disconnected('gone');
    await w.settings.remove('user', 'deleted', {});
    await w.schedule.saveCursor({ through: '202611241859' });

    const r = await w.tick(at('19:00'));

    const everyone = ['on', 'off', 'gone', 'deleted'];
    expect(await w.ids(...everyone)).toEqual(['schedule:on:tasks:202611241900']);
    expect(r).toMatchObject({ read: 4, enqueued: 1, disabled: 3 }); // off's tasks, both calendars
    expect(await w.slots()).toEqual([
      'off/calendar@1915',
      'off/tasks@1915',
      'on/calendar@1915',
      'on/tasks@1915',
    ]);
    await w.settings.write('user', 'off', { tasks: { enabled: true } }, 'merge', {});
    await w.tick(at('19:15'));
    expect(await w.ids(...everyone)).toEqual([
      'schedule:off:tasks:202611241915',
      'schedule:on:tasks:202611241915',
    ]);
  });

  it("keeps a user's change made while their shard is at work: re-decided, never lost or doubled", async () => {
    let changed = false;
    const w = await world({
      deps: {
        pageSize: 100,
        // Before the first move in a's shard (reads pace 100, moves 3 per row): the user turns
        // tasks off and shortens the interval.
        paceFor: (shard) => async (n) => {
          if (shard === shardOf('a', 'tasks', SHARDS) && n < 100 && !changed) {
            changed = true;
            await w.settings.write(
              'user',
              'a',
              { syncIntervalMinutes: 5, tasks: { enabled: false } },
              'merge',
              {},
            );
          }
        },
      },
    });
    await w.user('a', {}, at('18:59'));
    await w.user('b', {}, at('18:59'));
    await w.schedule.saveCursor({ through: '202611241859' });
    const r = await w.tick(at('19:00'));
    expect(changed).toBe(true);
    // a was queued before the change (a run that finds tasks disabled does nothing), once
    expect(await w.ids('a', 'b')).toEqual(['schedule:a:tasks:202611241900', 'schedule:b:tasks:202611241900']);
    expect(r.movedMeanwhile).toBe(0);
    // a's new interval counts from this slot; one slot row each
    expect(await w.taskSlots()).toEqual(['a/tasks@1905', 'b/tasks@1915']);
    expect(await w.schedule.get('a', 'tasks')).toMatchObject({ intervalMinutes: 5, enabled: false });
  });

  it('spreads users over the shards and queues each exactly once across them', async () => {
    const w = await world();
    const users = Array.from({ length: 24 }, (_, i) => `user-${i}`);
    for (const u of users) {
      await w.user(u, {}, at('18:59'));
    }
    await w.schedule.saveCursor({ through: '202611241859' });
    const r = await w.tick(at('19:00'));
    const perShard = r.shards.map((s) => s.enqueued);
    expect(perShard.filter((n) => n > 0).length).toBe(SHARDS);
    for (const s of r.shards) {
      expect(s.enqueued).toBe(users.filter((u) => shardOf(u, 'tasks', SHARDS) === s.shard).length);
    }
    // on the queue: each once, nothing dropped as a duplicate
    const queued = (await w.bus.peek(QUEUES.tasks)).map((m) => m.messageId as string).sort();
    expect(queued).toEqual(users.map((u) => `schedule:${u}:tasks:202611241900`).sort());
    expect(w.bus.emulator.sent(QUEUES.tasks)).toMatchObject({ accepted: users.length, duplicatesDropped: 0 });
  });

  it('continues a long backlog in new work items within the time budget, queueing everyone once', async () => {
    const w = await world({ deps: { pageSize: 2, workBudgetMs: 0 } });
    const users = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    for (const u of users) {
      await w.user(u, {}, at('18:59'));
    }
    await w.schedule.saveCursor({ through: '202611241859' });
    await w.scheduler.fanOut(at('19:00'));
    let work = await w.shardWorkQueued();
    const parts: (number | undefined)[] = [];
    let read = 0;
    while (work.length > 0) {
      for (const item of work) {
        parts.push(item.part);
        read += (await w.scheduler.runShard(item, at('19:00'))).read;
      }
      work = await w.shardWorkQueued();
    }
    expect(read).toBe(users.length * 2); // calendar rows too (disabled)
    expect(Math.max(...parts.map((p) => p ?? 0))).toBeGreaterThanOrEqual(1);
    expect(await w.ids(...users)).toEqual(users.map((u) => `schedule:${u}:tasks:202611241900`));
    expect((await w.taskSlots()).every((s) => s.endsWith('@1915'))).toBe(true);
  });

  it('leaves the rows when sending fails, and the next work item sends the same ids', async () => {
    const w = await world();
    await w.user('a', {}, at('18:59'));
    await w.schedule.saveCursor({ through: '202611241859' });
    const down: SyncQueue = {
      send: () => Promise.reject(new Error('Service Bus unavailable')),
      close: () => Promise.resolve(),
    };
    await w.scheduler.fanOut(at('19:00'));
    const work = await w.shardWorkQueued();
    const outage = new Scheduler({ ...w.deps, queue: down });
    const mine = work.find((item) => item.shard === shardOf('a', 'tasks', SHARDS))!;
    await expect(outage.runShard(mine, at('19:00'))).rejects.toThrow('Service Bus unavailable');
    expect(await w.taskSlots()).toEqual(['a/tasks@1900']);
    const r = await w.scheduler.runShard({ ...mine, through: '202611241901' }, at('19:01'));
    expect(r).toMatchObject({ enqueued: 1 });
    expect(await w.ids('a')).toEqual(['schedule:a:tasks:202611241900']);
    expect(await w.taskSlots()).toEqual(['a/tasks@1915']);
  });

  it('keeps the cursor when the shard work cannot be queued, and queues the same minutes after the lease', async () => {
    const w = await world();
    await w.user('a', {}, at('18:59'));
    await w.schedule.saveCursor({ through: '202611241859' });
    const down: ShardQueue = {
      send: () => Promise.reject(new Error('Service Bus unavailable')),
      close: () => Promise.resolve(),
    };
    await expect(new Scheduler({ ...w.deps, shardQueue: down }).fanOut(at('19:00'))).rejects.toThrow(
      'Service Bus unavailable',
    );
    expect(await w.scheduler.fanOut(at('19:01'))).toMatchObject({ busy: true }); // the failed run's lease
    const r = await w.tick(at('19:03'));
    expect(r.timer.slots).toEqual({ from: '202611241900', through: '202611241903' });
    expect(await w.ids('a')).toEqual(['schedule:a:tasks:202611241900']);
  });
});
