import { FleetStatusRepository, type FailingSync } from '../../../../shared/storage/fleet-status-repository';
import { SettingsRepository } from '../../../../shared/storage/settings-repository';
import { SyncStateRepository } from '../../../../shared/storage/sync-state-repository';
import { createTableStore, type TableStore } from '../../../../shared/storage/tables';
import { testConnectionString, uniquePrefix } from '../../../support/storage';

// The fleet view over real Azurite: the users whose sync fails, with the reason, across the
// deployment or in one organization, page by page.

let tables: TableStore;
let fleet: FleetStatusRepository;
const now = new Date('2026-11-24T10:00:00Z');

beforeAll(async () => {
  tables = createTableStore(testConnectionString(), uniquePrefix());
  fleet = new FleetStatusRepository(tables);
  const settings = new SettingsRepository(tables);
  const states = new SyncStateRepository(tables);
  const users: Array<[string, string]> = [
    ['a1', 'acme'],
    ['a2', 'acme'],
    ['a3', 'acme'],
    ['f1', 'fabrikam'],
    ['f2', 'fabrikam'],
  ];
  for (const [user, org] of users) {
    await settings.create('user', user, { overrides: {}, organizationId: org });
  }
  await states.recordFailure('a1', 'tasks', 'Microsoft account not connected', now);
  await states.recordFailure('a2', 'calendar', 'Oro at https://crm.example.com refused the connection', now);
  await states.recordFailure('a2', 'tasks', 'Oro at https://crm.example.com refused the connection', now);
  await states.recordFailure('f2', 'tasks', 'Microsoft app not configured', now);
  // a3 ran fine: a state row, not in error
  const leased = await states.acquire('a3', 'tasks', 'run-1', 60_000, now);
  await states.save('a3', 'tasks', {
    ...leased!,
    state: { ...leased!.state, status: 'idle', lease: undefined },
  });
  // f1 failed once, then a run succeeded: no longer failing
  await states.recordFailure('f1', 'calendar', 'timeout', now);
  const again = await states.acquire('f1', 'calendar', 'run-2', 60_000, now);
  await states.save('f1', 'calendar', {
    ...again!,
    state: { ...again!.state, status: 'idle', lease: undefined },
  });
});

const key = (i: FailingSync) => `${i.userId}:${i.entity}`;

async function all(query: {
  organizationId?: string;
  limit: number;
}): Promise<{ items: FailingSync[]; pages: number }> {
  const items: FailingSync[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await fleet.failing({ ...query, ...(token ? { continuationToken: token } : {}) });
    expect(page.items.length).toBeLessThanOrEqual(query.organizationId ? query.limit * 2 : query.limit);
    items.push(...page.items);
    token = page.continuationToken ?? undefined;
    pages++;
  } while (token && pages < 20);
  return { items, pages };
}

it('lists every failing user and entity of the deployment with the reason and the organization', async () => {
  const { items } = await all({ limit: 50 });
  expect(items.map(key).sort()).toEqual(['a1:tasks', 'a2:calendar', 'a2:tasks', 'f2:tasks']);
  expect(items.find((i) => key(i) === 'a2:calendar')).toEqual({
    userId: 'a2',
    organizationId: 'acme',
    entity: 'calendar',
    lastError: 'Oro at https://crm.example.com refused the connection',
    lastSyncAt: null,
  });
});

it('pages through them with continuation tokens, each once', async () => {
  const { items, pages } = await all({ limit: 1 });
  expect(items.map(key).sort()).toEqual(['a1:tasks', 'a2:calendar', 'a2:tasks', 'f2:tasks']);
  expect(pages).toBeGreaterThanOrEqual(4);
});

it("lists one organization's failing users only, paged by its users", async () => {
  expect((await all({ organizationId: 'acme', limit: 50 })).items.map(key).sort()).toEqual([
    'a1:tasks',
    'a2:calendar',
    'a2:tasks',
  ]);
  expect((await all({ organizationId: 'acme', limit: 1 })).items.map(key).sort()).toEqual([
    'a1:tasks',
    'a2:calendar',
    'a2:tasks',
  ]);
  expect((await all({ organizationId: 'fabrikam', limit: 50 })).items).toEqual([
    expect.objectContaining({
      userId: 'f2',
      organizationId: 'fabrikam',
      lastError: 'Microsoft app not configured',
    }),
  ]);
  expect((await all({ organizationId: 'nobody', limit: 50 })).items).toEqual([]);
});

it('refuses a forged token, or one of another query, as a validation error naming the field', async () => {
  const first = await fleet.failing({ limit: 1 });
  expect(first.continuationToken).not.toBeNull();
  const forged = Buffer.from(JSON.stringify({ by: 'state', nextPartitionKey: { $ne: 1 } })).toString(
    'base64url',
  );
  for (const token of ['not a token', forged, Buffer.from('{"by":"state"').toString('base64url')]) {
    await expect(fleet.failing({ limit: 1, continuationToken: token })).rejects.toMatchObject({
      code: 'validation',
      fieldErrors: [expect.objectContaining({ path: 'continuationToken' })],
    });
  }
  await expect(
    fleet.failing({ organizationId: 'acme', limit: 1, continuationToken: first.continuationToken! }),
  ).rejects.toMatchObject({ code: 'validation' });
});
