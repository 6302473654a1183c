import { Client } from '@microsoft/microsoft-graph-client';

/** One sub-request of a JSON $batch (at most 20 per batch). */
export interface BatchStep {
  id: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  body?: unknown;
}

export interface BatchResult {
  id: string;
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/**
 * A Graph client for one user. `baseUrl` points at Graph (or the local simulator; its host
 * is then one the auth handler may attach the token to).
 */
export function createGraphClient(baseUrl: string, getAccessToken: () => Promise<string>): Client {
  const host = new URL(baseUrl).hostname;
  return Client.initWithMiddleware({
    baseUrl,
    authProvider: { getAccessToken },
    ...(host === 'graph.microsoft.com' ? {} : { customHosts: new Set([host]) }),
  });
}

export const MAX_BATCH_STEPS = 20;

/** Sends up to 20 requests in one round trip; each answer is reported on its own. */
export async function batch(client: Client, steps: readonly BatchStep[]): Promise<BatchResult[]> {
  if (steps.length === 0 || steps.length > MAX_BATCH_STEPS) {
    throw new RangeError(`A batch takes 1 to ${MAX_BATCH_STEPS} steps, not ${steps.length}`);
  }
  const response = (await client.api('/$batch').post({
    requests: steps.map((s) => ({
      id: s.id,
      method: s.method,
      url: s.url,
      ...(s.body === undefined ? {} : { body: s.body, headers: { 'Content-Type': 'application/json' } }),
    })),
  })) as { responses?: { id: string; status: number; body?: unknown; headers?: Record<string, string> }[] };
  const byId = new Map((response.responses ?? []).map((r) => [r.id, r]));
  return steps.map((s) => {
    const r = byId.get(s.id);
    return r
      ? { id: s.id, status: r.status, body: r.body, headers: r.headers ?? {} }
      : { id: s.id, status: 0, body: undefined, headers: {} };
  });
}

/** The message of a Graph error body, or a fallback. */
export function graphErrorMessage(body: unknown): string {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error && typeof error.message === 'string') {
    return typeof error.code === 'string' ? `${error.code}: ${error.message}` : error.message;
  }
  return 'no answer';
}
