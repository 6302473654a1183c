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
      throw new AppError('unauthorized', NO_TOKEN, {
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
      throw toAuthError(error, config);
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

/** A claim value quoted in a message: never the token itself, and never long. */
const quote = (value: unknown): string => JSON.stringify(String(value).slice(0, 120));

const NO_TOKEN =
  'No bearer token: send "Authorization: Bearer <token>" with an Entra ID access token for this API (locally, npm start prints one as export TOKEN=…).';
const NEW_TOKEN_HINT = 'locally, npm start prints a new token at each start and older ones stop working';

/**
 * Why a token is refused, in words a newcomer can act on: expired, wrong audience or
 * issuer, bad signature, malformed. The messages name claims and what this API expects,
 * never the token.
 */
function toAuthError(error: unknown, config: AdminAuthConfig): AppError {
  if (error instanceof joseErrors.JWTExpired) {
    const exp =
      typeof error.payload.exp === 'number' ? new Date(error.payload.exp * 1000).toISOString() : undefined;
    return unauthorized(
      `The token has expired${exp ? ` (at ${exp})` : ''}; get a new one (${NEW_TOKEN_HINT}).`,
    );
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const got = error.payload[error.claim];
    switch (error.claim) {
      case 'aud':
        return unauthorized(
          `The token is for another audience (${got === undefined ? 'none' : quote(got)}); this API accepts tokens for ${quote(config.audience)}.`,
        );
      case 'iss':
        return unauthorized(
          `The token was issued by ${got === undefined ? 'no issuer' : quote(got)}; this API accepts tokens issued by ${quote(config.issuer)}.`,
        );
      case 'nbf':
        return unauthorized('The token is not valid yet (its "nbf" time is in the future).');
      case 'exp':
        return unauthorized('The token has no valid expiry ("exp" claim); tokens must expire.');
      default:
        return unauthorized(`The token's "${error.claim}" claim is not accepted (${error.reason}).`);
    }
  }
  if (
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JWKSNoMatchingKey
  ) {
    return unauthorized(
      `The token's signature does not match the identity provider's keys: it was signed by another tenant or an earlier run (${NEW_TOKEN_HINT}).`,
    );
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return unauthorized('The token is signed with an algorithm this API does not accept (only RS256).');
  }
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) {
    return unauthorized('The bearer token is not a well-formed signed JWT.');
  }
  if (error instanceof joseErrors.JOSEError && !(error instanceof joseErrors.JWKSTimeout)) {
    return unauthorized('The token is not valid.');
  }
  // The key set could not be fetched: our dependency is down, not the caller's fault.
  return new AppError('dependency-unavailable', 'The identity provider keys could not be fetched.', {
    cause: error,
  });
}
