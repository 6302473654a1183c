import { DEMO } from '../../../dev/seed';
import type { Stack } from '../../../dev/stack';
import { apiClient, startTestStack } from '../../support/stack';

// GET /api/sync/status over a real socket: the seeded users are not connected, so a run
// of each fails "not ready" and the fleet view lists them with the reason.

describe('GET /api/sync/status (fleet view)', () => {
  let stack: Stack;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    stack = await startTestStack({ seed: true });
    api = apiClient(stack.url, await stack.adminToken());
    for (const userId of [DEMO.inheritingUserId, DEMO.overridingUserId]) {
      const run = await api('POST', '/dev/queues/task-sync', {
        body: { userId, entity: 'tasks', reason: 'manual', requestedAt: new Date().toISOString() },
      });
      expect(run.status).toBe(204);
    }
  });
  afterAll(() => stack?.close());

  type Page = { items: Array<Record<string, unknown>>; continuationToken: string | null };

  it('lists the users whose sync fails, with the reason, for the deployment and for one organization', async () => {
    const everywhere = await api('GET', '/api/sync/status?state=error');
    expect(everywhere.status).toBe(200);
    const items = (everywhere.body as Page).items;
    expect(items.map((i) => i.userId).sort()).toEqual([DEMO.inheritingUserId, DEMO.overridingUserId]);
    for (const item of items) {
      expect(item).toMatchObject({ organizationId: DEMO.organizationId, entity: 'tasks' });
      expect(item.lastError).toEqual(expect.stringMatching(/connect/i));
    }
    const inOrg = await api(
      'GET',
      `/api/sync/status?state=error&organizationId=${DEMO.organizationId}&limit=1`,
    );
    expect(inOrg.status).toBe(200);
    let page = inOrg.body as Page;
    const seen = [...page.items];
    while (page.continuationToken) {
      page = (
        await api(
          'GET',
          `/api/sync/status?state=error&organizationId=${DEMO.organizationId}&limit=1&continuationToken=${encodeURIComponent(page.continuationToken)}`,
        )
      ).body as Page;
      seen.push(...page.items);
    }
    expect(seen.map((i) => i.userId).sort()).toEqual([DEMO.inheritingUserId, DEMO.overridingUserId]);
    const other = await api('GET', '/api/sync/status?state=error&organizationId=globex');
    expect((other.body as Page).items).toEqual([]);
  });

  it('wants an admin token, a known state and a token it issued', async () => {
    expect((await api('GET', '/api/sync/status?state=error', { token: null })).status).toBe(401);
    const bad = await api('GET', '/api/sync/status?state=idle&limit=0&organizationId=%20x');
    expect(bad.status).toBe(400);
    expect((bad.body as { errors: { path: string }[] }).errors.map((e) => e.path).sort()).toEqual([
      'limit',
      'organizationId',
      'state',
    ]);
    const forged = await api('GET', '/api/sync/status?state=error&continuationToken=eyJieSI6InN0YXRlIn0');
    expect(forged.status).toBe(400);
    expect((forged.body as { errors: { path: string }[] }).errors[0]?.path).toBe('continuationToken');
  });

  it('is in the OpenAPI document with its query and response schema', async () => {
    const doc = (await api('GET', '/api/openapi.json')).body as {
      paths: Record<string, Record<string, { parameters: Array<{ name: string }> }>>;
    };
    const operation = doc.paths['/api/sync/status']?.get ?? doc.paths['/sync/status']?.get;
    expect(operation).toBeDefined();
    expect(operation?.parameters.map((p) => p.name)).toEqual(
      expect.arrayContaining(['state', 'organizationId', 'limit', 'continuationToken']),
    );
  });
});
