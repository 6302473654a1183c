import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEMO } from '../../../dev/seed';
import { connect } from '../../support/sign-in';
import { useTestStack } from '../../support/stack';

/**
 * The stack's sync service keeps one Oro token cache for the process, as a Functions host
 * does: every organization's runs share it.
 */
describe('Oro credentials of one organization never serve another', () => {
  const t = useTestStack({ seed: true });

  it('refuses an organization with the URL and client id of another but a wrong secret, and a rotated secret at once', async () => {
    const acmeUser = DEMO.inheritingUserId; // Oro credentials from the global level
    // Runs are made here, one at a time; no notification queues one alongside.
    t.stack.microsoft.subscriptions.autoNotify = false;
    expect((await connect(t.api, acmeUser, { account: 'megan.bowen@contoso.example' })).message.ok).toBe(
      true,
    );
    expect(await t.stack.services.sync.run(acmeUser, 'tasks')).toMatchObject({ status: 'ok' });

    // Another organization names the same Oro instance and client id, with a guessed secret.
    await t.api('PUT', '/api/settings/organizations/beta', {
      body: { oro: { baseUrl: t.stack.oro.url, clientId: DEMO.oroClientId, clientSecret: 'a-guess' } },
    });
    await t.api('PUT', '/api/settings/users/beta-1', { body: { organizationId: 'beta' } });
    expect((await connect(t.api, 'beta-1', { account: 'adele.vance@contoso.example' })).message.ok).toBe(
      true,
    );
    const before = t.stack.oro.requestCounts()['GET /api/tasks'] ?? 0;
    expect(await t.stack.services.sync.run('beta-1', 'tasks')).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('Oro refused the integration credentials') as unknown,
    });
    expect(t.stack.oro.requestCounts()['GET /api/tasks'] ?? 0).toBe(before); // not one API call

    // The global secret is changed to one Oro does not know: refused from the next run on.
    await t.api('PATCH', '/api/settings/global', { body: { oro: { clientSecret: 'rotated-away' } } });
    expect(await t.stack.services.sync.run(acmeUser, 'tasks')).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('Oro refused the integration credentials') as unknown,
    });
    await t.api('PATCH', '/api/settings/global', { body: { oro: { clientSecret: DEMO.oroClientSecret } } });
    expect(await t.stack.services.sync.run(acmeUser, 'tasks')).toMatchObject({ status: 'ok' });
  });
});

/**
 * An Oro base URL that answers with redirects to another origin (a moved instance, a proxy,
 * or someone who wants the secret): the real Oro simulator there must receive neither the
 * client secret nor a token, and the admin reads why in the sync status.
 */
describe('Oro credentials and tokens never follow a redirect to another origin', () => {
  const t = useTestStack({ seed: true });
  let redirector: Server;
  let url = '';
  /** What the token request answers: a redirect to the simulator, or the simulator's own answer. */
  let tokenMode: 'redirect' | 'relay' = 'redirect';

  beforeAll(async () => {
    redirector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const target = `${t.stack.oro.url}${req.url ?? '/'}`;
        if (req.url === '/oauth2-token' && tokenMode === 'relay') {
          // A proxy in front of Oro for the token: the API requests then meet the redirect.
          void fetch(target, {
            method: 'POST',
            headers: { 'Content-Type': String(req.headers['content-type']) },
            body: Buffer.concat(chunks),
          }).then(async (answer) => {
            res.writeHead(answer.status, { 'Content-Type': 'application/json' });
            res.end(await answer.text());
          });
          return;
        }
        res.writeHead(307, { Location: target });
        res.end();
      });
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
    t.stack.microsoft.subscriptions.autoNotify = false;
    await t.api('PUT', '/api/settings/organizations/moved', {
      body: { oro: { baseUrl: url, clientId: DEMO.oroClientId, clientSecret: DEMO.oroClientSecret } },
    });
    await t.api('PUT', '/api/settings/users/moved-1', { body: { organizationId: 'moved' } });
    expect((await connect(t.api, 'moved-1', { account: 'adele.vance@contoso.example' })).message.ok).toBe(
      true,
    );
  });
  afterAll(() => new Promise((resolve) => redirector.close(resolve)));

  const count = (key: string) => t.stack.oro.requestCounts()[key] ?? 0;
  const lastError = async () =>
    ((await t.api('GET', '/api/users/moved-1/sync')).body as { tasks: { lastError?: string } }).tasks
      .lastError;

  it('sends the client secret nowhere but the configured token URL', async () => {
    tokenMode = 'redirect';
    const tokens = count('POST /oauth2-token');
    expect(await t.stack.services.sync.run('moved-1', 'tasks')).toMatchObject({ status: 'failed' });
    expect(count('POST /oauth2-token')).toBe(tokens);
    expect(await lastError()).toMatch(
      /redirect.*not followed: redirects of the token request are not followed/,
    );
  });

  it('sends the token to no other origin', async () => {
    tokenMode = 'relay';
    const tokens = count('POST /oauth2-token');
    const reads = count('GET /api/tasks');
    expect(await t.stack.services.sync.run('moved-1', 'tasks')).toMatchObject({ status: 'failed' });
    expect(count('POST /oauth2-token')).toBe(tokens + 1); // relayed: the token exists ...
    expect(count('GET /api/tasks')).toBe(reads); // ... and never reached Oro's API elsewhere
    expect(await lastError()).toMatch(/redirect.*another origin/);
  });
});
