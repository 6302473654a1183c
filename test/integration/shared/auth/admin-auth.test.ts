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

  it('answers 401 for an expired token', async () => {
    await expect(authenticate(await bearer({ expiresIn: -3600 }))).rejects.toMatchObject({
      code: 'unauthorized',
      message: 'The token has expired.',
    });
  });

  it('answers 401 for the wrong audience or issuer', async () => {
    await expect(authenticate(await bearer({ audience: 'api://other' }))).rejects.toMatchObject({
      code: 'unauthorized',
    });
    await expect(authenticate(await bearer({ issuer: 'https://evil.example/v2.0' }))).rejects.toMatchObject({
      code: 'unauthorized',
    });
  });

  it('answers 401 for a token signed with a key not in the JWKS', async () => {
    await expect(authenticate(await bearer({}, other))).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('answers 401 for an unsigned token', async () => {
    const [, payload] = (await bearer()).slice(7).split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    await expect(authenticate(`Bearer ${header}.${payload}.`)).rejects.toMatchObject({
      code: 'unauthorized',
    });
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
      message: 'The token\'s "exp" claim is not accepted.',
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
