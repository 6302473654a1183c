import type { HttpFunctionDefinition } from '../../../functions/http';
import { buildFunctionTable } from '../../../functions/index';
import { useTestStack } from '../../support/stack';
import { ORG_ID, expectProblem } from '../../support/settings-api';

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
