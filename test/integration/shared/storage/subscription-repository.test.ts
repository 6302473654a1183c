import { randomUUID } from 'node:crypto';
import {
  clientStateMatches,
  hashClientState,
  SubscriptionRepository,
  type StoredSubscription,
} from '../../../../shared/storage/subscription-repository';
import { createTableStore } from '../../../../shared/storage/tables';
import { testConnectionString, uniquePrefix } from '../../../support/storage';

const sub = (over: Partial<StoredSubscription> = {}): StoredSubscription => ({
  subscriptionId: randomUUID(),
  userId: 'u1',
  entity: 'tasks',
  resource: '/me/todo/lists/L1/tasks',
  expiresAt: '2026-11-26T10:00:00.000Z',
  clientStateHash: hashClientState('secret-state'),
  createdAt: '2026-11-24T10:00:00.000Z',
  notified: 0,
  ...over,
});

describe('SubscriptionRepository (Azurite)', () => {
  const tables = createTableStore(testConnectionString(), uniquePrefix());
  const repo = new SubscriptionRepository(tables);

  it('stores a subscription by id and indexes it per user; the clear clientState is nowhere at rest', async () => {
    const a = sub({ userId: 'u-index' });
    const b = sub({ userId: 'u-index', entity: 'calendar', resource: '/me/events' });
    await repo.add(a);
    await repo.add(b);
    expect((await repo.get(a.subscriptionId))?.value).toEqual(a);
    const mine = await repo.forUser('u-index');
    expect(mine.map((s) => s.value.entity).sort()).toEqual(['calendar', 'tasks']);
    expect(await repo.forUser('someone-else')).toEqual([]);

    const raw = [];
    for await (const row of tables.client('subscriptions').listEntities()) {
      raw.push(JSON.stringify(row));
    }
    expect(raw.join('\n')).not.toContain('secret-state');
    expect(clientStateMatches(a.clientStateHash, 'secret-state')).toBe(true);
    expect(clientStateMatches(a.clientStateHash, 'secret-statf')).toBe(false);
    expect(clientStateMatches(a.clientStateHash, '')).toBe(false);
  });

  it('keeps one subscription per user and entity: a second add is a conflict and leaves no orphan row', async () => {
    const first = sub({ userId: 'u-twice' });
    const second = sub({ userId: 'u-twice' });
    await repo.add(first);
    await expect(repo.add(second)).rejects.toMatchObject({ code: 'conflict' });
    expect(await repo.get(second.subscriptionId)).toBeUndefined();
    expect((await repo.forUser('u-twice')).map((s) => s.value.subscriptionId)).toEqual([
      first.subscriptionId,
    ]);
  });

  it('renews at the ETag read: a stale copy is refused and changes nothing', async () => {
    const added = await repo.add(sub({ userId: 'u-renew' }));
    const renewed = await repo.renewed(added, new Date('2026-11-28T00:00:00Z'));
    expect((await repo.get(added.value.subscriptionId))?.value.expiresAt).toBe('2026-11-28T00:00:00.000Z');
    await expect(repo.renewed(added, new Date('2026-12-01T00:00:00Z'))).rejects.toMatchObject({
      code: 'precondition-failed',
    });
    await expect(repo.remove(added)).rejects.toMatchObject({ code: 'precondition-failed' });
    expect((await repo.get(added.value.subscriptionId))?.value.expiresAt).toBe('2026-11-28T00:00:00.000Z');
    await repo.remove(renewed);
    expect(await repo.get(added.value.subscriptionId)).toBeUndefined();
    expect(await repo.forUser('u-renew')).toEqual([]);
    await repo.remove(renewed); // gone already is fine
  });

  it('finds the subscriptions expiring by a cutoff, oldest first', async () => {
    const own = createTableStore(testConnectionString(), uniquePrefix());
    const r = new SubscriptionRepository(own);
    const late = await r.add(sub({ userId: 'a', expiresAt: '2026-11-27T00:00:00.000Z' }));
    const soon = await r.add(sub({ userId: 'b', expiresAt: '2026-11-25T00:00:00.000Z' }));
    const edge = await r.add(sub({ userId: 'c', expiresAt: '2026-11-26T00:00:00.000Z' }));
    const due = await r.expiringBy(new Date('2026-11-26T00:00:00Z'));
    expect(due.map((s) => s.value.subscriptionId)).toEqual([
      soon.value.subscriptionId,
      edge.value.subscriptionId,
    ]);
    expect(due.map((s) => s.value.subscriptionId)).not.toContain(late.value.subscriptionId);
  });
});
