import { DEMO } from '../../../dev/seed';
import { QUEUES } from '../../../shared/messaging/messages';
import { hashClientState, SubscriptionRepository } from '../../../shared/storage/subscription-repository';
import { connect } from '../../support/sign-in';
import { useTestStack } from '../../support/stack';
import { runTimerFunction } from '../../support/timers';

const USER = DEMO.inheritingUserId;
const HOUR = 3600_000;

describe('Graph subscriptions through the dev host and the simulator', () => {
  const t = useTestStack({ seed: true });
  const sim = () => t.stack.microsoft.subscriptions;
  const stored = () => t.stack.services.subscriptions;
  const repo = () => new SubscriptionRepository(t.stack.services.tables);
  const rows = async () => {
    const out: Record<string, unknown>[] = [];
    for await (const row of t.stack.services.tables.client('subscriptions').listEntities()) {
      out.push(row);
    }
    return out;
  };

  it('subscribes on connect: events and the To Do list, each endpoint proven by the handshake, clientState stored only hashed', async () => {
    expect((await connect(t.api, USER)).message.ok).toBe(true);
    const subs = sim().all();
    const listId = t.stack.microsoft.todo('megan.bowen@contoso.example').listId;
    expect(subs.map((s) => s.resource).sort()).toEqual(['/me/events', `/me/todo/lists/${listId}/tasks`]);
    for (const s of subs) {
      expect(s.notificationUrl).toBe(`${t.stack.url}/api/notifications`);
      expect(s.lifecycleNotificationUrl).toBe(`${t.stack.url}/api/notifications/lifecycle`);
      expect(s.clientState).toMatch(/^[\w-]{43}$/);
      expect(s.changeTypes).toEqual(['created', 'updated', 'deleted']);
    }
    expect(subs[0]!.clientState).not.toBe(subs[1]!.clientState);
    const handshakes = sim()
      .deliveries()
      .filter((d) => d.kind === 'validation');
    expect(handshakes).toHaveLength(4);
    expect(handshakes.every((d) => d.status === 200 && d.elapsedMs < 3000)).toBe(true);

    const raw = JSON.stringify(await rows());
    for (const s of subs) {
      expect(raw).not.toContain(s.clientState!);
      const row = await repo().get(s.id);
      expect(row?.value).toMatchObject({
        userId: USER,
        clientStateHash: hashClientState(s.clientState!),
        expiresAt: s.expirationDateTime,
      });
    }
  });

  it('ensure is idempotent: nothing new at Graph when everything is in place', async () => {
    const before = sim().all();
    expect(await stored().ensure(USER)).toEqual({ calendar: 'kept', tasks: 'kept' });
    expect(sim().all()).toEqual(before);
  });

  it('renews what expires within a day (To Do first: it lives about 70 hours) and leaves the rest', async () => {
    const before = new Map(
      sim()
        .all()
        .map((s) => [s.resource, s.expirationDateTime]),
    );
    // As if the timer fired 50 hours from now: only the To Do subscription is then due.
    const report = await stored().renewDue(new Date(Date.now() + 50 * HOUR));
    expect(report).toEqual({ renewed: 1, recreated: 0, removed: 0, failed: 0 });
    const after = sim().all();
    const todo = after.find((s) => s.resource.includes('/todo/'))!;
    const events = after.find((s) => s.resource === '/me/events')!;
    expect(Date.parse(todo.expirationDateTime)).toBeGreaterThan(Date.parse(before.get(todo.resource)!));
    expect(events.expirationDateTime).toBe(before.get('/me/events'));
    const row = await repo().get(todo.id);
    expect(row?.value.expiresAt).toBe(todo.expirationDateTime);
  });

  it('re-creates at renewal a subscription Graph no longer knows', async () => {
    const todo = sim()
      .all()
      .find((s) => s.resource.includes('/todo/'))!;
    sim().drop(todo.id);
    const report = await stored().renewDue(new Date(Date.now() + 80 * HOUR));
    expect(report).toMatchObject({ recreated: 1, failed: 0 });
    const now = sim().all();
    expect(now.find((s) => s.id === todo.id)).toBeUndefined();
    expect(now.filter((s) => s.resource === todo.resource)).toHaveLength(1);
    expect(await repo().get(todo.id)).toBeUndefined();
  });

  it('follows the settings: a disabled entity is unsubscribed, enabling it subscribes again', async () => {
    await t.api('PATCH', `/api/settings/users/${USER}`, { body: { calendar: { enabled: false } } });
    expect(await stored().ensure(USER)).toEqual({ calendar: 'removed', tasks: 'kept' });
    expect(
      sim()
        .all()
        .map((s) => s.resource),
    ).not.toContain('/me/events');
    await t.api('PATCH', `/api/settings/users/${USER}`, { body: { calendar: { enabled: null } } });
    expect(await stored().ensure(USER)).toEqual({ calendar: 'created', tasks: 'kept' });
    expect(
      sim()
        .all()
        .map((s) => s.resource),
    ).toContain('/me/events');
  });

  it('the subscription timer is in the function table and renews through its handler', async () => {
    const { schedule, lines } = await runTimerFunction(t.stack.services, 'subscriptionRenewal');
    expect(schedule).toBe('0 */30 * * * *');
    // Everything was renewed or created a moment ago: nothing is due within a day.
    expect(lines).toEqual(['subscriptionRenewal: 0 renewed, 0 re-created, 0 removed, 0 failed']);
  });

  it('lifecycle events from the simulator reach the dev host: reauthorizationRequired renews, missed queues a full sync', async () => {
    const todo = sim()
      .all()
      .find((s) => s.resource.includes('/todo/'))!;
    await new Promise((r) => setTimeout(r, 5)); // a later expiry than the current one
    expect((await sim().fireLifecycle(todo.id, 'reauthorizationRequired')).status).toBe(202);
    const renewed = sim()
      .all()
      .find((s) => s.id === todo.id)!;
    expect(Date.parse(renewed.expirationDateTime)).toBeGreaterThan(Date.parse(todo.expirationDateTime));

    const before = t.stack.serviceBus.sent(QUEUES.tasks).accepted;
    expect((await sim().fireLifecycle(todo.id, 'missed')).status).toBe(202);
    expect(t.stack.serviceBus.sent(QUEUES.tasks).accepted).toBe(before + 1);
    // Let the queued run (and the notifications of its own writes) settle before disconnecting.
    for (let quiet = 0; quiet < 5;) {
      await new Promise((r) => setTimeout(r, 200));
      await sim().idle();
      const c = t.stack.serviceBus.counts(QUEUES.tasks);
      quiet = c.active + c.locked + c.scheduled === 0 ? quiet + 1 : 0;
    }
  });

  it('removes the subscriptions at Graph and in storage on disconnect', async () => {
    expect(sim().all()).toHaveLength(2);
    expect((await t.api('DELETE', `/api/users/${USER}/connection`)).status).toBe(204);
    expect(sim().all()).toEqual([]);
    expect(await rows()).toEqual([]);
  });
});
