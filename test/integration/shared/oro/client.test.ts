import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startOroSimulator, type OroSimulator } from '../../../../dev/oro/simulator';
import { OroClient, OroTokenCache, type OroConnection } from '../../../../shared/oro/client';
import { SideError } from '../../../../shared/sync/ports';

const noSleep = { sleep: () => Promise.resolve() };

describe('Oro token cache: a token is reused only for the credentials that obtained it', () => {
  let oro: OroSimulator;
  beforeAll(async () => {
    oro = await startOroSimulator();
    oro.registerClient('shared-client', 'right-secret');
  });
  afterAll(() => oro.close());

  it('refuses an organization that has the URL and client id of another but a wrong secret', async () => {
    const tokens = new OroTokenCache(); // one per process, shared by every organization's runs
    const orgA: OroConnection = { baseUrl: oro.url, clientId: 'shared-client', clientSecret: 'right-secret' };
    const orgB: OroConnection = { ...orgA, clientSecret: 'a-guess' };
    expect((await new OroClient(orgA, tokens, noSleep).request('GET', '/api/tasks')).status).toBe(200);

    // The simulator's token endpoint answers 401 invalid_client, as oroinc/oauth2-server's
    // (league/oauth2-server's OAuthServerException::invalidClient) does.
    const b = new OroClient(orgB, tokens, noSleep).request('GET', '/api/tasks');
    await expect(b).rejects.toBeInstanceOf(SideError);
    await expect(b).rejects.toThrow(/refused the integration credentials: Client authentication failed/);
  });

  it('stops using a rotated secret at once', async () => {
    const tokens = new OroTokenCache();
    const before: OroConnection = {
      baseUrl: oro.url,
      clientId: 'shared-client',
      clientSecret: 'right-secret',
    };
    expect((await new OroClient(before, tokens, noSleep).request('GET', '/api/tasks')).status).toBe(200);
    // Oro's client gets a new secret; the settings are changed to a secret Oro does not know.
    oro.registerClient('shared-client', 'rotated-secret');
    try {
      const stale = new OroClient({ ...before, clientSecret: 'not-the-new-one' }, tokens, noSleep);
      await expect(stale.request('GET', '/api/tasks')).rejects.toThrow(/refused the integration credentials/);
      const rotated = new OroClient({ ...before, clientSecret: 'rotated-secret' }, tokens, noSleep);
      const tokenRequests = () => oro.requestCounts()['POST /oauth2-token'] ?? 0;
      const asked = tokenRequests();
      expect((await rotated.request('GET', '/api/tasks')).status).toBe(200);
      expect(tokenRequests()).toBe(asked + 1); // its own token, not the old secret's
    } finally {
      oro.registerClient('shared-client', 'right-secret');
    }
  });

  it('still shares one token between clients with the same credentials', async () => {
    const tokens = new OroTokenCache();
    const conn: OroConnection = { baseUrl: oro.url, clientId: 'shared-client', clientSecret: 'right-secret' };
    oro.resetCounts();
    await new OroClient(conn, tokens, noSleep).request('GET', '/api/tasks');
    await new OroClient({ ...conn }, tokens, noSleep).request('GET', '/api/tasks');
    expect(oro.requestCounts()['POST /oauth2-token']).toBe(1);
  });
});

/** A local HTTP server whose handler the test chooses; it records what reached it. */
async function server(
  handle: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<{ url: string; seen: { method: string; path: string; body: string; auth: string }[]; s: Server }> {
  const seen: { method: string; path: string; body: string; auth: string }[] = [];
  const s = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({
        method: req.method ?? '',
        path: req.url ?? '',
        body,
        auth: req.headers.authorization ?? '',
      });
      handle(req, body, res);
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen, s };
}

const close = (s: Server) => new Promise((r) => s.close(r));

describe('Oro client and redirects: credentials and tokens stay with the configured origin', () => {
  let elsewhere: Awaited<ReturnType<typeof server>>;
  let oro: Awaited<ReturnType<typeof server>>;

  beforeAll(async () => {
    elsewhere = await server((_req, _body, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'stolen', expires_in: 3600, data: [] }));
    });
    oro = await server((req, _body, res) => {
      if (req.url === '/moved/oauth2-token') {
        res.writeHead(307, { Location: `${elsewhere.url}/oauth2-token` });
        return res.end();
      }
      if (req.url === '/same/oauth2-token') {
        res.writeHead(307, { Location: '/oauth2-token' });
        return res.end();
      }
      if (req.url === '/oauth2-token') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ access_token: 'good-token', expires_in: 3600 }));
      }
      if (req.url === '/api/away') {
        res.writeHead(307, { Location: `${elsewhere.url}/api/away` });
        return res.end();
      }
      if (req.url === '/api/old') {
        res.writeHead(308, { Location: '/api/new' });
        return res.end();
      }
      res.writeHead(200, { 'Content-Type': 'application/vnd.api+json' });
      res.end(JSON.stringify({ data: [], path: req.url }));
    });
  });
  afterAll(async () => {
    await close(oro.s);
    await close(elsewhere.s);
  });

  it('does not follow a redirect of the token request: the secret never leaves for another origin', async () => {
    const client = new OroClient(
      { baseUrl: `${oro.url}/moved`, clientId: 'id', clientSecret: 'the-secret' },
      new OroTokenCache(),
      noSleep,
    );
    const failure = client.request('GET', '/api/tasks').catch((e: unknown) => e);
    const error = (await failure) as SideError;
    expect(error).toBeInstanceOf(SideError);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/redirect/i);
    expect(error.message).toContain(elsewhere.url);
    expect(elsewhere.seen).toEqual([]);
    expect(JSON.stringify(elsewhere.seen)).not.toContain('the-secret');
  });

  it('does not follow a redirect of the token request within the same origin either', async () => {
    // The secret goes to the configured token URL only; the origin may host other apps.
    const client = new OroClient(
      { baseUrl: `${oro.url}/same`, clientId: 'id', clientSecret: 'the-secret' },
      new OroTokenCache(),
      noSleep,
    );
    const before = oro.seen.length;
    const error = (await client.request('GET', '/api/tasks').catch((e: unknown) => e)) as SideError;
    expect(error).toBeInstanceOf(SideError);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/redirect.*not followed/i);
    expect(oro.seen.slice(before).map((r) => r.path)).toEqual(['/same/oauth2-token']);
  });

  it('does not follow an API redirect to another origin, and says so', async () => {
    const client = new OroClient(
      { baseUrl: oro.url, clientId: 'id', clientSecret: 'the-secret' },
      new OroTokenCache(),
      noSleep,
    );
    const error = (await client
      .request('POST', '/api/away', { data: {} })
      .catch((e: unknown) => e)) as SideError;
    expect(error).toBeInstanceOf(SideError);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/redirect.*another origin/i);
    expect(elsewhere.seen).toEqual([]);
  });

  it('follows a redirect within the same origin', async () => {
    const client = new OroClient(
      { baseUrl: oro.url, clientId: 'id', clientSecret: 'the-secret' },
      new OroTokenCache(),
      noSleep,
    );
    const res = await client.request('PATCH', '/api/old', { data: { id: '1' } });
    expect(res).toMatchObject({ status: 200, body: { path: '/api/new' } });
    const followed = oro.seen.at(-1)!;
    expect(followed).toMatchObject({ method: 'PATCH', path: '/api/new', auth: 'Bearer good-token' });
    expect(JSON.parse(followed.body)).toEqual({ data: { id: '1' } });
  });
});
