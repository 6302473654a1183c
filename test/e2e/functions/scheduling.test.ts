import { ServiceBusClient } from '@azure/service-bus';
import { DEMO } from '../../../dev/seed';
import type { Stack } from '../../../dev/stack';
import { QUEUES } from '../../../shared/messaging/messages';
import { linkPartition } from '../../../shared/storage/link-repository';
import { deliverQueued } from '../../support/service-bus';
import { connect } from '../../support/sign-in';
import { apiClient, startTestStack } from '../../support/stack';

const USER = DEMO.inheritingUserId; // organization acme: every 15 minutes, tasks Oro → Microsoft
const MEGAN = 'megan.bowen@contoso.example';

describe('scheduled sync end to end: timer, Service Bus, task-sync function', () => {
  let stack: Stack;
  let api: ReturnType<typeof apiClient>;
  let offset = 0;
  const advance = (minutes: number) => (offset += minutes * 60_000);
  const fireTimer = () => stack.timers.fire('scheduleTimer');
  const todoTitles = () =>
    stack.microsoft
      .todo(MEGAN)
      .all()
      .map((x) => x.title)
      .sort();
  const status = async () =>
    ((await api('GET', `/api/users/${USER}/sync`)).body as Record<string, Record<string, unknown>>).tasks;
  /** Scheduled messages (retries) on task-sync, seen with a client of its own (peek positions are per client). */
  const peekTasks = async () => {
    const client = new ServiceBusClient(stack.serviceBus.connectionString);
    try {
      return await client.createReceiver(QUEUES.tasks).peekMessages(50);
    } finally {
      await client.close();
    }
  };

  beforeAll(async () => {
    stack = await startTestStack({ seed: true, clock: () => new Date(Date.now() + offset) });
    api = apiClient(stack.url, await stack.adminToken());
    expect((await connect(api, USER)).message.ok).toBe(true);
  });
  afterAll(() => stack?.close());

  it('syncs at the first slot after connecting, and an Oro edit arrives at the next slot, not before', async () => {
    const next = (await status())!.nextSyncAt as string;
    expect(Date.parse(next) - Date.now()).toBeGreaterThan(0);
    expect(Date.parse(next) - Date.now()).toBeLessThanOrEqual(60_000);

    await fireTimer(); // before the slot: nothing is due
    expect(await deliverQueued(stack, QUEUES.tasks, USER)).toEqual([]);

    advance(1);
    await fireTimer();
    expect(await status()).toMatchObject({ state: 'queued' });
    const first = await deliverQueued(stack, QUEUES.tasks, USER);
    expect(first.map((d) => [d.messageId, d.error])).toEqual([
      [`schedule:${USER}:tasks:${next.slice(0, 16).replace(/[-T:]/g, '')}`, undefined],
    ]);
    expect(todoTitles()).toEqual([
      'Book the flight to Berlin', // already in To Do; acme sends tasks one way only
      'Call Acme about the renewal',
      'Prepare the Q3 forecast',
    ]);
    const after = (await status())!;
    expect(after).toMatchObject({ state: 'idle', lastResult: { created: 2, errors: 0 } });
    // acme's interval: the next slot is 15 minutes after this one
    expect(Date.parse(after.nextSyncAt as string) - Date.parse(next)).toBe(15 * 60_000);

    const task = stack.oro.tasks(USER).find((x) => x.subject === 'Prepare the Q3 forecast')!;
    stack.oro.editTask(task.id, { subject: 'Prepare the Q3 forecast (v2)' });
    advance(5);
    await fireTimer();
    expect(await deliverQueued(stack, QUEUES.tasks, USER)).toEqual([]);
    expect(todoTitles()).toContain('Prepare the Q3 forecast');

    advance(10);
    await fireTimer();
    const second = await deliverQueued(stack, QUEUES.tasks, USER);
    expect(second).toHaveLength(1);
    expect(todoTitles()).toContain('Prepare the Q3 forecast (v2)');
    expect(todoTitles()).not.toContain('Prepare the Q3 forecast');
  });

  it('stops queueing a user who disconnected', async () => {
    const other = DEMO.overridingUserId;
    expect((await connect(api, other)).message.ok).toBe(true);
    expect((await api('DELETE', `/api/users/${other}/connection`)).status).toBe(204);
    advance(30);
    await fireTimer();
    expect(await deliverQueued(stack, QUEUES.tasks, other)).toEqual([]);
    const s = ((await api('GET', `/api/users/${other}/sync`)).body as Record<string, Record<string, unknown>>)
      .tasks;
    expect(s).toMatchObject({ nextSyncAt: null });
    await deliverQueued(stack, QUEUES.tasks, USER); // the connected user's run of this slot
  });

  it('retries a throttled run later through a scheduled message, and the status shows it', async () => {
    stack.oro.failNext('throttle-429', 20);
    expect((await api('POST', `/api/users/${USER}/sync`, { body: { entity: 'tasks' } })).status).toBe(202);
    const delivered = await deliverQueued(stack, QUEUES.tasks, USER);
    expect(delivered.map((d) => d.error)).toEqual([undefined]); // completed, not thrown: no redelivery storm
    const [retry] = await peekTasks();
    expect(retry?.messageId).toMatch(new RegExp(`^retry:${USER}:tasks:`));
    expect(retry?.body).toMatchObject({ userId: USER, entity: 'tasks', reason: 'retry', attempt: 1 });
    // at least the first backoff step (30 s) later: Oro asked for 1 s only
    expect(retry!.scheduledEnqueueTimeUtc!.getTime() - Date.now()).toBeGreaterThan(25_000);
    expect(stack.serviceBus.counts(QUEUES.tasks).scheduled).toBe(1);
    expect(await status()).toMatchObject({ state: 'queued', lastError: expect.stringContaining('429') });
  });

  it('dead-letters a run that fails on every delivery, and the status says so', async () => {
    await stack.services.tables.client('links').createEntity({
      partitionKey: linkPartition(USER, 'tasks'),
      rowKey: 'corrupt',
      base: '{not json',
      baseHash: 'x',
    });
    expect((await api('POST', `/api/users/${USER}/sync`, { body: { entity: 'tasks' } })).status).toBe(202);
    const delivered = await deliverQueued(stack, QUEUES.tasks, USER);
    expect(delivered.map((d) => d.deliveryCount)).toEqual([1, 2, 3, 4, 5]);
    expect(delivered.every((d) => d.error !== undefined)).toBe(true);
    const dead = stack.serviceBus.deadLettered(QUEUES.tasks);
    expect(dead.map((d) => d.messageId)).toEqual([
      expect.stringMatching(new RegExp(`^manual:${USER}:tasks:`)),
    ]);
    expect(await status()).toMatchObject({
      state: 'error',
      lastError: expect.stringContaining('failed on each of 5 deliveries and was dead-lettered'),
    });
  });
});
