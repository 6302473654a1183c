import type { SimSubscription } from '../../../dev/microsoft/subscriptions';
import { DEMO } from '../../../dev/seed';
import { SETTLE_MS } from '../../../shared/oro/tasks-side';
import { SubscriptionRepository } from '../../../shared/storage/subscription-repository';
import { SyncStateRepository } from '../../../shared/storage/sync-state-repository';
import { connect } from '../../support/sign-in';
import { useTestStack } from '../../support/stack';

const USER = DEMO.inheritingUserId;

/**
 * Scheduled runs and Graph change notifications through the dev host: the task-sync queue
 * function, the webhook and the subscription rows in real Azurite. A scheduled run whose
 * subscription has notified nothing since the last Microsoft read makes no Graph request.
 */
describe('a scheduled run with a live, quiet subscription', () => {
  const t = useTestStack({ seed: true });
  const sim = () => t.stack.microsoft.subscriptions;
  const todoSub = (): SimSubscription =>
    sim()
      .all()
      .find((s) => s.resource.includes('/todo/'))!;
  const run = async (reason: 'schedule' | 'manual' | 'notification') => {
    const res = await t.api('POST', '/dev/queues/task-sync', {
      body: { userId: USER, entity: 'tasks', reason, requestedAt: new Date().toISOString() },
    });
    expect(res.status).toBe(204);
  };
  /** Graph requests (token requests to the sign-in endpoints left out) since the last reset. */
  const graphRequests = () =>
    Object.entries(t.stack.microsoft.requestCounts())
      .filter(([key]) => !/token|authorize|openid|discovery|keys/i.test(key))
      .reduce((sum, [, n]) => sum + n, 0);
  /** Every Oro request, token requests included: a warm instance has its token already. */
  const oroRequests = () => Object.values(t.stack.oro.requestCounts()).reduce((sum, n) => sum + n, 0);
  const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS + 1100));
  const subscriptionRow = async () =>
    (await new SubscriptionRepository(t.stack.services.tables).forEntity(USER, 'tasks'))!.value;

  beforeAll(async () => {
    sim().autoNotify = false; // notifications are posted by hand, as Graph would
    await t.api('PATCH', `/api/settings/users/${USER}`, { body: { tasks: { direction: 'bidirectional' } } });
    expect((await connect(t.api, USER)).message.ok).toBe(true);
    await run('manual');
    // Our own writes are read back once (To Do's delta, Oro's last seconds), then all is quiet.
    await settle();
    await run('manual');
  });

  it('records the account and counts nothing before the first notification', async () => {
    const row = await subscriptionRow();
    expect(row.account).toEqual(expect.any(String));
    expect(row.notified).toBe(0);
    const { state } = (await new SyncStateRepository(t.stack.services.tables).get(USER, 'tasks'))!;
    expect(state.microsoftMark).toMatchObject({ subscriptionId: row.subscriptionId, notified: 0 });
  });

  it('makes 0 Graph requests and 1 Oro request, and keeps the delta cursor', async () => {
    const states = new SyncStateRepository(t.stack.services.tables);
    const before = (await states.get(USER, 'tasks'))!.state;
    t.stack.microsoft.resetCounts();
    t.stack.oro.resetCounts();
    await run('schedule');
    expect(graphRequests()).toBe(0);
    expect(oroRequests()).toBe(1);
    const after = (await states.get(USER, 'tasks'))!.state;
    expect(after.cursors.microsoft).toBe(before.cursors.microsoft);
    expect(after.runs).toBe(before.runs + 1);
    // A run the user asked for still reads Graph.
    t.stack.microsoft.resetCounts();
    await run('manual');
    expect(graphRequests()).toBeGreaterThan(0);
  });

  it('after a notification, the next scheduled run reads Graph and finds the change', async () => {
    const sub = todoSub();
    t.stack.microsoft.todo('megan.bowen@contoso.example').create({ title: 'Notified task' });
    const res = await t.api('POST', '/api/notifications', {
      token: null,
      body: {
        value: [
          {
            subscriptionId: sub.id,
            subscriptionExpirationDateTime: sub.expirationDateTime,
            changeType: 'created',
            resource: `Users/${sub.accountOid}/todo/lists/x/tasks/AAMk1`,
            clientState: sub.clientState,
            tenantId: sub.tenantId,
          },
        ],
      },
    });
    expect(res.status).toBe(202);
    expect((await subscriptionRow()).notified).toBe(1);
    t.stack.microsoft.resetCounts();
    await run('schedule');
    expect(graphRequests()).toBeGreaterThan(0);
    expect(t.stack.oro.tasks(USER).map((x) => x.subject)).toContain('Notified task');
  });

  it('a reauthorizationRequired event counts too, and the renewal that answers it lets the subscription vouch again', async () => {
    const sub = todoSub();
    const res = await t.api('POST', '/api/notifications/lifecycle', {
      token: null,
      body: {
        value: [
          {
            subscriptionId: sub.id,
            subscriptionExpirationDateTime: sub.expirationDateTime,
            lifecycleEvent: 'reauthorizationRequired',
            clientState: sub.clientState,
            tenantId: sub.tenantId,
          },
        ],
      },
    });
    expect(res.status).toBe(202);
    const row = await subscriptionRow();
    expect(row.notified).toBe(2);
    expect(row.reauthorizeSince).toBeUndefined();
  });

  it('vouches for nothing while a reauthorization waits or once expired; Graph is read then', async () => {
    const repository = new SubscriptionRepository(t.stack.services.tables);
    const quietRun = async () => {
      await run('manual'); // records what the subscription says now
      t.stack.microsoft.resetCounts();
      await run('schedule');
      return graphRequests();
    };
    await settle(); // the task the last test copied to Oro is read back once, settled
    const id = (await subscriptionRow()).subscriptionId;
    await repository.notice(id, { reauthorize: new Date() });
    expect(await quietRun()).toBeGreaterThan(0);
    const renewed = (await repository.forEntity(USER, 'tasks'))!;
    await repository.renewed(renewed, new Date(Date.now() + 3600_000));
    expect(await quietRun()).toBe(0);
    const current = (await repository.forEntity(USER, 'tasks'))!;
    await repository.renewed(current, new Date(Date.now() - 1000));
    expect(await quietRun()).toBeGreaterThan(0);
  });

  it('a renewal that loses to a counted notification is written again on the fresh row', async () => {
    const repository = new SubscriptionRepository(t.stack.services.tables);
    const current = (await repository.forEntity(USER, 'tasks'))!;
    // Due for renewal: an hour left.
    const stale = await repository.renewed(current, new Date(Date.now() + 3600_000));
    const noticed = (await repository.notice(stale.value.subscriptionId))!;
    expect(await t.stack.services.subscriptions.renew(stale)).toBe('renewed');
    const after = (await repository.forEntity(USER, 'tasks'))!.value;
    expect(Date.parse(after.expiresAt)).toBeGreaterThan(Date.now() + 24 * 3600_000);
    expect(after.notified).toBe(noticed.value.notified);
  });
});
