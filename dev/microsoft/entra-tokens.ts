import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { SimAccount } from './accounts';

/**
 * Entra ID's token issuing: one RS256 signing key (published as a JWKS), Graph access
 * tokens and ID tokens in the v2.0 shapes MSAL and jose read, and the refresh tokens
 * handed out with them (rotated on each use, revocable per account).
 */

export interface TokenOptions {
  audience: string;
  roles?: string[];
  subject?: string;
  name?: string;
  /** Lifetime in seconds; negative gives an already expired token. */
  expiresIn?: number;
  issuer?: string;
}

export const GRAPH_AUDIENCE = 'https://graph.microsoft.com';
export const GRAPH_SCOPES = ['User.Read', 'Calendars.ReadWrite', 'Tasks.ReadWrite', 'MailboxSettings.Read'];
export const OIDC_SCOPES = ['openid', 'profile', 'offline_access', 'email'];

export interface RefreshGrant {
  clientId: string;
  account: SimAccount;
  scopes: string[];
  revoked: boolean;
}

export interface TokenIssuer {
  /** The public signing key as the JWKS endpoint lists it. */
  readonly jwk: JWK;
  sign(claims: JWTPayload, audience: string, issuer: string, expiresIn: number): Promise<string>;
  /** The claims of a Graph access token this issuer signed and that has not expired. */
  verifyAccessToken(token: string): Promise<JWTPayload | undefined>;
  /** The token endpoint's answer: access, ID and a new refresh token for the account. */
  issueTokens(
    clientId: string,
    account: SimAccount,
    scopes: string[],
    nonce?: string,
  ): Promise<Record<string, unknown> & { access_token: string }>;
  refreshGrant(refreshToken: string): RefreshGrant | undefined;
  /** Revokes every refresh token of an account: the next silent refresh gets invalid_grant. */
  revokeRefreshTokens(username: string): void;
  /** Seconds that new Graph access tokens live (default 3600). */
  setAccessTokenLifetime(seconds: number): void;
}

/** `issuerFor` gives the v2.0 issuer of a tenant (ID tokens name it). */
export async function createTokenIssuer(issuerFor: (tenant: string) => string): Promise<TokenIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' };
  const refreshTokens = new Map<string, RefreshGrant>();
  let accessTokenLifetime = 3600;

  const sign = (claims: JWTPayload, audience: string, issuer: string, expiresIn: number) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + expiresIn)
      .sign(privateKey);
  };

  async function issueTokens(clientId: string, account: SimAccount, scopes: string[], nonce?: string) {
    const graphScopes = scopes.filter((s) => !OIDC_SCOPES.includes(s));
    const refreshToken = `rt.${randomBytes(24).toString('base64url')}`;
    refreshTokens.set(refreshToken, { clientId, account, scopes, revoked: false });
    const accessToken = await sign(
      {
        scp: graphScopes.join(' '),
        oid: account.oid,
        tid: account.tenantId,
        upn: account.username,
        name: account.displayName,
      },
      GRAPH_AUDIENCE,
      `https://sts.windows.net/${account.tenantId}/`,
      accessTokenLifetime,
    );
    const idToken = await sign(
      {
        sub: account.oid,
        oid: account.oid,
        tid: account.tenantId,
        preferred_username: account.username,
        name: account.displayName,
        ver: '2.0',
        ...(nonce ? { nonce } : {}),
      },
      clientId,
      issuerFor(account.tenantId),
      3600,
    );
    return {
      token_type: 'Bearer',
      scope: [
        ...graphScopes,
        ...scopes.filter((s) => s === 'openid' || s === 'profile' || s === 'email'),
      ].join(' '),
      expires_in: accessTokenLifetime,
      ext_expires_in: accessTokenLifetime,
      access_token: accessToken,
      refresh_token: refreshToken,
      id_token: idToken,
      client_info: Buffer.from(JSON.stringify({ uid: account.oid, utid: account.tenantId })).toString(
        'base64url',
      ),
    };
  }

  return {
    jwk,
    sign,
    async verifyAccessToken(token) {
      try {
        const { payload } = await jwtVerify(token, publicKey, { audience: GRAPH_AUDIENCE });
        return payload;
      } catch {
        return undefined;
      }
    },
    issueTokens,
    refreshGrant: (refreshToken) => refreshTokens.get(refreshToken),
    revokeRefreshTokens: (username) => {
      for (const grant of refreshTokens.values()) {
        if (grant.account.username === username) {
          grant.revoked = true;
        }
      }
    },
    setAccessTokenLifetime: (seconds) => {
      accessTokenLifetime = seconds;
    },
  };
}
