import { startOroSimulator, type OroSimulator } from '../../dev/oro/simulator';

/** Oro's REST API over HTTP as a client sees it: a bearer-token call and a client_credentials token. */

/** A REST call with a bearer token: status, content type ('' when none) and the parsed body. */
export const restCaller =
  (url: () => string, token: () => string) =>
  async <T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    type = 'application/json',
  ): Promise<{ status: number; type: string; body: T }> => {
    const res = await fetch(`${url()}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token()}`,
        ...(body === undefined ? {} : { 'Content-Type': type }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      body: (text ? JSON.parse(text) : undefined) as T,
    };
  };

/** A client_credentials token from Oro's /oauth2-token. */
export async function clientToken(baseUrl: string, clientId: string, clientSecret: string): Promise<string> {
  const res = await fetch(`${baseUrl}/oauth2-token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/**
 * The Oro simulator on a clock of the tests' own (`t.clock`), registered client `sync`, and a
 * REST `call` as that client: a fresh token before each test, since tests move the clock.
 */
export function useOroRestSimulator(start: number) {
  const t = { clock: start, token: '' } as {
    oro: OroSimulator;
    clock: number;
    token: string;
    call: ReturnType<typeof restCaller>;
  };
  t.call = restCaller(
    () => t.oro.url,
    () => t.token,
  );
  beforeAll(async () => {
    t.oro = await startOroSimulator({ clock: () => t.clock });
    t.oro.registerClient('sync', 'pw');
  });
  beforeEach(async () => {
    t.token = await clientToken(t.oro.url, 'sync', 'pw');
  });
  afterAll(() => t.oro.close());
  return t;
}
