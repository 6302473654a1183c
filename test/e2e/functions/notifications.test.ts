import type { SimSubscription } from '../../../dev/microsoft/subscriptions';
import { DEMO } from '../../../dev/seed';
import { COALESCE_MS, NotificationService } from '../../../shared/microsoft/notifications';
import { SubscriptionRepository } from '../../../shared/storage/subscription-repository';
import { SyncStateRepository } from '../../../shared/storage/sync-state-repository';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../dev/servicebus';
import { QUEUES } from '../../../shared/messaging/messages';
import { createServiceBusQueue, type ServiceBusSyncQueue } from '../../../shared/messaging/service-bus-queue';
import { connect } from '../../support/sign-in';
import { useTestStack } from '../../support/stack';

const USER = DEMO.inheritingUserId;

describe('Graph change notifications webhook', () => {
  const t = useTestStack({ seed: true });
  const sim = () => t.stack.microsoft.subscriptions;
  const todoSub = (): SimSubscription =>
    sim()
      .all()
      .find((s) => s.resource.includes('/todo/'))!;
  const change = (s: SimSubscription, over: Record<string, unknown> = {}) => ({
    subscriptionId: s.id,
    subscriptionExpirationDateTime: s.expirationDateTime,
    changeType: 'updated',
    resource: `Users/${s.accountOid}/todo/lists/x/tasks/AAMk1`,
    resourceData: { '@odata.type': '#Microsoft.Graph.todoTask', id: 'AAMk1' },
    clientState: s.clientState,
    tenantId: s.tenantId,
    ...over,
  });
  const rows = async () => {
    const out: unknown[] = [];
    for await (const row of t.stack.services.tables.client('subscriptions').listEntities()) {
      out.push(row);
    }
    return JSON.stringify(out);
  };
  /**
   * The webhook use case over the stack's storage, subscriptions and simulator, sending to a
   * Service Bus emulator of its own that nothing consumes, so the tests can look into it.
   */
  let bus: ServiceBusEmulator;
  let queue: ServiceBusSyncQueue;
  let client: ServiceBusClient;
  const service = (now?: () => Date) =>
    new NotificationService({
      repository: new SubscriptionRepository(t.stack.services.tables),
      subscriptions: t.stack.services.subscriptions,
      states: new SyncStateRepository(t.stack.services.tables),
      queue: () => queue,
      ...(now ? { now } : {}),
    });
  const sent = () => bus.sent(QUEUES.tasks);
  /** Receives (and completes) the user's task-sync messages: waits up to `firstWaitMs` for the first, then until none comes. */
  async function received(firstWaitMs = 300): Promise<ServiceBusReceivedMessage[]> {
    const receiver = await client.acceptSession(QUEUES.tasks, USER);
    try {
      const got: ServiceBusReceivedMessage[] = [];
      for (;;) {
        const wait = got.length === 0 ? firstWaitMs : 300;
        const batch = await receiver.receiveMessages(50, { maxWaitTimeInMs: wait });
        if (batch.length === 0) {
          return got;
        }
        for (const m of batch) {
          await receiver.completeMessage(m);
        }
        got.push(...batch);
      }
    } finally {
      await receiver.close();
    }
  }

  beforeAll(async () => {
    bus = await startServiceBusEmulator({
      queues: [
        { name: QUEUES.tasks, requiresSession: true, duplicateDetectionWindowMs: 60_000 },
        { name: QUEUES.calendar, requiresSession: true, duplicateDetectionWindowMs: 60_000 },
      ],
    });
    queue = createServiceBusQueue(bus.connectionString);
    client = new ServiceBusClient(bus.connectionString);
  });
  afterAll(async () => {
    await queue?.close();
    await client?.close();
    await bus?.close();
  });

  beforeAll(async () => {
    sim().autoNotify = false; // these tests post notifications by hand
    expect((await connect(t.api, USER)).message.ok).toBe(true);
    expect(sim().all()).toHaveLength(2);
  });

  it.each(['/api/notifications', '/api/notifications/lifecycle'])(
    'echoes the decoded validation token as text/plain at %s, at once',
    async (path) => {
      const token = 'Validation: Testing client application reachability for subscription Request-Id: 1+2&3';
      const started = Date.now();
      const res = await t.api('POST', `${path}?validationToken=${encodeURIComponent(token)}`, {
        rawBody: '',
        headers: { 'Content-Type': 'text/plain' },
      });
      expect(Date.now() - started).toBeLessThan(1000);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(res.text).toBe(token);
    },
  );

  it('is described in the OpenAPI document: public, JSON collections in, the echo as text/plain', async () => {
    const doc = (await t.api('GET', '/api/openapi.json', { token: null })).body as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const post = doc.paths['/api/notifications']?.post;
    expect(post).toMatchObject({
      security: [],
      requestBody: {
        content: {
          'application/json': { schema: { $ref: '#/components/schemas/ChangeNotificationCollection' } },
        },
      },
      responses: { 200: { content: { 'text/plain': { schema: { type: 'string' } } } } },
    });
    expect(Object.keys(post?.responses ?? {}).sort()).toEqual(['200', '202', '400', '413', '415', '503']);
    expect(doc.paths['/api/notifications/lifecycle']?.post).toMatchObject({
      requestBody: {
        content: {
          'application/json': { schema: { $ref: '#/components/schemas/LifecycleNotificationCollection' } },
        },
      },
    });
  });

  it('refuses a body without a well-formed notification with 400 problem+json, changing nothing', async () => {
    const before = await rows();
    const empty = await t.api('POST', '/api/notifications', { body: {} });
    expect(empty.status).toBe(400);
    expect(empty.headers.get('content-type')).toBe('application/problem+json');
    const bad = await t.api('POST', '/api/notifications', {
      body: { value: [{ changeType: 'renamed', clientState: 'x' }] },
    });
    expect(bad.status).toBe(400);
    expect((bad.body as { errors: { path: string }[] }).errors.map((e) => e.path).sort()).toEqual([
      'value.0.changeType',
      'value.0.resource',
      'value.0.subscriptionId',
    ]);
    const notJson = await t.api('POST', '/api/notifications', {
      rawBody: 'value=1',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(notJson.status).toBe(415);
    const lifecycle = await t.api('POST', '/api/notifications/lifecycle', {
      body: { value: [{ subscriptionId: todoSub().id, lifecycleEvent: 'exploded' }] },
    });
    expect(lifecycle.status).toBe(400);
    expect(await rows()).toBe(before);
  });

  it('ignores notifications of unknown subscriptions or with a wrong clientState: 202, nothing queued', async () => {
    const s = todoSub();
    const body = {
      value: [
        change(s, { subscriptionId: '00000000-0000-0000-0000-000000000000' }),
        change(s, { clientState: 'guessed' }),
        change(s, { clientState: undefined }),
        change(s, { subscriptionId: "a/b#c'" }), // never reaches a table key
      ],
    };
    const started = Date.now();
    const sentBefore = t.stack.serviceBus.sent(QUEUES.tasks).accepted;
    const res = await t.api('POST', '/api/notifications', { body });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.status).toBe(202);
    expect(t.stack.serviceBus.sent(QUEUES.tasks).accepted).toBe(sentBefore);

    expect(await service().changes(body)).toEqual({
      received: 4,
      enqueued: 0,
      malformed: 1,
      unknownSubscription: 1,
      wrongClientState: 2,
      overLimit: 0,
    });
    expect(sent().accepted).toBe(0);
  });

  it('looks up at most 8 distinct subscriptions per request, whatever the body names', async () => {
    const s = todoSub();
    const ids = Array.from({ length: 500 }, (_, i) => `forged-${i}`);
    const body = { value: [...ids, ...ids].map((id) => change(s, { subscriptionId: id })) };
    const service1 = service();
    expect(await service1.changes(body)).toEqual({
      received: 1000,
      enqueued: 0,
      malformed: 0,
      unknownSubscription: 16, // 8 ids read (each named twice)
      wrongClientState: 0,
      overLimit: 984,
    });
    // Found unknown a moment ago: not read again; the next 8 are.
    expect(
      await service1.changes({ value: ids.slice(0, 16).map((id) => change(s, { subscriptionId: id })) }),
    ).toMatchObject({ unknownSubscription: 16, overLimit: 0 });
    // A real subscription named first among forged ids is still looked up (its clientState is
    // checked; a wrong one here, so that nothing is queued).
    expect(
      await service1.changes({
        value: [change(s, { clientState: 'wrong' }), ...ids.map((id) => change(s, { subscriptionId: id }))],
      }),
    ).toMatchObject({ wrongClientState: 1, enqueued: 0 });
    expect(sent().accepted).toBe(0);
  });

  it('queues a sync for an authentic notification on the stack and answers 202 well within 3 s', async () => {
    const before = t.stack.serviceBus.sent(QUEUES.tasks).accepted;
    const started = Date.now();
    const res = await t.api('POST', '/api/notifications', { body: { value: [change(todoSub())] } });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.status).toBe(202);
    expect(res.text).toBe('');
    expect(t.stack.serviceBus.sent(QUEUES.tasks).accepted).toBe(before + 1);
  });

  it('turns a burst for one subscription into one message, delivered at the end of its window', async () => {
    const s = todoSub();
    const before = sent();
    // A window ending at least 1.5 s from now, so the message is still scheduled when counted.
    const bucket = Math.floor((Date.now() + 1500) / COALESCE_MS);
    const at = new Date(bucket * COALESCE_MS);
    const windowEnd = new Date((bucket + 1) * COALESCE_MS);
    const notifications = service(() => at);
    const burst = { value: [1, 2, 3, 4, 5].map((i) => change(s, { resourceData: { id: `t${i}` } })) };
    expect(await notifications.changes(burst)).toMatchObject({ received: 5, enqueued: 1 });
    // A second request in the same window: Service Bus drops it by its messageId.
    await notifications.changes({ value: [change(s), { not: 'a notification' }] });
    expect(sent()).toMatchObject({
      accepted: before.accepted + 2,
      duplicatesDropped: before.duplicatesDropped + 1,
    });
    expect(bus.counts(QUEUES.tasks).scheduled).toBe(1);

    const got = await received(COALESCE_MS + 2000);
    expect(
      got.map((m) => ({ messageId: m.messageId, sessionId: m.sessionId, body: m.body as unknown })),
    ).toEqual([
      {
        messageId: `notification:${s.id}:${bucket}`,
        sessionId: USER,
        body: { userId: USER, entity: 'tasks', reason: 'notification', requestedAt: at.toISOString() },
      },
    ]);
    expect(got[0]!.enqueuedTimeUtc!.getTime()).toBeGreaterThanOrEqual(windowEnd.getTime());

    // The next window gets a message of its own: a change notified after a run began is not lost.
    await service(() => new Date(windowEnd.getTime() + 1)).changes({ value: [change(s)] });
    expect(sent()).toMatchObject({
      accepted: before.accepted + 3,
      duplicatesDropped: before.duplicatesDropped + 1,
    });
  });

  it('lifecycle: reauthorizationRequired renews the subscription at Graph and in storage', async () => {
    const s = todoSub();
    const before = sent();
    await new Promise((r) => setTimeout(r, 5)); // a later expiry than the one set on connect
    const report = await service().lifecycle({
      value: [
        { subscriptionId: s.id, clientState: s.clientState, lifecycleEvent: 'reauthorizationRequired' },
      ],
    });
    expect(report).toMatchObject({ renewed: 1, enqueued: 0 });
    expect(sent().accepted).toBe(before.accepted);
    expect(Date.parse(todoSub().expirationDateTime)).toBeGreaterThan(Date.parse(s.expirationDateTime));
    const row = await new SubscriptionRepository(t.stack.services.tables).get(s.id);
    expect(row?.value.expiresAt).toBe(todoSub().expirationDateTime);
  });

  it('lifecycle: missed forgets the delta cursor at its ETag and queues a full sync', async () => {
    const s = todoSub();
    const states = new SyncStateRepository(t.stack.services.tables);
    const lease = await states.acquire(USER, 'tasks', 'test', 1, new Date(0));
    await states.save(USER, 'tasks', {
      state: {
        ...lease!.state,
        lease: undefined,
        status: 'idle',
        cursors: { oro: 'w1', microsoft: '{"deltaLink":"d"}' },
      },
      etag: lease!.etag,
    });
    const report = await service().lifecycle({
      value: [{ subscriptionId: s.id, clientState: s.clientState, lifecycleEvent: 'missed' }],
    });
    expect(report).toMatchObject({ fullSyncs: 1, enqueued: 1, recreated: 0 });
    expect((await states.get(USER, 'tasks'))?.state.cursors).toEqual({ oro: 'w1' });
    const full = (await received()).filter((m) => m.messageId?.toString().startsWith('lifecycle:'));
    expect(full.map((m) => m.body as unknown)).toEqual([
      expect.objectContaining({ userId: USER, entity: 'tasks', reason: 'notification' }),
    ]);
    expect(
      sim()
        .all()
        .map((x) => x.id),
    ).toContain(s.id); // the subscription itself is fine
  });

  it('lifecycle: subscriptionRemoved queues a full sync and subscribes again; a wrong clientState does nothing', async () => {
    const s = todoSub();
    const before = sent();
    const forged = await service().lifecycle({
      value: [{ subscriptionId: s.id, clientState: 'forged', lifecycleEvent: 'subscriptionRemoved' }],
    });
    expect(forged).toMatchObject({ wrongClientState: 1, enqueued: 0, recreated: 0 });
    expect(todoSub().id).toBe(s.id);
    expect(sent().accepted).toBe(before.accepted);

    sim().drop(s.id); // Graph removed it
    const report = await service().lifecycle({
      value: [{ subscriptionId: s.id, clientState: s.clientState, lifecycleEvent: 'subscriptionRemoved' }],
    });
    expect(report).toMatchObject({ recreated: 1, fullSyncs: 1, enqueued: 1 });
    expect(sent().accepted).toBe(before.accepted + 1);
    const again = todoSub();
    expect(again.id).not.toBe(s.id);
    expect(again.resource).toBe(s.resource);
    const repo = new SubscriptionRepository(t.stack.services.tables);
    expect(await repo.get(s.id)).toBeUndefined();
    expect((await repo.get(again.id))?.value.entity).toBe('tasks');
  });
});
