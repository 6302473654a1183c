import { ServiceBusClient } from '@azure/service-bus';
import { DEMO } from '../../../dev/seed';
import type { Stack } from '../../../dev/stack';
import { QUEUES } from '../../../shared/messaging/messages';
import { linkPartition } from '../../../shared/storage/link-repository';
import { connect } from '../../support/sign-in';
import { apiClient, startTestStack } from '../../support/stack';

const USER = DEMO.inheritingUserId; // organization acme: every 15 minutes, tasks Oro → Microsoft
const MEGAN = 'megan.bowen@contoso.example';
type Status = Record<string, unknown>;

/** The timer, Service Bus (emulator) and the dev host's queue consumer driving the task-sync function. */
describe('scheduled sync end to end', () => {
  let stack: Stack;
  let api: ReturnType<typeof apiClient>;
  let offset = 0;
  const advance = (minutes: number) => (offset += minutes * 60_000);
  const logs: string[] = [];
  /**
   * Fires the schedule timer and waits for the shard work it queued (the dev host's queue
   * consumer runs the scheduleShard function); returns how many runs the shards queued.
   */
  const fireTimer = async () => {
    const from = logs.length;
    await stack.timers.fire('scheduleTimer');
    const line = logs.slice(from).find((l) => l.includes('scheduleTimer: ')) ?? '';
    const timer = /slots \d{12}\.\.(\d{12}), (\d+) shards queued/.exec(line);
    if (!timer) {
      return 0;
    }
    const [, through, shards] = timer;
    const done = await until(() => {
      const lines = logs
        .slice(from)
        .filter((l) => l.includes(`scheduleShard: scheduleShard `) && l.includes(` through ${through}:`));
      return lines.length >= Number(shards) ? lines : undefined;
    });
    return done.reduce((n, l) => n + Number(/ (\d+) queued/.exec(l)?.[1] ?? 0), 0);
  };
  const todoTitles = () =>
    stack.microsoft
      .todo(MEGAN)
      .all()
      .map((x) => x.title)
      .sort();
  const status = async (user: string = USER) =>
    ((await api('GET', `/api/users/${user}/sync`)).body as Record<string, Status>).tasks!;
  const until = async <T>(probe: () => Promise<T | undefined> | T | undefined): Promise<T> => {
    const end = Date.now() + 15_000;
    for (;;) {
      const value = await probe();
      if (value !== undefined) {
        return value;
      }
      if (Date.now() > end) {
        throw new Error(`timed out; status: ${JSON.stringify(await status())}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const ranAfter = (lastSyncAt: unknown) =>
    until(async () => {
      const s = await status();
      return s.lastSyncAt !== lastSyncAt && s.state === 'idle' ? s : undefined;
    });
  /** Messages on a queue, scheduled ones included (a client of its own: peek positions are per client). */
  const peek = async (queue: string) => {
    const client = new ServiceBusClient(stack.serviceBus.connectionString);
    try {
      return await client.createReceiver(queue).peekMessages(50);
    } finally {
      await client.close();
    }
  };
  const peekTasks = () => peek(QUEUES.tasks);
  const peekCalendar = async () =>
    (await peek(QUEUES.calendar)).filter(
      (m) => !m.scheduledEnqueueTimeUtc || m.scheduledEnqueueTimeUtc.getTime() <= Date.now(),
    );

  beforeAll(async () => {
    stack = await startTestStack({
      seed: true,
      clock: () => new Date(Date.now() + offset),
      log: (line) => logs.push(line),
    });
    api = apiClient(stack.url, await stack.adminToken());
    expect((await connect(api, USER)).message.ok).toBe(true);
  });
  afterAll(() => stack?.close());

  it('syncs at the first slot after connecting, and an Oro edit arrives at the next slot, not before', async () => {
    const next = (await status()).nextSyncAt as string;
    expect(Date.parse(next) - Date.now()).toBeGreaterThan(0);
    expect(Date.parse(next) - Date.now()).toBeLessThanOrEqual(60_000);

    expect(await fireTimer()).toBe(0); // before the slot: nothing is due

    advance(1);
    expect(await fireTimer()).toBe(2); // calendar and tasks, both enabled for acme
    const first = await ranAfter(null);
    expect(first).toMatchObject({ lastResult: { created: 2, errors: 0 } });
    expect(todoTitles()).toEqual([
      'Book the flight to Berlin', // already in To Do; acme sends tasks one way only
      'Call Acme about the renewal',
      'Prepare the Q3 forecast',
    ]);
    // acme's interval: the next slot is 15 minutes after this one
    expect(Date.parse(first.nextSyncAt as string) - Date.parse(next)).toBe(15 * 60_000);

    const task = stack.oro.tasks(USER).find((x) => x.subject === 'Prepare the Q3 forecast')!;
    stack.oro.editTask(task.id, { subject: 'Prepare the Q3 forecast (v2)' });
    advance(5);
    expect(await fireTimer()).toBe(0);
    expect(todoTitles()).toContain('Prepare the Q3 forecast');

    advance(10);
    expect(await fireTimer()).toBe(2);
    await ranAfter(first.lastSyncAt);
    expect(todoTitles()).toContain('Prepare the Q3 forecast (v2)');
    expect(todoTitles()).not.toContain('Prepare the Q3 forecast');
  });

  it('stops queueing a user who disconnected', async () => {
    const other = DEMO.overridingUserId;
    // Megan is connected to USER already: one Microsoft account per Oro user.
    expect((await connect(api, other, { account: 'adele.vance@contoso.example' })).message.ok).toBe(true);
    expect((await status(other)).nextSyncAt).toEqual(expect.any(String));
    expect((await api('DELETE', `/api/users/${other}/connection`)).status).toBe(204);
    expect((await status(other)).nextSyncAt).toBeNull();
    const before = (await status()).lastSyncAt;
    advance(30);
    expect(await fireTimer()).toBe(2); // the connected user's calendar and tasks only
    await ranAfter(before);
    expect((await status(other)).lastSyncAt).toBeNull();
  });

  it('dead-letters a run that fails on every delivery, and the status says so', async () => {
    await stack.services.tables.client('links').createEntity({
      partitionKey: linkPartition(USER, 'tasks'),
      rowKey: 'corrupt',
      base: '{not json',
      baseHash: 'x',
    });
    try {
      expect((await api('POST', `/api/users/${USER}/sync`, { body: { entity: 'tasks' } })).status).toBe(202);
      const [dead] = await until(() => {
        const found = stack.serviceBus
          .deadLettered(QUEUES.tasks)
          .filter((d) => String(d.messageId).startsWith(`manual:${USER}:tasks:`));
        return found.length > 0 ? found : undefined;
      });
      expect(dead?.deliveryCount).toBe(5);
      // Polled: a run the earlier tests' To Do writes queued (a Graph notification) can fail
      // on the same row meanwhile, and its delivery records its own error after the last one.
      await until(async () => {
        const s = await status();
        return s.state === 'error' &&
          String(s.lastError).includes('failed on each of 5 deliveries and was dead-lettered')
          ? s
          : undefined;
      });
    } finally {
      await stack.services.tables.client('links').deleteEntity(linkPartition(USER, 'tasks'), 'corrupt');
    }
  });

  it('retries a throttled run later through a scheduled message, and the status shows it', async () => {
    // Oro's faults hit whichever request comes next: no calendar run may take them.
    await api('PATCH', `/api/settings/users/${USER}`, { body: { calendar: { enabled: false } } });
    await until(async () => {
      const calendar = ((await api('GET', `/api/users/${USER}/sync`)).body as Record<string, Status>)
        .calendar!;
      return calendar.state === 'disabled' ? true : undefined;
    });
    // Calendar messages still queued (peek sees locked ones too) now end as "disabled" runs.
    await until(async () => ((await peekCalendar()).length === 0 ? true : undefined));
    const deadBefore = stack.serviceBus.deadLettered(QUEUES.tasks).length;
    stack.oro.failNext('throttle-429', 4); // the first request and the client's 3 retries
    expect((await api('POST', `/api/users/${USER}/sync`, { body: { entity: 'tasks' } })).status).toBe(202);
    const retry = await until(async () =>
      (await peekTasks()).find((m) => String(m.messageId).startsWith(`retry:${USER}:tasks:`)),
    );
    expect(retry?.body).toMatchObject({ userId: USER, entity: 'tasks', reason: 'retry', attempt: 1 });
    // at least the first backoff step (30 s) later: Oro asked for 1 s only
    expect(retry.scheduledEnqueueTimeUtc!.getTime() - Date.now()).toBeGreaterThan(25_000);
    // completed, not thrown: no redelivery, nothing more dead-lettered
    expect(stack.serviceBus.deadLettered(QUEUES.tasks)).toHaveLength(deadBefore);
    // queued until the retry runs, with when and why; the failed run is in the log (a
    // notification-driven run may be running or have succeeded meanwhile and cleared lastError)
    const waiting = await until(async () => {
      const s = await status();
      return s.state !== 'running' ? s : undefined;
    });
    expect(waiting).toMatchObject({
      state: 'queued',
      nextRetryAt: retry.scheduledEnqueueTimeUtc!.toISOString(),
      retryAttempt: 1,
      retryReason: expect.stringContaining('429') as unknown,
    });
    const log = (await api('GET', `/api/users/${USER}/sync/log?entity=tasks&limit=50`)).body as {
      entries: { outcome: string; detail?: string }[];
    };
    expect(log.entries.some((e) => e.outcome === 'failed' && e.detail?.includes('429'))).toBe(true);
  });
});
