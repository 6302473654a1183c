import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';

/**
 * An Entra ID stand-in for tests of the token-credential paths: a TokenCredential (the
 * interface every Azure SDK client takes; DefaultAzureCredential and ManagedIdentityCredential
 * are ones) that issues JWTs like Entra ID's (aud from the requested scope, iss, tid, oid,
 * nbf/iat/exp), signed with a key of its own so a local service can check them.
 */
export interface TestIdentity {
  credential: TokenCredential;
  /** Every scope list the SDKs asked a token for. */
  requested: string[][];
  /** The claims of a token this identity signed, or undefined for any other token. */
  verify(token: string): Record<string, unknown> | undefined;
}

export const TEST_TENANT = '72f988bf-0000-4000-8000-000000000000';

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

export function testIdentity(
  options: { audience?: (scope: string) => string; lifetimeSeconds?: number } = {},
): TestIdentity {
  const key = randomBytes(32);
  const requested: string[][] = [];
  const sign = (claims: Record<string, unknown>): string => {
    const unsigned = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
    return `${unsigned}.${b64url(createHmac('sha256', key).update(unsigned).digest())}`;
  };
  const credential: TokenCredential = {
    getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
      const list = Array.isArray(scopes) ? scopes : [scopes];
      requested.push(list);
      const scope = list[0] ?? '';
      // A resource's token audience is its scope without "/.default" (Entra ID v1 tokens):
      // "https://servicebus.azure.net//.default" → "https://servicebus.azure.net".
      const aud = options.audience
        ? options.audience(scope)
        : scope.replace(/\/?\.default$/, '').replace(/\/+$/, '');
      const now = Math.floor(Date.now() / 1000);
      const exp = now + (options.lifetimeSeconds ?? 3600);
      const token = sign({
        aud,
        iss: `https://sts.windows.net/${TEST_TENANT}/`,
        tid: TEST_TENANT,
        oid: 'p1p1p1p1-0000-4000-8000-000000000002',
        appid: 'c1c1c1c1-0000-4000-8000-000000000001',
        iat: now,
        nbf: now,
        exp,
      });
      return Promise.resolve({ token, expiresOnTimestamp: exp * 1000 });
    },
  };
  return {
    credential,
    requested,
    verify(token) {
      const [header, payload, signature] = token.split('.');
      if (!header || !payload || !signature) {
        return undefined;
      }
      const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return undefined;
      }
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    },
  };
}
