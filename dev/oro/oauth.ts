import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { send } from './jsonapi';

/**
 * Oro's OAuth2 token endpoint (`POST /oauth2-token`) for the client credentials grant, and the
 * bearer check every /api/* request passes. Tokens live an hour (`expires_in: 3600`).
 */
export function createOroOAuth(clock: () => number) {
  const clients = new Map<string, string>();
  const tokens = new Map<string, number>();

  /** Answers a token request; the form comes as x-www-form-urlencoded or JSON. */
  function token(body: string, contentType: string | undefined, res: ServerResponse): void {
    const form = contentType?.includes('json')
      ? new URLSearchParams(JSON.parse(body || '{}') as Record<string, string>)
      : new URLSearchParams(body);
    if (form.get('grant_type') !== 'client_credentials') {
      return send(
        res,
        400,
        {
          error: 'unsupported_grant_type',
          error_description: 'The authorization grant type is not supported.',
          message: 'The authorization grant type is not supported.',
        },
        'application/json',
      );
    }
    if (clients.get(form.get('client_id') ?? '') !== form.get('client_secret')) {
      return send(
        res,
        401,
        {
          error: 'invalid_client',
          error_description: 'Client authentication failed',
          message: 'Client authentication failed',
        },
        'application/json',
      );
    }
    const issued = randomBytes(24).toString('base64url');
    tokens.set(issued, clock() + 3600_000);
    return send(
      res,
      200,
      { token_type: 'Bearer', expires_in: 3600, access_token: issued },
      'application/json',
    );
  }

  /** Whether an Authorization header carries a token this endpoint issued and that has not expired. */
  function authorized(authorization: string | undefined): boolean {
    const bearer = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (!bearer) {
      return false;
    }
    return (tokens.get(bearer) ?? 0) >= clock();
  }

  return {
    registerClient: (id: string, secret: string) => {
      clients.set(id, secret);
    },
    token,
    authorized,
  };
}
