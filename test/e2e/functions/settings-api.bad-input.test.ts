import { useTestStack } from '../../support/stack';
import { ORG_ID, expectProblem } from '../../support/settings-api';

describe('settings API over the dev host', () => {
  const t = useTestStack();

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
});
