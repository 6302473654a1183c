import { DEMO } from '../../../dev/seed';
import { useTestStack } from '../../support/stack';
import { connect, openCallback, signInAtSimulator } from '../../support/sign-in';

const USER = DEMO.inheritingUserId;
/** Typed, so the object literal holding it stays typed. */
const anyString = (): unknown => expect.any(String);

describe('Microsoft account connection', () => {
  const t = useTestStack({ seed: true });

  it('connects through the popup flow and reports three green checks, and the Oro calendar', async () => {
    const page = await connect(t.api, USER);
    expect(page.status).toBe(200);
    expect(page.message).toEqual({
      type: 'microsoft-connection',
      ok: true,
      userId: USER,
      accountName: 'megan.bowen@contoso.example',
    });
    expect(page.origin).toBe(t.stack.url);

    const status = await t.api('GET', `/api/users/${USER}/connection`);
    expect(status.body).toMatchObject({ status: 'connected', accountName: 'megan.bowen@contoso.example' });

    const check = await t.api('POST', `/api/users/${USER}/connection/check`);
    expect(check.status).toBe(200);
    expect(check.body).toEqual({
      ok: true,
      checks: [
        { name: 'profile', ok: true, detail: 'Signed in as Megan Bowen <megan.bowen@contoso.example>' },
        { name: 'calendar', ok: true, detail: 'Calendar "Calendar" can be written' },
        { name: 'tasks', ok: true, detail: 'To Do list "Tasks" found' },
        {
          name: 'oro-calendar',
          ok: true,
          detail: `Oro calendar ${t.stack.oro.calendar.defaultCalendar(USER)} can be read`,
        },
      ],
    });
  });

  it('reports a failed check, not a failed request, when Graph does not answer', async () => {
    expect((await connect(t.api, USER)).message.ok).toBe(true);
    t.stack.microsoft.dropNext(0, false); // the $batch's connection lost
    const check = await t.api('POST', `/api/users/${USER}/connection/check`);
    expect(check.status).toBe(200);
    const body = check.body as { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] };
    expect(body.ok).toBe(false);
    expect(body.checks.slice(0, 3)).toEqual(
      ['profile', 'calendar', 'tasks'].map((name) => ({
        name,
        ok: false,
        detail:
          'Microsoft 365 could not be checked now: Graph: no answer (fetch failed: other side closed). Try again in a minute.',
      })),
    );
    // The next check, Graph answering again, is green.
    expect((await t.api('POST', `/api/users/${USER}/connection/check`)).body).toMatchObject({ ok: true });
  });

  it('refuses a replayed state', async () => {
    const started = await t.api('POST', `/api/users/${USER}/connection/authorize`);
    const callback = await signInAtSimulator((started.body as { authorizeUrl: string }).authorizeUrl);
    expect((await openCallback(callback)).message.ok).toBe(true);
    const replay = await openCallback(callback);
    expect(replay.status).toBe(400);
    expect(replay.message).toMatchObject({ ok: false, error: expect.stringMatching(/already/) as unknown });
  });
});

describe('Microsoft account connection: what goes wrong', () => {
  const t = useTestStack({ seed: true });

  const status = async (user: string) => (await t.api('GET', `/api/users/${user}/connection`)).body;

  it('reports a cancelled sign-in and stays disconnected', async () => {
    const page = await connect(t.api, USER, { cancel: true });
    expect(page.status).toBe(400);
    expect(page.message).toEqual({
      type: 'microsoft-connection',
      ok: false,
      userId: USER,
      error: 'Sign-in was cancelled.',
    });
    // The status says why the last sign-in failed.
    expect(await status(USER)).toEqual({
      status: 'disconnected',
      signInError: { at: anyString(), message: page.message.error },
    });
  });

  it('names the permissions the user did not grant', async () => {
    const page = await connect(t.api, USER, { granted: ['User.Read', 'Calendars.ReadWrite'] });
    expect(page.message).toMatchObject({
      ok: false,
      error: expect.stringContaining('Tasks.ReadWrite') as unknown,
    });
    // The status says why the last sign-in failed.
    expect(await status(USER)).toEqual({
      status: 'disconnected',
      signInError: { at: anyString(), message: page.message.error },
    });
  });

  it('refuses an account of another directory', async () => {
    const page = await connect(t.api, USER, { account: 'guest@fabrikam.example' });
    expect(page.message).toMatchObject({
      ok: false,
      error: expect.stringContaining('another directory') as unknown,
    });
    // The status says why the last sign-in failed.
    expect(await status(USER)).toEqual({
      status: 'disconnected',
      signInError: { at: anyString(), message: page.message.error },
    });
  });

  it('refuses an expired state', async () => {
    const { authorizeUrl } = await t.stack.services.connections.authorize(
      USER,
      new Date(Date.now() - 11 * 60_000),
    );
    const page = await openCallback(await signInAtSimulator(authorizeUrl));
    expect(page.message).toMatchObject({
      ok: false,
      userId: USER,
      error: expect.stringContaining('expired') as unknown,
    });
  });

  it('refuses an unknown state and a malformed callback', async () => {
    const unknown = await openCallback(`${t.stack.url}/api/oauth/callback?code=x&state=not-a-state`);
    expect(unknown).toMatchObject({
      status: 400,
      message: { ok: false, error: expect.stringContaining('unknown') as unknown },
    });
    const none = await openCallback(`${t.stack.url}/api/oauth/callback?code=x`);
    expect(none.message.ok).toBe(false);
  });

  it('fails the code exchange when the code meets another sign-in’s verifier (wrong PKCE verifier)', async () => {
    const a = (await t.api('POST', `/api/users/${USER}/connection/authorize`)).body as {
      authorizeUrl: string;
    };
    const b = (await t.api('POST', `/api/users/${USER}/connection/authorize`)).body as {
      authorizeUrl: string;
    };
    const callbackA = new URL(await signInAtSimulator(a.authorizeUrl));
    // The code of sign-in A, delivered with the state (and so the verifier) of sign-in B.
    callbackA.searchParams.set('state', new URL(b.authorizeUrl).searchParams.get('state') ?? '');
    const page = await openCallback(callbackA.toString());
    expect(page.message).toMatchObject({
      ok: false,
      error: expect.stringContaining('Code_Verifier') as unknown,
    });
    // The status says why the last sign-in failed.
    expect(await status(USER)).toEqual({
      status: 'disconnected',
      signInError: { at: anyString(), message: page.message.error },
    });
  });

  it('answers 409 naming the missing fields when the Microsoft app is not configured', async () => {
    await t.api('PUT', '/api/settings/organizations/bare', { body: { microsoftApp: { clientId: null } } });
    await t.api('PATCH', '/api/settings/global', { body: { microsoftApp: { clientSecret: null } } });
    await t.api('PUT', '/api/settings/users/lonely', { body: { organizationId: 'bare' } });
    const res = await t.api('POST', '/api/users/lonely/connection/authorize');
    expect(res.status).toBe(409);
    expect((res.body as { errors: unknown }).errors).toEqual([
      { path: 'microsoftApp.clientSecret', message: 'not set' },
    ]);
    await t.api('PATCH', '/api/settings/global', {
      body: { microsoftApp: { clientSecret: DEMO.clientSecret } },
    });
  });

  it('answers 404 for an unknown user', async () => {
    expect((await t.api('POST', '/api/users/nobody/connection/authorize')).status).toBe(404);
    expect((await t.api('GET', '/api/users/nobody/connection')).status).toBe(404);
    expect((await t.api('POST', '/api/users/nobody/connection/check')).status).toBe(404);
    expect((await t.api('DELETE', '/api/users/nobody/connection')).status).toBe(404);
  });

  it('turns a revoked refresh token into reconnect-required, and stops handing out tokens', async () => {
    const user = DEMO.overridingUserId;
    t.stack.microsoft.setAccessTokenLifetime(60); // inside MSAL's refresh window: every use refreshes
    try {
      expect((await connect(t.api, user, { account: 'adele.vance@contoso.example' })).message.ok).toBe(true);
      await expect(t.stack.services.connections.graphAccessToken(user)).resolves.toEqual(expect.any(String));
      t.stack.microsoft.revokeRefreshTokens('adele.vance@contoso.example');

      const check = (await t.api('POST', `/api/users/${user}/connection/check`)).body as {
        ok: boolean;
        checks: { name: string; ok: boolean; detail: string }[];
      };
      expect(check.ok).toBe(false);
      const microsoft = check.checks.filter((c) => c.name !== 'oro-calendar');
      expect(microsoft.every((c) => !c.ok && c.detail.includes('connected again'))).toBe(true);
      expect(await status(user)).toMatchObject({
        status: 'reconnect-required',
        accountName: 'adele.vance@contoso.example',
        reason: expect.stringContaining('revoked') as unknown,
      });
      await expect(t.stack.services.connections.graphAccessToken(user)).rejects.toMatchObject({
        code: 'not-connected',
      });

      // Connecting again brings it back.
      expect((await connect(t.api, user, { account: 'adele.vance@contoso.example' })).message.ok).toBe(true);
      expect(await status(user)).toMatchObject({ status: 'connected' });
    } finally {
      t.stack.microsoft.setAccessTokenLifetime(3600);
    }
  });
});

describe('Microsoft account connection: tokens', () => {
  const t = useTestStack({ seed: true });

  async function rawConnectionRows(user: string): Promise<string> {
    const rows: unknown[] = [];
    for await (const e of t.stack.services.tables.client('connections').listEntities({
      queryOptions: { filter: `PartitionKey eq '${user}'` },
    })) {
      rows.push(e);
    }
    return JSON.stringify(rows);
  }

  it('keeps no plaintext token at rest, and refreshes concurrently without corrupting the cache', async () => {
    // Sign in with a token already inside MSAL's refresh window, then let refreshes give
    // long-lived ones: every caller refreshes at once, one cache write wins, the others
    // lose their ETag race, re-read, and find the winner's fresh token.
    t.stack.microsoft.setAccessTokenLifetime(60);
    expect((await connect(t.api, USER)).message.ok).toBe(true);
    t.stack.microsoft.setAccessTokenLifetime(3600);
    const before =
      t.stack.microsoft.requestCounts()[`POST /${t.stack.microsoft.tenantId}/oauth2/v2.0/token`] ?? 0;

    const tokens = await Promise.all(
      Array.from({ length: 6 }, () => t.stack.services.connections.graphAccessToken(USER)),
    );
    expect(tokens.every((t) => t.split('.').length === 3)).toBe(true);
    const refreshes =
      (t.stack.microsoft.requestCounts()[`POST /${t.stack.microsoft.tenantId}/oauth2/v2.0/token`] ?? 0) -
      before;
    expect(refreshes).toBeGreaterThanOrEqual(1);
    expect(refreshes).toBeLessThanOrEqual(6);

    // The cache still works after the race: a later call gets a token, and Check passes.
    await expect(t.stack.services.connections.graphAccessToken(USER)).resolves.toEqual(expect.any(String));
    expect(((await t.api('POST', `/api/users/${USER}/connection/check`)).body as { ok: boolean }).ok).toBe(
      true,
    );

    const raw = await rawConnectionRows(USER);
    for (const token of tokens) {
      expect(raw).not.toContain(token);
    }
    expect(raw).not.toMatch(/rt\.[A-Za-z0-9_-]{10}/);
    expect(raw).not.toContain('refresh_token');
    expect(raw).not.toContain('secret');
  });

  it('disconnects: tokens gone, account remembered, checks fail until reconnected', async () => {
    const res = await t.api('DELETE', `/api/users/${USER}/connection`);
    expect(res.status).toBe(204);
    expect((await t.api('GET', `/api/users/${USER}/connection`)).body).toEqual({ status: 'disconnected' });
    const raw = await rawConnectionRows(USER);
    expect(raw).not.toContain('msalcache');
    expect(raw).toContain('megan.bowen@contoso.example');
    const check = (await t.api('POST', `/api/users/${USER}/connection/check`)).body as { ok: boolean };
    expect(check.ok).toBe(false);
    expect((await t.api('DELETE', `/api/users/${USER}/connection`)).status).toBe(204);
  });

  it('serves the callback page with a strict CSP and no code in it', async () => {
    const started = (await t.api('POST', `/api/users/${USER}/connection/authorize`)).body as {
      authorizeUrl: string;
    };
    const callback = await signInAtSimulator(started.authorizeUrl);
    const code = new URL(callback).searchParams.get('code') ?? '';
    const page = await openCallback(callback);
    expect(page.headers.get('content-security-policy')).toMatch(
      /default-src 'none'; script-src 'nonce-[^']+'/,
    );
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.html).not.toContain(code);
  });
});
