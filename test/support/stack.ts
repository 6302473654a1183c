import { startStack, type Stack } from '../../dev/stack';
import { testConnectionString, uniquePrefix } from './storage';
import { until as waitUntil } from './until';

export interface TestStackOptions {
  seed?: boolean;
  clock?: () => Date;
  log?: (line: string) => void;
  /** SYNC_RUN_MAX_WRITES of the stack's runs. */
  runMaxWrites?: number;
}

/** The dev stack over the shared test Azurite, with its own tables. */
export function startTestStack(options: TestStackOptions = {}): Promise<Stack> {
  return startStack({
    storageConnectionString: testConnectionString(),
    tablePrefix: uniquePrefix(),
    seed: options.seed ?? false,
    // Tests fire timer functions themselves (stack.timers.fire), at the time they choose.
    timers: false,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.runMaxWrites !== undefined ? { runMaxWrites: options.runMaxWrites } : {}),
  });
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** A small client for the API over a real socket. */
export function apiClient(baseUrl: string, token?: string) {
  return async (
    method: string,
    path: string,
    init: {
      body?: unknown;
      rawBody?: string | undefined;
      headers?: Record<string, string>;
      token?: string | null;
    } = {},
  ): Promise<ApiResponse> => {
    const headers: Record<string, string> = { ...init.headers };
    const bearer = init.token === undefined ? token : init.token;
    if (bearer) {
      headers.Authorization = `Bearer ${bearer}`;
    }
    let body: string | undefined = init.rawBody;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['Content-Type'] ??= 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: parseJson(text), text };
  };
}

function parseJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined; // not JSON: callers look at `text`
  }
}

export interface TestStackHandle {
  stack: Stack;
  /** The API as the dev admin. */
  api: ReturnType<typeof apiClient>;
  /** What the stack logged so far. */
  logs: string[];
  /** `until` whose timeout message is the log so far. */
  until<T>(probe: () => Promise<T | undefined> | T | undefined, ms?: number): Promise<T>;
  /** The user's sync status of one entity, as `GET /api/users/{id}/sync` answers it. */
  syncStatus(userId: string, entity: string): Promise<Record<string, unknown> | undefined>;
}

/** Starts a stack before the enclosing describe's tests and closes it after them. */
export function useTestStack(options: Omit<TestStackOptions, 'log'> = {}): TestStackHandle {
  const logs: string[] = [];
  const handle = {
    logs,
    until: <T>(probe: () => Promise<T | undefined> | T | undefined, ms = 20_000) =>
      waitUntil(() => `timed out; log:\n${logs.join('\n')}`, probe, ms),
    syncStatus: async (userId: string, entity: string) => {
      const response = await handle.api('GET', `/api/users/${userId}/sync`);
      return (response.body as Record<string, Record<string, unknown> | undefined>)[entity];
    },
  } as TestStackHandle;
  beforeAll(async () => {
    handle.stack = await startTestStack({ ...options, log: (line) => logs.push(line) });
    handle.api = apiClient(handle.stack.url, await handle.stack.adminToken());
  });
  afterAll(() => handle.stack?.close());
  return handle;
}
