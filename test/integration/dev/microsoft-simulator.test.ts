import { trustInThisProcess } from '../../../dev/microsoft/certificate';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../../dev/microsoft/simulator';

/** The simulator must fail the way Graph and Entra ID fail, or the product's error paths go untested. */
describe('Microsoft simulator wire behaviour', () => {
  let sim: MicrosoftSimulator;

  beforeAll(async () => {
    sim = await startMicrosoftSimulator();
    trustInThisProcess(sim.certificate);
    sim.registerApp({ clientId: 'app', clientSecret: 's3cret', redirectUris: [] });
  });
  afterAll(() => sim.close());

  const graph = (path: string, token?: string, init: RequestInit = {}) =>
    fetch(`${sim.graphUrl}/v1.0${path}`, {
      ...init,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': 'application/json' },
    });

  it('answers 401 with a Graph error body without a token, with a wrong audience, or expired', async () => {
    const none = await graph('/me');
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({
      error: {
        code: 'InvalidAuthenticationToken',
        message: expect.any(String) as unknown,
        innerError: { 'request-id': expect.any(String) as unknown, date: expect.any(String) as unknown },
      },
    });
    const wrongAudience = await sim.issueToken({ audience: 'api://oro-m365-sync', roles: ['Sync.Admin'] });
    expect((await graph('/me', wrongAudience)).status).toBe(401);
    const expired = await sim.issueToken({ audience: 'https://graph.microsoft.com', expiresIn: -3600 });
    expect((await graph('/me', expired)).status).toBe(401);
  });

  it('refuses a token request with a wrong client secret or an unknown grant', async () => {
    const token = (body: Record<string, string>) =>
      fetch(`${sim.url}/${sim.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        body: new URLSearchParams(body),
      });
    const wrongSecret = await token({ client_id: 'app', client_secret: 'nope', grant_type: 'refresh_token' });
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toMatchObject({ error: 'invalid_client' });
    const unknownCode = await token({
      client_id: 'app',
      client_secret: 's3cret',
      grant_type: 'authorization_code',
      code: 'x',
    });
    expect(await unknownCode.json()).toMatchObject({ error: 'invalid_grant', error_codes: [70008] });
    const revoked = await token({
      client_id: 'app',
      client_secret: 's3cret',
      grant_type: 'refresh_token',
      refresh_token: 'rt.none',
    });
    expect(await revoked.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('requires PKCE on the sign-in page', async () => {
    const page = await fetch(
      `${sim.url}/${sim.tenantId}/oauth2/v2.0/authorize?client_id=app&response_type=code&redirect_uri=http://localhost/cb&scope=User.Read`,
    );
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('Proof Key for Code Exchange');
  });

  it('serves OpenID metadata and instance discovery', async () => {
    const meta = (await (
      await fetch(`${sim.url}/${sim.tenantId}/v2.0/.well-known/openid-configuration`)
    ).json()) as Record<string, string>;
    expect(meta.issuer).toBe(sim.issuer);
    expect(meta.token_endpoint).toBe(`${sim.url}/${sim.tenantId}/oauth2/v2.0/token`);
    const discovery = (await (
      await fetch(`${sim.url}/common/discovery/instance?api-version=1.1`)
    ).json()) as {
      metadata: { aliases: string[] }[];
    };
    expect(discovery.metadata[0]?.aliases).toEqual([new URL(sim.url).host]);
  });
});
