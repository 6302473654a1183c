import { problemSchema } from '../../../shared/http/problem';
import { useTestStack } from '../../support/stack';

const CLIENT_ID = '3e9b8c1a-7f21-4d3a-9b57-0c6de1f2a8b4';
const TENANT_ID = '9a1f0c3e-2b4d-4e6f-8a0b-1c2d3e4f5a6b';

/** Jest's asymmetric matcher, typed so object literals holding it stay typed. */
const containing = (text: string): unknown => expect.stringContaining(text);

const later = <T>(ms: number, f: () => Promise<T>): Promise<T> =>
  new Promise((resolve) => setTimeout(resolve, ms)).then(f);

/** Settings writes that race each other over real sockets, as many admins (or retries) would. */
describe('settings under contention', () => {
  const t = useTestStack();

  describe('an organization deleted while a user is created in it', () => {
    it('never leaves a user in a deleted organization (100 parallel tries)', async () => {
      const tries = Array.from({ length: 100 }, (_, i) => i);
      for (const i of tries) {
        expect((await t.api('PUT', `/api/settings/organizations/race-${i}`, { body: {} })).status).toBe(201);
      }
      const outcomes = await Promise.all(
        tries.map(async (i) => {
          // The two requests start a few milliseconds apart, either first, so their steps interleave.
          const stagger = (i % 10) - 5;
          const [user, org] = await Promise.all([
            later(Math.max(0, stagger), () =>
              t.api('PUT', `/api/settings/users/racer-${i}`, { body: { organizationId: `race-${i}` } }),
            ),
            later(Math.max(0, -stagger), () => t.api('DELETE', `/api/settings/organizations/race-${i}`)),
          ]);
          return { i, user: user.status, org: org.status };
        }),
      );
      const orphans: number[] = [];
      for (const { i, user, org } of outcomes) {
        const [userNow, orgNow] = await Promise.all([
          t.api('GET', `/api/settings/users/racer-${i}`),
          t.api('GET', `/api/settings/organizations/race-${i}`),
        ]);
        if (userNow.status === 200 && orgNow.status !== 200) {
          orphans.push(i);
        }
        expect(userNow.status).toBe(user === 201 ? 200 : 404);
        expect(orgNow.status).toBe(org === 204 ? 404 : 200);
      }
      const count = (user: number, org: number) =>
        outcomes.filter((o) => o.user === user && o.org === org).length;
      console.log(
        `100 create/delete races: ${count(201, 409)} joined first, ${count(404, 204)} deleted first, ` +
          `${count(404, 409)} both refused, ${orphans.length} orphan(s)`,
      );
      expect(orphans).toEqual([]);
      // Each pair is decided one way: the user joined (201, the deletion refused with 409),
      // the organization went first (204, the user's write refused with 404), or, when both
      // were checking at the same moment, both refused (404 and 409). Never both done.
      for (const { user, org } of outcomes) {
        expect([
          [201, 409],
          [404, 204],
          [404, 409],
        ]).toContainEqual([user, org]);
      }
    });

    it('a deletion that died after marking the organization blocks joins for 3 s at most', async () => {
      const org = '/api/settings/organizations/half-deleted';
      await t.api('PUT', org, { body: { syncIntervalMinutes: 9 } });
      // A deletion's host died between its mark and its delete: the mark stays on the row.
      await t.stack.services.tables
        .client('settings')
        .updateEntity(
          { partitionKey: 'organization', rowKey: 'half-deleted', deletingSince: new Date().toISOString() },
          'Merge',
        );
      const started = Date.now();
      const joined = await t.api('PUT', '/api/settings/users/late-joiner', {
        body: { organizationId: 'half-deleted' },
      });
      expect(joined.status).toBe(201);
      expect(Date.now() - started).toBeLessThan(6_000);
      expect((await t.api('GET', org)).body).toEqual({ syncIntervalMinutes: 9 });
      // The dead deletion's mark is gone; a new deletion sees the user.
      expect((await t.api('DELETE', org)).status).toBe(409);
      expect(
        (
          await t.api('PUT', '/api/settings/users/second-joiner', {
            body: { organizationId: 'half-deleted' },
          })
        ).status,
      ).toBe(201);
    });

    it('a deletion refused because of users changes nothing (same ETag)', async () => {
      const org = '/api/settings/organizations/kept';
      await t.api('PUT', org, { body: { syncIntervalMinutes: 12 } });
      await t.api('PUT', '/api/settings/users/member', { body: { organizationId: 'kept' } });
      const before = (await t.api('GET', org)).headers.get('etag');
      expect((await t.api('DELETE', org)).status).toBe(409);
      expect((await t.api('GET', org)).headers.get('etag')).toBe(before);
    });

    it('does not resolve credentials through a missing organization: 409, no fallback to global', async () => {
      await t.api('PATCH', '/api/settings/global', {
        body: {
          microsoftApp: {
            clientId: CLIENT_ID,
            tenantId: TENANT_ID,
            clientSecret: 'global-secret',
            redirectUri: 'https://sync.example.com/api/oauth/callback',
          },
          oro: {
            baseUrl: 'https://oro.example.com',
            clientId: 'global-oro',
            clientSecret: 'global-oro-secret',
          },
          tasks: { enabled: true },
        },
      });
      await t.api('PUT', '/api/settings/organizations/gone', { body: { syncIntervalMinutes: 10 } });
      await t.api('PUT', '/api/settings/users/stranded', { body: { organizationId: 'gone' } });
      // A user left in a vanished organization (a host that died between the two writes):
      // the organization's row removed underneath.
      await t.stack.services.tables.client('settings').deleteEntity('organization', 'gone');

      const effective = await t.api('GET', '/api/settings/users/stranded/effective');
      expect(effective.status).toBe(409);
      const problem = problemSchema.parse(effective.body);
      expect(problem.detail).toContain('organization "gone"');
      const authorize = await t.api('POST', '/api/users/stranded/connection/authorize');
      expect(authorize.status).toBe(409);
      expect(problemSchema.parse(authorize.body).detail).toContain('organization "gone"');
      // A sync run takes neither the global Oro instance nor the global app: it stops, and
      // the user's sync status says why.
      const run = await t.stack.services.sync.run('stranded', 'tasks');
      expect(run).toMatchObject({
        status: 'not-ready',
        error: containing('organization "gone"'),
      });
      const status = (await t.api('GET', '/api/users/stranded/sync')).body as {
        tasks: { lastError?: string };
      };
      expect(status.tasks.lastError).toContain('organization "gone"');

      // Moving the user to an existing organization repairs it.
      await t.api('PUT', '/api/settings/organizations/home', { body: {} });
      expect(
        (await t.api('PATCH', '/api/settings/users/stranded', { body: { organizationId: 'home' } })).status,
      ).toBe(200);
      expect((await t.api('GET', '/api/settings/users/stranded/effective')).status).toBe(200);
    });
  });

  describe('writes without If-Match', () => {
    // One value per field: every PATCH of a field writes the same value, so the final document
    // shows whether any PATCH was lost.
    const fields: Record<string, unknown>[] = [
      { syncIntervalMinutes: 17 },
      { calendar: { enabled: true } },
      { calendar: { direction: 'oro-to-microsoft' } },
      { calendar: { conflictResolution: 'microsoft-wins' } },
      { tasks: { enabled: true } },
      { tasks: { direction: 'microsoft-to-oro' } },
      { tasks: { conflictResolution: 'most-recent-wins' } },
      { microsoftApp: { clientId: CLIENT_ID } },
      { microsoftApp: { tenantId: TENANT_ID } },
      { microsoftApp: { redirectUri: 'https://sync.example.com/api/oauth/callback' } },
      { microsoftApp: { clientSecret: 's3cret' } },
      { oro: { baseUrl: 'https://oro.example.com' } },
      { oro: { clientId: 'oro-client' } },
      { oro: { clientSecret: 'oro-secret' } },
    ];

    it('land on top of each other: 50 parallel PATCHes all succeed and none is lost', async () => {
      const path = '/api/settings/organizations/busy';
      expect((await t.api('PUT', path, { body: {} })).status).toBe(201);
      const started = Date.now();
      const statuses = await Promise.all(
        Array.from(
          { length: 50 },
          async (_, i) => (await t.api('PATCH', path, { body: fields[i % fields.length] })).status,
        ),
      );
      console.log(
        `50 parallel PATCHes without If-Match: ${statuses.filter((s) => s === 200).length} × 200 in ${Date.now() - started} ms`,
      );
      expect(statuses).toEqual(Array.from({ length: 50 }, () => 200));
      expect((await t.api('GET', path)).body).toEqual({
        syncIntervalMinutes: 17,
        calendar: { enabled: true, direction: 'oro-to-microsoft', conflictResolution: 'microsoft-wins' },
        tasks: { enabled: true, direction: 'microsoft-to-oro', conflictResolution: 'most-recent-wins' },
        microsoftApp: {
          clientId: CLIENT_ID,
          tenantId: TENANT_ID,
          redirectUri: 'https://sync.example.com/api/oauth/callback',
          clientSecretSet: true,
        },
        oro: { baseUrl: 'https://oro.example.com', clientId: 'oro-client', clientSecretSet: true },
      });
    });

    it('with If-Match still lose: one of two writes at the same ETag gets 412', async () => {
      const path = '/api/settings/organizations/guarded';
      const etag = (await t.api('PUT', path, { body: {} })).headers.get('etag') ?? '';
      const statuses = await Promise.all(
        [5, 6].map(
          async (n) =>
            (await t.api('PATCH', path, { body: { syncIntervalMinutes: n }, headers: { 'If-Match': etag } }))
              .status,
        ),
      );
      expect(statuses.sort()).toEqual([200, 412]);
    });
  });
});
