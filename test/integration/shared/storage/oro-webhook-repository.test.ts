import { OroWebhookRepository } from '../../../../shared/storage/oro-webhook-repository';
import { SubscriptionRepository } from '../../../../shared/storage/subscription-repository';
import { createTableStore } from '../../../../shared/storage/tables';
import { testConnectionString, uniquePrefix } from '../../../support/storage';

describe('Oro webhook secrets and remembered message ids (Azurite)', () => {
  const tables = createTableStore(testConnectionString(), uniquePrefix());
  const repo = new OroWebhookRepository(tables);
  const sealed = { v: 1 as const, kid: 'k1', iv: 'aXY=', tag: 'dGFn', ct: 'Y3Q=' };

  it('keeps one secret per organization: set, replaced, removed', async () => {
    expect(await repo.secret('acme')).toBeUndefined();
    await repo.saveSecret('acme', { sealed, createdAt: '2026-01-01T00:00:00.000Z' });
    await repo.saveSecret('acme', {
      sealed: { ...sealed, ct: 'bmV3' },
      createdAt: '2026-01-02T00:00:00.000Z',
    });
    expect(await repo.secret('acme')).toEqual({
      sealed: { ...sealed, ct: 'bmV3' },
      createdAt: '2026-01-02T00:00:00.000Z',
    });
    expect(await repo.secret('globex')).toBeUndefined();
    expect(await repo.removeSecret('acme')).toBe(true);
    expect(await repo.removeSecret('acme')).toBe(false);
  });

  it('takes a message id once per organization; a released id can be taken again', async () => {
    const now = new Date('2026-01-01T00:00:00.000Z');
    expect(await repo.take('acme', 7, 'm1', now)).toBe(true);
    expect(await repo.take('acme', 7, 'm1', now)).toBe(false);
    expect(await repo.take('globex', 7, 'm1', now)).toBe(true);
    await repo.release('acme', 7, 'm1');
    expect(await repo.take('acme', 7, 'm1', now)).toBe(true);
  });

  it('purges only ids received before the cutoff, and never a Graph subscription row', async () => {
    const subscriptions = new SubscriptionRepository(tables);
    await subscriptions.add({
      subscriptionId: 'graph-sub',
      userId: 'u1',
      entity: 'tasks',
      resource: '/me/todo/lists/L/tasks',
      expiresAt: '2026-01-05T00:00:00.000Z',
      clientStateHash: 'a'.repeat(64),
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    await repo.take('acme', 100, 'old', new Date('2026-01-01T00:00:00.000Z'));
    await repo.take('acme', 200, 'new', new Date('2026-01-03T00:00:00.000Z'));
    expect(await repo.purgeSeen(new Date('2026-01-02T00:00:00.000Z'))).toBeGreaterThanOrEqual(1);
    expect(await repo.take('acme', 100, 'old', new Date())).toBe(true);
    expect(await repo.take('acme', 200, 'new', new Date())).toBe(false);
    expect(await subscriptions.get('graph-sub')).toBeDefined();
    expect(await subscriptions.expiringBy(new Date('2026-02-01T00:00:00.000Z'))).toHaveLength(1);
  });
});
