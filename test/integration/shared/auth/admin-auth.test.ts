import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createAdminAuthenticator } from '../../../../shared/auth/admin-auth';
import { trustInThisProcess } from '../../../../dev/microsoft/certificate';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../../../dev/microsoft/simulator';
import { freePort } from '../../../../dev/ports';

const AUDIENCE = 'api://test';

describe('admin authentication against the Entra simulator', () => {
  let entra: MicrosoftSimulator;
  let other: MicrosoftSimulator;
  let authenticate: ReturnType<typeof createAdminAuthenticator>;

  beforeAll(async () => {
    entra = await startMicrosoftSimulator();
    other = await startMicrosoftSimulator({ tenantId: entra.tenantId });
    trustInThisProcess(entra.certificate);
    authenticate = createAdminAuthenticator({
      issuer: entra.issuer,
      audience: AUDIENCE,
      jwksUri: entra.jwksUri,
      adminRole: 'Sync.Admin',
    });
  });
  afterAll(async () => {
    await entra.close();
    await other.close();
  });

  const bearer = async (o: Partial<Parameters<MicrosoftSimulator['issueToken']>[0]> = {}, by = entra) =>
    `Bearer ${await by.issueToken({ audience: AUDIENCE, roles: ['Sync.Admin'], ...o })}`;

  it('accepts a valid admin token', async () => {
    await expect(authenticate(await bearer({ subject: 'alice', name: 'Alice' }))).resolves.toEqual({
      subject: 'alice',
      name: 'Alice',
      roles: ['Sync.Admin'],
    });
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', 'Basic YWxhZGRpbjpvcGVuc2VzYW1l'],
    ['a malformed token', 'Bearer not.a.jwt'],
  ])('answers 401 for %s', async (_name, header) => {
    await expect(authenticate(header)).rejects.toMatchObject({ code: 'unauthorized' });
  });

  /** The 401's message, checked never to carry the token. */
  const refusal = async (header: string | undefined): Promise<string> => {
    const error = (await authenticate(header).then(
      () => undefined,
      (e: unknown) => e,
    )) as { code: string; message: string } | undefined;
    expect(error?.code).toBe('unauthorized');
    const token = header?.replace(/^Bearer /, '') ?? '';
    for (const part of token.split('.').filter((p) => p.length > 8)) {
      expect(error?.message).not.toContain(part);
    }
    return error?.message ?? '';
  };

  it('answers 401 for an expired token, saying when it expired and where a new one comes from', async () => {
    const message = await refusal(await bearer({ expiresIn: -3600 }));
    expect(message).toMatch(/^The token has expired \(at \d{4}-\d\d-\d\dT[\d:.]+Z\); get a new one/);
    expect(message).toContain('npm start prints a new token at each start');
  });

  it('answers 401 for the wrong audience or issuer, naming what was sent and what is accepted', async () => {
    expect(await refusal(await bearer({ audience: 'api://other' }))).toBe(
      'The token is for another audience ("api://other"); this API accepts tokens for "api://test".',
    );
    expect(await refusal(await bearer({ issuer: 'https://evil.example/v2.0' }))).toBe(
      `The token was issued by "https://evil.example/v2.0"; this API accepts tokens issued by "${entra.issuer}".`,
    );
  });

  it('answers 401 for a token signed with a key not in the JWKS: a bad signature', async () => {
    expect(await refusal(await bearer({}, other))).toMatch(
      /^The token's signature does not match the identity provider's keys/,
    );
  });

  it('answers 401 for no token and for a malformed one, saying which', async () => {
    expect(await refusal(undefined)).toMatch(/^No bearer token: send "Authorization: Bearer <token>"/);
    expect(await refusal('Bearer not.a.jwt')).toBe('The bearer token is not a well-formed signed JWT.');
  });

  it('answers 401 for an unsigned token', async () => {
    const [, payload] = (await bearer()).slice(7).split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect(await refusal(`Bearer ${header}.${payload}.`)).toMatch(/not|only RS256/);
  });

  it('answers 403 for a valid token without the admin role', async () => {
    await expect(authenticate(await bearer({ roles: ['Sync.Reader'] }))).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('accepts the Bearer scheme in any case (RFC 6750 §2.1, RFC 9110 §11.1)', async () => {
    const token = (await bearer({ subject: 'alice' })).slice('Bearer '.length);
    for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
      await expect(authenticate(`${scheme} ${token}`)).resolves.toMatchObject({ subject: 'alice' });
    }
  });

  it('answers 401 for a correctly signed token without an expiry (exp)', async () => {
    // Entra ID always sets exp; a token without one would be valid forever if accepted.
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const withKey = createAdminAuthenticator(
      { issuer: entra.issuer, audience: AUDIENCE, jwksUri: entra.jwksUri, adminRole: 'Sync.Admin' },
      createLocalJWKSet({ keys: [jwk] }),
    );
    const sign = (expires: boolean) => {
      const jwt = new SignJWT({ roles: ['Sync.Admin'] })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' })
        .setIssuer(entra.issuer)
        .setAudience(AUDIENCE)
        .setSubject('mallory')
        .setIssuedAt();
      return (expires ? jwt.setExpirationTime('5m') : jwt).sign(privateKey);
    };
    await expect(withKey(`Bearer ${await sign(true)}`)).resolves.toMatchObject({ subject: 'mallory' });
    await expect(withKey(`Bearer ${await sign(false)}`)).rejects.toMatchObject({
      code: 'unauthorized',
      message: 'The token has no valid expiry ("exp" claim); tokens must expire.',
    });
  });

  it('answers 503, not 401, when the key set cannot be fetched', async () => {
    const port = await freePort();
    const offline = createAdminAuthenticator({
      issuer: entra.issuer,
      audience: AUDIENCE,
      jwksUri: `http://127.0.0.1:${port}/keys`,
      adminRole: 'Sync.Admin',
    });
    await expect(offline(await bearer())).rejects.toMatchObject({ code: 'dependency-unavailable' });
  });
});
