import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';

/**
 * A local stand-in for Entra ID: publishes OpenID metadata and a JWKS and signs access
 * tokens, so the API validates local tokens through the same code as real ones. The
 * connection issue grows it into the full sign-in flow (HTTPS, /authorize, /token).
 */
export interface EntraSimulator {
  url: string;
  tenantId: string;
  issuer: string;
  jwksUri: string;
  /** Signs an access token for `audience`; claims override the defaults. */
  issueToken(options: TokenOptions): Promise<string>;
  close(): Promise<void>;
}

export interface TokenOptions {
  audience: string;
  roles?: string[];
  subject?: string;
  name?: string;
  /** Lifetime in seconds; negative gives an already expired token. */
  expiresIn?: number;
  issuer?: string;
}

export const DEV_TENANT_ID = '8f2c2a4e-1d7b-4c55-9e0a-5b3f4f0d2a11';

export async function startEntraSimulator(
  options: { port?: number; tenantId?: string } = {},
): Promise<EntraSimulator> {
  const tenantId = options.tenantId ?? DEV_TENANT_ID;
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' };

  let base = '';
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && path === `/${tenantId}/discovery/v2.0/keys`)
      return send(200, { keys: [jwk] });
    if (req.method === 'GET' && path === `/${tenantId}/v2.0/.well-known/openid-configuration`) {
      return send(200, {
        issuer: `${base}/${tenantId}/v2.0`,
        jwks_uri: `${base}/${tenantId}/discovery/v2.0/keys`,
        authorization_endpoint: `${base}/${tenantId}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/${tenantId}/oauth2/v2.0/token`,
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code'],
        subject_types_supported: ['pairwise'],
      });
    }
    return send(404, { error: { code: 'NotFound', message: `No route ${req.method} ${path}` } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('Entra simulator has no address');
  base = `http://localhost:${address.port}`;
  const issuer = `${base}/${tenantId}/v2.0`;

  return {
    url: base,
    tenantId,
    issuer,
    jwksUri: `${base}/${tenantId}/discovery/v2.0/keys`,
    issueToken: (o) => sign(privateKey, kid, { issuer, tenantId, ...o }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function sign(
  key: KeyLike,
  kid: string,
  o: TokenOptions & { issuer: string; tenantId: string },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const subject = o.subject ?? 'dev-admin';
  return new SignJWT({
    roles: o.roles ?? [],
    name: o.name ?? 'Dev Admin',
    tid: o.tenantId,
    oid: subject,
    ver: '2.0',
  })
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuer(o.issuer)
    .setAudience(o.audience)
    .setSubject(subject)
    .setIssuedAt(now)
    .setNotBefore(now - 5)
    .setExpirationTime(now + (o.expiresIn ?? 3600))
    .sign(key);
}
