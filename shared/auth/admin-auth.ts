import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { AppError } from '../errors/app-error';

export interface AdminAuthConfig {
  issuer: string;
  audience: string;
  jwksUri: string;
  adminRole: string;
}

export interface Caller {
  subject: string;
  name?: string;
  roles: readonly string[];
}

export type AuthenticateAdmin = (authorization: string | null | undefined) => Promise<Caller>;

const unauthorized = (detail: string): AppError =>
  new AppError('unauthorized', detail, { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });

/**
 * Validates an Entra ID access token for this API: signature against the tenant's JWKS,
 * issuer, audience, expiry, then the admin app role. The local simulator's dev token
 * goes through exactly this code; only the configured URLs differ.
 */
export function createAdminAuthenticator(config: AdminAuthConfig, keys?: JWTVerifyGetKey): AuthenticateAdmin {
  const getKey = keys ?? createRemoteJWKSet(new URL(config.jwksUri), { timeoutDuration: 5000 });
  return async (authorization) => {
    // RFC 6750 §2.1 with RFC 9110 §11.1: the scheme name is case-insensitive.
    const match = /^Bearer +([A-Za-z0-9._~+/=-]+)$/i.exec(authorization?.trim() ?? '');
    if (!match?.[1]) {
      throw new AppError('unauthorized', 'A bearer token is required.', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(match[1], getKey, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: ['RS256'],
        clockTolerance: 60,
        // jose checks exp only when present: a token without one would never expire.
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw toAuthError(error);
    }
    const roles = Array.isArray(payload.roles)
      ? payload.roles.filter((r: unknown): r is string => typeof r === 'string')
      : [];
    if (!roles.includes(config.adminRole)) {
      throw new AppError('forbidden', `The token lacks the app role "${config.adminRole}".`);
    }
    const name = typeof payload.name === 'string' ? payload.name : undefined;
    return { subject: payload.sub ?? '', roles, ...(name === undefined ? {} : { name }) };
  };
}

function toAuthError(error: unknown): AppError {
  if (error instanceof joseErrors.JWTExpired) {
    return unauthorized('The token has expired.');
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return unauthorized(`The token's "${error.claim}" claim is not accepted.`);
  }
  if (error instanceof joseErrors.JOSEError && !(error instanceof joseErrors.JWKSTimeout)) {
    return unauthorized('The token is not valid.');
  }
  // The key set could not be fetched: our dependency is down, not the caller's fault.
  return new AppError('dependency-unavailable', 'The identity provider keys could not be fetched.', {
    cause: error,
  });
}
