import { ServiceBusClient } from '@azure/service-bus';
import { DEMO } from '../../../dev/seed';
import { QUEUES } from '../../../shared/messaging/messages';
import { connect } from '../../support/sign-in';
import { useTestStack } from '../../support/stack';

const USER = DEMO.inheritingUserId;
const MEGAN = 'megan.bowen@contoso.example';

/** Sync work queued with services.syncQueue reaches the task-sync function through the local Service Bus. */
describe('the task-sync queue function behind Service Bus', () => {
  const t = useTestStack({ seed: true });
  const until = <T>(probe: () => Promise<T | undefined> | T | undefined) => t.until(probe, 15_000);
  const taskStatus = () => t.syncStatus(USER, 'tasks');

  it('a message sent through services.syncQueue runs the sync for that user and is completed', async () => {
    expect((await connect(t.api, USER)).message.ok).toBe(true);
    expect((await taskStatus())?.lastSyncAt).toBeNull();

    await t.stack.services.syncQueue.send([
      {
        body: { userId: USER, entity: 'tasks', reason: 'manual', requestedAt: new Date().toISOString() },
        messageId: `manual:${USER}:tasks:e2e-1`,
      },
    ]);

    const status = await until(async () => {
      const s = await taskStatus();
      return s?.lastSyncAt ? s : undefined;
    });
    // The demo organization syncs tasks one way: its two Oro tasks go to To Do.
    expect(status).toMatchObject({ state: 'idle', lastResult: { created: 2, errors: 0 } });
    expect(
      t.stack.microsoft
        .todo(MEGAN)
        .all()
        .map((t) => t.title)
        .sort(),
    ).toEqual(expect.arrayContaining(['Call Acme about the renewal', 'Prepare the Q3 forecast']));
    await until(() => (t.stack.serviceBus.counts(QUEUES.tasks).locked === 0 ? true : undefined));
    expect(t.stack.serviceBus.counts(QUEUES.tasks)).toMatchObject({ active: 0, locked: 0, deadLettered: 0 });
    expect(t.logs.some((l) => l.includes(`taskSync ${USER} (manual): ok`))).toBe(true);
  });

  it('a poison message is retried up to the max delivery count, then dead-lettered with the failure logged', async () => {
    const client = new ServiceBusClient(t.stack.serviceBus.connectionString);
    try {
      await client.createSender(QUEUES.tasks).sendMessages({
        body: { userId: USER, entity: 'tasks', reason: 'whim' },
        sessionId: USER,
        messageId: 'poison-e2e-1',
      });
    } finally {
      await client.close();
    }
    const dead = await until(() => t.stack.serviceBus.deadLettered(QUEUES.tasks)[0]);
    expect(dead).toMatchObject({
      messageId: 'poison-e2e-1',
      reason: 'MaxDeliveryCountExceeded',
      deliveryCount: 5,
    });
    const failures = t.logs.filter((l) => l.includes('poison-e2e-1') && l.includes('failed'));
    expect(failures).toHaveLength(5);
    expect(t.logs.some((l) => l.includes('taskSync: invalid message') && l.includes('reason'))).toBe(true);
  });

  it('reports the service bus in health', async () => {
    const healthy = await t.api('GET', '/api/health', { token: null });
    expect(healthy.body).toMatchObject({
      status: 'ok',
      checks: expect.arrayContaining([{ name: 'service bus', ok: true }]) as unknown,
    });
  });
});
