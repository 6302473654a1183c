import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { problemSchema } from '../../../shared/http/problem';
import { TABLE_NAMES } from '../../../shared/storage/tables';
import { useTestStack } from '../../support/stack';

/**
 * Random requests against the running dev host: whatever arrives, the answer is never a
 * 5xx, every error is problem+json, and a 4xx leaves stored settings exactly as they were.
 */
describe('API fuzz', () => {
  const t = useTestStack({ seed: true });

  /** Every stored row of every table with its ETag: the state a 4xx must not touch. */
  async function snapshot(): Promise<Map<string, string>> {
    const rows = new Map<string, string>();
    for (const table of TABLE_NAMES) {
      for await (const e of t.stack.services.tables.client(table).listEntities()) {
        rows.set(`${table}/${e.partitionKey}/${e.rowKey}`, `${e.etag}|${JSON.stringify(e)}`);
      }
    }
    return rows;
  }

  const id = fc.oneof(
    fc.constantFrom('101', '102', 'acme', 'ghost', 'a.b_c-d'),
    fc.string({ maxLength: 70 }).map(encodeURIComponent),
    fc.constantFrom('%', '%ZZ', '..', '%2F', 'x'.repeat(65), '%00', '%F0%9F%98%80'),
  );
  const path = fc.oneof(
    fc.constant('/api/settings/global'),
    id.map((i) => `/api/settings/organizations/${i}`),
    id.map((i) => `/api/settings/users/${i}`),
    id.map((i) => `/api/settings/users/${i}/effective`),
    id.map((i) => `/api/users/${i}/connection`),
    id.map((i) => `/api/users/${i}/connection/check`),
    id.map((i) => `/api/users/${i}/connection/authorize`),
    id.map((i) => `/api/users/${i}/microsoft/${i.length % 2 ? 'calendars' : 'task-lists'}`),
    id.map((i) => `/api/users/${i}/sync`),
    id.map(
      (i) => `/api/users/${i}/sync/log?limit=${i.length % 600}&entity=${i.length % 2 ? 'tasks' : 'contacts'}`,
    ),
    fc.constantFrom(
      '/api/oauth/callback',
      '/api/oauth/callback?state=x&code=y',
      '/api/oauth/callback?error=access_denied',
    ),
    fc.constantFrom(
      '/api/health',
      '/api/openapi.json',
      '/api/',
      '/api/settings',
      '/',
      '/api/settings/users//effective',
      '/api/notifications',
      '/api/notifications/lifecycle',
      '/api/notifications?validationToken=%F0%9F%98%80%20x',
    ),
    fc.webPath().map((p) => `/api${p}`),
  );
  const leafValue = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -5, max: 2000 }),
    fc.double(),
    fc.constantFrom('bidirectional', 'oro-wins', 'field-merge', 'sideways', '', 'https://x.example/cb'),
    fc.string(),
    fc.array(fc.integer(), { maxLength: 3 }),
  );
  const section = fc.dictionary(
    fc.constantFrom(
      'enabled',
      'direction',
      'conflictResolution',
      'clientId',
      'tenantId',
      'clientSecret',
      'clientSecretSet',
      'redirectUri',
      'baseUrl',
      'nope',
      // Object.prototype's names: a hint table must not find its members (issue: message `{}`).
      '__proto__',
      'constructor',
      'toString',
    ),
    leafValue,
    { maxKeys: 4 },
  );
  const nearlyValid = fc.dictionary(
    fc.constantFrom(
      'microsoftApp',
      'oro',
      'calendar',
      'tasks',
      'syncIntervalMinutes',
      'organizationId',
      'unknown',
      '__proto__',
      'constructor',
    ),
    fc.oneof(section, leafValue, fc.constantFrom('acme', 'ghost')),
    { maxKeys: 5 },
  );
  const validBody = fc
    .record(
      {
        syncIntervalMinutes: fc.option(fc.integer({ min: 1, max: 1440 })),
        calendar: fc.record({ enabled: fc.boolean() }, { requiredKeys: [] }),
        tasks: fc.record(
          { direction: fc.constantFrom('oro-to-microsoft', 'bidirectional') },
          { requiredKeys: [] },
        ),
        organizationId: fc.constant('acme'),
      },
      { requiredKeys: [] },
    )
    .map((b) => JSON.stringify(b));
  const body = fc.oneof(
    validBody,
    nearlyValid.map((b) => JSON.stringify(b)),
    fc.json(),
    fc.string({ maxLength: 200 }),
    fc.constantFrom(
      '',
      '{',
      'null',
      '[]',
      '"x"',
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{}}}',
    ),
  );
  const chaos = fc.record({
    method: fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE', 'POST', 'OPTIONS'),
    path,
    body: fc.option(body, { nil: undefined }),
    contentType: fc.constantFrom('application/json', 'application/merge-patch+json', 'text/plain', undefined),
    ifMatch: fc.option(fc.constantFrom('*', '"x"', 'W/"abc"', 'garbage', '"Vy8i"'), { nil: undefined }),
    authorized: fc.oneof(
      { arbitrary: fc.constant(true), weight: 9 },
      { arbitrary: fc.constant(false), weight: 1 },
    ),
  });
  /** Writes that often succeed, so state really moves between the refusals. */
  const plausibleWrite = fc.record({
    method: fc.constantFrom('PUT', 'PATCH'),
    path: fc.constantFrom(
      '/api/settings/global',
      '/api/settings/organizations/acme',
      '/api/settings/organizations/beta',
      '/api/settings/users/101',
      '/api/settings/users/103',
    ),
    body: fc.oneof(
      validBody,
      nearlyValid.map((b) => JSON.stringify(b)),
    ),
    contentType: fc.constant('application/json'),
    ifMatch: fc.constant(undefined),
    authorized: fc.constant(true),
  });
  const request = fc.oneof({ arbitrary: chaos, weight: 3 }, { arbitrary: plausibleWrite, weight: 1 });

  it('never answers 5xx, never changes state on a 4xx, and gives every field error a string message', async () => {
    let before = await snapshot();
    const seen = { changed: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = {};
        if (r.contentType) {
          headers['Content-Type'] = r.contentType;
        }
        if (r.ifMatch) {
          headers['If-Match'] = r.ifMatch;
        }
        const canHaveBody = r.method !== 'GET' && r.body !== undefined;
        const res = await t.api(r.method, r.path, {
          headers,
          ...(canHaveBody ? { rawBody: r.body } : {}),
          ...(r.authorized ? {} : { token: null }),
        });
        expect(res.status).toBeLessThan(500);
        const after = await snapshot();
        if (res.status >= 400) {
          // The OAuth callback answers its browser with a page, not problem+json.
          const expected =
            r.path.startsWith('/api/oauth/callback') && r.method === 'GET'
              ? 'text/html'
              : 'application/problem+json';
          expect(res.headers.get('content-type')).toContain(expected);
          if (expected === 'application/problem+json') {
            // Every field error names its path and says what is wrong, in words.
            expect(problemSchema.safeParse(res.body).error).toBeUndefined();
          }
          expect(after).toEqual(before);
          seen.refused++;
        } else if (!isDeepStrictEqual(after, before)) {
          seen.changed++;
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        before = after;
      }),
      { numRuns: 400 },
    );
    // Not vacuous: the generator reaches both accepted writes and refusals.
    expect(seen.changed).toBeGreaterThan(5);
    expect(seen.refused).toBeGreaterThan(100);
  });
});
