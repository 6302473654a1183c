import type { z } from 'zod';
import type { HttpFunctionDefinition } from '../../../functions/http';
import { buildFunctionTable } from '../../../functions/index';
import { problemSchema } from '../../../shared/http/problem';
import { effectiveSettingsRead, settingsLevelRead } from '../../../shared/settings/schema';
import { useTestStack, type ApiResponse } from '../../support/stack';

const ORG_ID = 'org-e2e';
const CLIENT_ID = '3e9b8c1a-7f21-4d3a-9b57-0c6de1f2a8b4';

function expectProblem(res: ApiResponse, status: number): z.infer<typeof problemSchema> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const problem = problemSchema.parse(res.body);
  expect(problem.status).toBe(status);
  expect(problem.detail.length).toBeGreaterThan(0);
  return problem;
}

describe('settings API over the dev host', () => {
  const t = useTestStack();

  describe('auth', () => {
    const adminRoutes = buildFunctionTable(() => {
      throw new Error('not called');
    }).filter((f): f is HttpFunctionDefinition => f.kind === 'http' && f.operation.security === 'admin');
    const concrete = (route: string) =>
      `/api/${route.replace('{orgId}', ORG_ID).replace('{userId}', 'u-auth')}`;

    it.each(adminRoutes.map((f) => [f.method, f.route]))(
      '%s %s answers 401 without a token',
      async (method, route) => {
        const res = await t.api(method, concrete(route), {
          token: null,
          body: method === 'GET' || method === 'DELETE' ? undefined : {},
        });
        expectProblem(res, 401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      },
    );

    it.each(adminRoutes.map((f) => [f.method, f.route]))(
      '%s %s answers 403 without the Sync.Admin role',
      async (method, route) => {
        const token = await t.stack.microsoft.issueToken({
          audience: 'api://oro-m365-sync',
          roles: ['Sync.Reader'],
        });
        expectProblem(await t.api(method, concrete(route), { token }), 403);
      },
    );

    it('answers 401 for an expired token', async () => {
      expectProblem(
        await t.api('GET', '/api/settings/global', { token: await t.stack.adminToken(-3600) }),
        401,
      );
    });

    it('takes the Bearer scheme in any case (RFC 6750 §2.1)', async () => {
      const token = await t.stack.adminToken();
      for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
        const res = await t.api('GET', '/api/settings/global', {
          token: null,
          headers: { Authorization: `${scheme} ${token}` },
        });
        expect(res.status).toBe(200);
      }
      expectProblem(
        await t.api('GET', '/api/settings/global', {
          token: null,
          headers: { Authorization: `Basic ${token}` },
        }),
        401,
      );
    });

    it('serves health and the OpenAPI document without a token', async () => {
      const health = await t.api('GET', '/api/health', { token: null });
      expect(health.status).toBe(200);
      expect(health.body).toEqual({
        status: 'ok',
        checks: [
          { name: 'tables', ok: true },
          { name: 'service bus', ok: true },
        ],
      });
      expect((await t.api('GET', '/api/openapi.json', { token: null })).status).toBe(200);
    });
  });

  describe('global level', () => {
    it('reads complete defaults with an ETag', async () => {
      const res = await t.api('GET', '/api/settings/global');
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expect(settingsLevelRead.parse(res.body)).toMatchObject({
        syncIntervalMinutes: 30,
        calendar: {
          enabled: false,
          direction: 'bidirectional',
          conflictResolution: 'oro-wins',
          privateEvents: 'busy-only',
        },
        tasks: { enabled: false, direction: 'bidirectional', conflictResolution: 'oro-wins' },
      });
    });

    it('writes with If-Match; a stale ETag gets 412 and changes nothing', async () => {
      const before = await t.api('GET', '/api/settings/global');
      const etag = before.headers.get('etag') ?? '';
      const patched = await t.api('PATCH', '/api/settings/global', {
        body: {
          syncIntervalMinutes: 45,
          microsoftApp: {
            clientId: CLIENT_ID,
            tenantId: 'contoso.onmicrosoft.com',
            clientSecret: 'top-secret-value',
          },
        },
        headers: { 'If-Match': etag },
      });
      expect(patched.status).toBe(200);
      expect(patched.text).not.toContain('top-secret-value');
      expect(patched.body).toMatchObject({
        syncIntervalMinutes: 45,
        microsoftApp: { clientId: CLIENT_ID, clientSecretSet: true },
      });
      const newEtag = patched.headers.get('etag');
      expect(newEtag).not.toBe(etag);

      const stale = await t.api('PUT', '/api/settings/global', {
        body: { syncIntervalMinutes: 5 },
        headers: { 'If-Match': etag },
      });
      expectProblem(stale, 412);
      const after = await t.api('GET', '/api/settings/global');
      expect(after.body).toEqual(patched.body);
      expect(after.headers.get('etag')).toBe(newEtag);
    });

    it('keeps the secret when a GET document is PUT back unchanged', async () => {
      const read = await t.api('GET', '/api/settings/global');
      const put = await t.api('PUT', '/api/settings/global', {
        body: read.body,
        headers: { 'If-Match': read.headers.get('etag') ?? '' },
      });
      expect(put.status).toBe(200);
      expect(put.body).toEqual(read.body);
    });

    it('has no DELETE', async () => {
      const res = await t.api('DELETE', '/api/settings/global');
      expectProblem(res, 405);
      expect(res.headers.get('allow')).toBe('GET, PUT, PATCH');
    });
  });

  describe('organization and user levels', () => {
    it('404s an unknown organization, creates one with PUT (201), merges with PATCH', async () => {
      expectProblem(await t.api('GET', `/api/settings/organizations/${ORG_ID}`), 404);
      const created = await t.api('PUT', `/api/settings/organizations/${ORG_ID}`, {
        body: { calendar: { enabled: true } },
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(`/api/settings/organizations/${ORG_ID}`);
      expect(created.body).toEqual({ calendar: { enabled: true } });
      const patched = await t.api('PATCH', `/api/settings/organizations/${ORG_ID}`, {
        body: { calendar: { direction: 'oro-to-microsoft' }, syncIntervalMinutes: 20 },
        headers: { 'Content-Type': 'application/merge-patch+json' },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toEqual({
        calendar: { enabled: true, direction: 'oro-to-microsoft' },
        syncIntervalMinutes: 20,
      });
    });

    it('If-None-Match: * creates only', async () => {
      expectProblem(
        await t.api('PUT', `/api/settings/organizations/${ORG_ID}`, {
          body: {},
          headers: { 'If-None-Match': '*' },
        }),
        412,
      );
    });

    it("needs the organization on a user's first write, and a known one", async () => {
      const missing = expectProblem(
        await t.api('PUT', '/api/settings/users/u1', { body: { syncIntervalMinutes: 5 } }),
        400,
      );
      expect(missing.errors).toEqual([{ path: 'organizationId', message: expect.any(String) as unknown }]);
      expectProblem(
        await t.api('PUT', '/api/settings/users/u1', { body: { organizationId: 'nowhere' } }),
        404,
      );
      expectProblem(await t.api('GET', '/api/settings/users/u1'), 404);
      expectProblem(await t.api('GET', '/api/settings/users/u1/effective'), 404);
    });

    it('refuses application credentials at user level, naming them', async () => {
      const problem = expectProblem(
        await t.api('PUT', '/api/settings/users/u1', {
          body: { organizationId: ORG_ID, microsoftApp: { clientId: CLIENT_ID } },
        }),
        400,
      );
      expect(problem.errors).toEqual([
        { path: 'microsoftApp', message: 'set at global or organization level only' },
      ]);
    });

    it('resolves effective settings per field with the level each came from', async () => {
      const created = await t.api('PUT', '/api/settings/users/u1', {
        body: { organizationId: ORG_ID, calendar: { conflictResolution: 'most-recent-wins' } },
      });
      expect(created.status).toBe(201);
      expect(settingsLevelRead.parse(created.body)).toEqual({
        organizationId: ORG_ID,
        calendar: { conflictResolution: 'most-recent-wins' },
      });
      const res = await t.api('GET', '/api/settings/users/u1/effective');
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBeTruthy();
      const effective = effectiveSettingsRead.parse(res.body);
      expect(effective.calendar).toEqual({
        enabled: { value: true, source: 'organization' },
        direction: { value: 'oro-to-microsoft', source: 'organization' },
        conflictResolution: { value: 'most-recent-wins', source: 'user' },
        privateEvents: { value: 'busy-only', source: 'global' },
        oroCalendarId: { value: null, source: 'global' },
        microsoftCalendarId: { value: null, source: 'global' },
      });
      expect(effective.syncIntervalMinutes).toEqual({ value: 20, source: 'organization' });
      // The user's Oro calendar is set on the user only.
      const own = await t.api('PATCH', '/api/settings/users/u1', {
        body: { calendar: { oroCalendarId: 7 } },
      });
      expect(own.status).toBe(200);
      const withId = effectiveSettingsRead.parse(
        (await t.api('GET', '/api/settings/users/u1/effective')).body,
      );
      expect(withId.calendar.oroCalendarId).toEqual({ value: 7, source: 'user' });
      expectProblem(
        await t.api('PATCH', `/api/settings/organizations/${ORG_ID}`, {
          body: { calendar: { oroCalendarId: 7 } },
        }),
        400,
      );
      expect(effective.microsoftApp.clientSecretSet).toEqual({ value: true, source: 'global' });
      expect(res.text).not.toContain('top-secret-value');
    });

    it('clears an override with null so the field inherits again', async () => {
      await t.api('PATCH', '/api/settings/users/u1', { body: { syncIntervalMinutes: 3 } });
      let effective = effectiveSettingsRead.parse(
        (await t.api('GET', '/api/settings/users/u1/effective')).body,
      );
      expect(effective.syncIntervalMinutes).toEqual({ value: 3, source: 'user' });
      await t.api('PATCH', '/api/settings/users/u1', { body: { syncIntervalMinutes: null } });
      effective = effectiveSettingsRead.parse((await t.api('GET', '/api/settings/users/u1/effective')).body);
      expect(effective.syncIntervalMinutes).toEqual({ value: 20, source: 'organization' });
    });

    it('deletes: 409 while the organization has users, 204 after, 404 then', async () => {
      const org = `/api/settings/organizations/${ORG_ID}`;
      const conflict = expectProblem(await t.api('DELETE', org), 409);
      expect(conflict.detail).toContain('users');
      const user = await t.api('GET', '/api/settings/users/u1');
      expectProblem(
        await t.api('DELETE', '/api/settings/users/u1', { headers: { 'If-Match': '"stale"' } }),
        412,
      );
      expect(
        (
          await t.api('DELETE', '/api/settings/users/u1', {
            headers: { 'If-Match': user.headers.get('etag') ?? '' },
          })
        ).status,
      ).toBe(204);
      expect((await t.api('DELETE', org)).status).toBe(204);
      expectProblem(await t.api('DELETE', org), 404);
    });
  });

  describe('bad input', () => {
    it('names each bad field: wrong types, out of range, unknown fields', async () => {
      const problem = expectProblem(
        await t.api('PUT', '/api/settings/organizations/bad', {
          body: {
            syncIntervalMinutes: 0,
            calendar: { enabled: 'yes', direction: 'sideways', colour: 'red' },
            tasks: { conflictResolution: 'coin-toss' },
            microsoftApp: { clientId: 'not-a-guid', redirectUri: 'http://example.com/cb' },
            extra: true,
          },
        }),
        400,
      );
      expect(problem.errors?.map((e) => e.path).sort()).toEqual(
        [
          'calendar.colour',
          'calendar.direction',
          'calendar.enabled',
          'extra',
          'microsoftApp.clientId',
          'microsoftApp.redirectUri',
          'syncIntervalMinutes',
          'tasks.conflictResolution',
        ].sort(),
      );
      expectProblem(await t.api('GET', '/api/settings/organizations/bad'), 404);
    });

    it.each(['organizations/bad', 'users/u-proto'])(
      'names prototype-named keys with a string message (%s)',
      async (level) => {
        for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
          const res = await t.api('PATCH', `/api/settings/${level}`, {
            // Raw JSON: JSON.parse makes "__proto__" an own key, as it would for any client.
            rawBody: `{${level.startsWith('users') ? `"organizationId":"${ORG_ID}",` : ''}"${key}":{"a":1},"calendar":{"${key}":1}}`,
            headers: { 'Content-Type': 'application/json' },
          });
          const problem = expectProblem(res, 400);
          expect(problem.errors?.map((e) => e.path).sort()).toEqual([`calendar.${key}`, key].sort());
          for (const e of problem.errors ?? []) {
            expect(e.message).toBe('unknown field');
          }
        }
      },
    );

    it.each([0, 1441, 1.5, '30'])('refuses syncIntervalMinutes %p', async (value) => {
      const problem = expectProblem(
        await t.api('PATCH', '/api/settings/global', { body: { syncIntervalMinutes: value } }),
        400,
      );
      expect(problem.errors?.[0]?.path).toBe('syncIntervalMinutes');
    });

    it('refuses bad JSON, an empty body, a non-object, a non-JSON type', async () => {
      expectProblem(
        await t.api('PUT', '/api/settings/global', {
          rawBody: '{"a":',
          headers: { 'Content-Type': 'application/json' },
        }),
        400,
      );
      expectProblem(
        await t.api('PUT', '/api/settings/global', {
          rawBody: '',
          headers: { 'Content-Type': 'application/json' },
        }),
        400,
      );
      expectProblem(await t.api('PUT', '/api/settings/global', { body: [1, 2] }), 400);
      const leaky = await t.api('PUT', '/api/settings/global', {
        rawBody: '{"oro": {"clientSecret": "hunter2-secret" oops',
        headers: { 'Content-Type': 'application/json' },
      });
      expectProblem(leaky, 400);
      expect(leaky.text).not.toContain('hunter2');
      expectProblem(
        await t.api('PUT', '/api/settings/global', {
          rawBody: 'a=b',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        }),
        415,
      );
    });

    it('answers 413 for a body over 64 KiB', async () => {
      const res = await t.api('PUT', '/api/settings/global', { body: { pad: 'x'.repeat(70 * 1024) } });
      expectProblem(res, 413);
    });

    it('refuses an id that cannot be a key', async () => {
      const problem = expectProblem(await t.api('GET', '/api/settings/users/bad%20id'), 400);
      expect(problem.errors?.[0]?.path).toBe('userId');
    });

    it('answers problem+json 404 for an unknown route', async () => {
      expectProblem(await t.api('GET', '/api/nothing-here'), 404);
    });
  });

  describe('OpenAPI', () => {
    it('describes every function of the table from the same schemas', async () => {
      const res = await t.api('GET', '/api/openapi.json', { token: null });
      const doc = res.body as {
        openapi: string;
        paths: Record<string, Record<string, { requestBody?: unknown }>>;
        components: { schemas: Record<string, unknown> };
      };
      expect(doc.openapi).toBe('3.1.0');
      for (const fn of buildFunctionTable(() => t.stack.services)) {
        if (fn.kind !== 'http') {
          continue;
        }
        expect(doc.paths[`/api/${fn.route}`]?.[fn.method.toLowerCase()]).toBeDefined();
      }
      expect(doc.paths['/api/settings/users/{userId}']?.put?.requestBody).toEqual({
        required: true,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/UserSettingsWrite' } } },
      });
      expect(Object.keys(doc.components.schemas)).toEqual(
        expect.arrayContaining([
          'ScopeSettingsWrite',
          'UserSettingsWrite',
          'SettingsLevel',
          'EffectiveSettings',
          'Problem',
        ]),
      );
    });
  });
});
