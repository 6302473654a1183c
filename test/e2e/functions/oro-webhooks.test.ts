import { createHmac, randomUUID } from 'node:crypto';
import { DEMO } from '../../../dev/seed';
import { startServiceBusEmulator } from '../../../dev/servicebus';
import { SecretBox } from '../../../shared/crypto/secret-box';
import { AppError } from '../../../shared/errors/app-error';
import { QUEUES } from '../../../shared/messaging/messages';
import { createServiceBusQueue } from '../../../shared/messaging/service-bus-queue';
import { OroWebhookService } from '../../../shared/oro/webhook-receiver';
import { OroWebhookRepository } from '../../../shared/storage/oro-webhook-repository';
import { connect } from '../../support/sign-in';
import { useTestStack } from '../../support/stack';

const USER = DEMO.inheritingUserId;
const ORG = DEMO.organizationId;
const MEGAN = 'megan.bowen@contoso.example';

/**
 * Oro's webhooks (OroIntegrationBundle) through the dev host: the organization's secret from
 * our API, the Oro simulator sending signed notifications as Oro does, the queued run going
 * through the Service Bus emulator to the task-sync function, and every way a request is
 * refused before it queues anything.
 */
describe('Oro webhooks', () => {
  const t = useTestStack({ seed: true });
  let secret = '';
  const url = (org: string = ORG) => `/api/oro/webhooks/${org}`;
  const taskData = (owner: string, id = '1') => ({
    data: {
      type: 'tasks',
      id,
      attributes: { subject: 'x', updatedAt: '2026-01-01T00:00:00Z' },
      relationships: { owner: { data: { type: 'users', id: owner } } },
    },
  });
  /** A notification as Oro sends it: the JSON body, signed with `key` (no signature when undefined). */
  const post = (
    body: unknown,
    key: string | undefined,
    { org = ORG, headers = {} }: { org?: string; headers?: Record<string, string> } = {},
  ) => {
    const raw = JSON.stringify(body);
    return t.api('POST', url(org), {
      token: null,
      rawBody: raw,
      headers: {
        'Content-Type': 'application/json',
        ...(key ? { 'Webhook-Signature': createHmac('sha256', key).update(raw).digest('hex') } : {}),
        ...headers,
      },
    });
  };
  const message = (eventData: unknown, over: Record<string, unknown> = {}) => ({
    topic: 'task.updated',
    eventData,
    timestamp: Math.floor(Date.now() / 1000),
    messageId: randomUUID(),
    ...over,
  });
  const accepted = () => t.stack.serviceBus.sent(QUEUES.tasks).accepted;

  beforeAll(async () => {
    await t.api('PATCH', `/api/settings/users/${USER}`, { body: { tasks: { direction: 'bidirectional' } } });
    expect((await connect(t.api, USER)).message.ok).toBe(true);
    const made = await t.api('POST', `/api/organizations/${ORG}/oro-webhook`);
    expect(made.status).toBe(201);
    expect(made.headers.get('cache-control')).toBe('no-store');
    const body = made.body as { secret: string; notificationUrl: string; topics: string[] };
    secret = body.secret;
    expect(body.notificationUrl).toBe(`${t.stack.url}/api/oro/webhooks/${ORG}`);
    expect(body.topics).toEqual(expect.arrayContaining(['task.updated', 'calendarevent.created']));
    // A second organization with a user of its own, and a secret of its own.
    await t.api('PUT', '/api/settings/organizations/globex', { body: {} });
    await t.api('PUT', '/api/settings/users/201', { body: { organizationId: 'globex' } });
  });

  it('shows whether a secret is set, never the secret itself; admin only', async () => {
    const status = await t.api('GET', `/api/organizations/${ORG}/oro-webhook`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ configured: true, topics: expect.any(Array) as unknown });
    expect(status.text).not.toContain(secret);
    expect((await t.api('GET', `/api/organizations/${ORG}/oro-webhook`, { token: null })).status).toBe(401);
    expect((await t.api('POST', '/api/organizations/nowhere/oro-webhook')).status).toBe(404);
  });

  it('a signed change from the Oro simulator reaches To Do through Service Bus and the task-sync function', async () => {
    const hook = t.stack.oro.webhooks.add({
      notificationUrl: `${t.stack.url}${url()}`,
      topic: 'task.updated',
      secret,
    });
    const before = accepted();
    try {
      const task = t.stack.oro.tasks(USER)[0]!;
      t.stack.oro.editTask(task.id, { subject: 'Changed in Oro, pushed by its webhook' });
      await t.stack.oro.webhooks.settle();
      const delivery = t.stack.oro.webhooks.deliveries().at(-1)!;
      expect(delivery).toMatchObject({ topic: 'task.updated', status: 202, attempts: 1 });
      expect(JSON.parse(delivery.answer!)).toEqual({ queued: true, userId: USER, entity: 'tasks' });
      expect(accepted()).toBeGreaterThan(before);
      const end = Date.now() + 20_000;
      while (
        !t.stack.microsoft
          .todo(MEGAN)
          .all()
          .some((x) => x.title === 'Changed in Oro, pushed by its webhook')
      ) {
        if (Date.now() > end) {
          throw new Error('the run queued by the webhook did not reach To Do');
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      t.stack.oro.webhooks.remove(hook.id);
    }
  });

  it('refuses a missing or wrong signature with 401, before queueing anything', async () => {
    const body = message(taskData(USER));
    expect((await post(body, undefined)).status).toBe(401);
    expect((await post(body, 'not the secret')).status).toBe(401);
    const res = await post(body, secret, { headers: { 'Webhook-Signature': 'zz' } });
    expect(res.status).toBe(401);
    // The body the signature was made for, changed afterwards.
    const raw = JSON.stringify(body);
    const tampered = await t.api('POST', url(), {
      token: null,
      rawBody: raw.replace(`"id":"${USER}"`, '"id":"102"'),
      headers: {
        'Content-Type': 'application/json',
        'Webhook-Signature': createHmac('sha256', secret).update(raw).digest('hex'),
      },
    });
    expect(tampered.status).toBe(401);
  });

  it('queues a signed message once: the same messageId again is a replay (409), a stale one is refused (400)', async () => {
    const body = message(taskData(USER));
    const first = await post(body, secret);
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ queued: true, userId: USER, entity: 'tasks' });
    const again = await post(body, secret);
    expect(again.status).toBe(409);
    const stale = await post(
      message(taskData(USER), { timestamp: Math.floor(Date.now() / 1000) - 3600 }),
      secret,
    );
    expect(stale.status).toBe(400);
  });

  it('never queues a run for a user of another organization, whichever secret signed it', async () => {
    const globex = (await t.api('POST', '/api/organizations/globex/oro-webhook')).body as { secret: string };
    // Signed for globex, naming acme's user.
    const cross = await post(message(taskData(USER)), globex.secret, { org: 'globex' });
    expect(cross.status).toBe(202);
    expect(cross.body).toMatchObject({
      queued: false,
      reason: expect.stringContaining('does not belong') as unknown,
    });
    // Signed for acme, sent to globex's endpoint: the signature does not match globex's secret.
    expect((await post(message(taskData('201')), secret, { org: 'globex' })).status).toBe(401);
    // Signed for acme, naming globex's user.
    const other = await post(message(taskData('201')), secret);
    expect(other.body).toMatchObject({ queued: false });
  });

  it('queues nothing for any refused or inapplicable message (the use case over a Service Bus of its own)', async () => {
    // The stack's own queue also gets the timer's runs; a bus nothing else sends to shows
    // exactly what the webhook queued.
    const bus = await startServiceBusEmulator({
      queues: [
        { name: QUEUES.tasks, requiresSession: true, duplicateDetectionWindowMs: 60_000 },
        { name: QUEUES.calendar, requiresSession: true, duplicateDetectionWindowMs: 60_000 },
      ],
    });
    const queue = createServiceBusQueue(bus.connectionString);
    try {
      const service = new OroWebhookService({
        repository: new OroWebhookRepository(t.stack.services.tables),
        secrets: new SecretBox(t.stack.services.config.secretKeys),
        settings: t.stack.services.settings,
        queue: () => queue,
      });
      const globex = (await t.api('POST', '/api/organizations/globex/oro-webhook')).body as {
        secret: string;
      };
      const signed = (body: unknown, key: string) => {
        const raw = Buffer.from(JSON.stringify(body));
        return { raw, signature: createHmac('sha256', key).update(raw).digest('hex') };
      };
      const attempt = async (org: string, body: unknown, key: string, signature?: string | null) => {
        const s = signed(body, key);
        return service
          .receive(org, signature === undefined ? s.signature : signature, s.raw)
          .catch((e: unknown) => e);
      };
      const outcomes = [
        await attempt(ORG, message(taskData(USER)), secret, null),
        await attempt(ORG, message(taskData(USER)), 'wrong'),
        await attempt('globex', message(taskData(USER)), globex.secret),
        await attempt('globex', message(taskData(USER)), secret),
        await attempt(ORG, message(taskData('201')), secret),
        await attempt(ORG, message(taskData(USER), { timestamp: 1 }), secret),
        await attempt(ORG, message({ data: { type: 'tasks', id: '1' } }), secret),
      ];
      expect(
        outcomes.map((o) =>
          o instanceof AppError ? o.code : `queued: ${String((o as { queued: boolean }).queued)}`,
        ),
      ).toEqual([
        'unauthorized', // no signature
        'unauthorized', // another key
        'queued: false', // globex's secret, acme's user
        'unauthorized', // acme's secret on globex's endpoint
        'queued: false', // acme's secret, globex's user
        'validation', // stale
        'queued: false', // thin: no owner
      ]);
      expect(bus.sent(QUEUES.tasks).accepted).toBe(0);
      // The same service does queue an authentic message of its organization's user.
      expect(await attempt(ORG, message(taskData(USER)), secret)).toMatchObject({ queued: true });
      expect(bus.sent(QUEUES.tasks).accepted).toBe(1);
    } finally {
      await queue.close();
      await bus.close();
    }
  });

  it('bounds the body: over 32 KiB is refused with 413 without reading it all', async () => {
    const big = 'x'.repeat(40 * 1024);
    const res = await t.api('POST', url(), {
      token: null,
      rawBody: JSON.stringify(message({ data: { type: 'tasks', id: '1', attributes: { subject: big } } })),
      headers: { 'Content-Type': 'application/json', 'Webhook-Signature': 'a'.repeat(64) },
    });
    expect(res.status).toBe(413);
    expect(
      (await t.api('POST', url(), { token: null, rawBody: 'x', headers: { 'Content-Type': 'text/plain' } }))
        .status,
    ).toBe(415);
  });

  it('says why nothing is queued: a thin payload names no owner, a topic that is not synced', async () => {
    const thin = await post(message({ data: { type: 'tasks', id: '1' } }), secret);
    expect(thin.body).toMatchObject({ queued: false, reason: expect.stringContaining('thin') as unknown });
    const order = await post(
      message({ data: { type: 'orders', id: '1' } }, { topic: 'order.created' }),
      secret,
    );
    expect(order.body).toMatchObject({
      queued: false,
      reason: expect.stringContaining('not synced') as unknown,
    });
  });

  it('a calendar event names its user through the included calendar, which must be the one the user syncs', async () => {
    const calendarId = String(t.stack.oro.calendar.defaultCalendar(USER));
    const event = (calendar: string) => ({
      data: {
        type: 'calendarevents',
        id: '9',
        relationships: { calendar: { data: { type: 'calendars', id: calendar } } },
      },
      included: [
        { type: 'calendars', id: calendar, relationships: { owner: { data: { type: 'users', id: USER } } } },
      ],
    });
    const ok = await post(message(event(calendarId), { topic: 'calendarevent.created' }), secret);
    expect(ok.body).toEqual({ queued: true, userId: USER, entity: 'calendar' });
    const other = await post(message(event('99999'), { topic: 'calendarevent.updated' }), secret);
    expect(other.body).toMatchObject({
      queued: false,
      reason: expect.stringContaining('calendar 99999') as unknown,
    });
  });

  it('after DELETE the organization’s webhooks are refused', async () => {
    expect((await t.api('DELETE', `/api/organizations/${ORG}/oro-webhook`)).status).toBe(204);
    expect((await post(message(taskData(USER)), secret)).status).toBe(401);
  });
});
