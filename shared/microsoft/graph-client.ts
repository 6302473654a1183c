import { Client, GraphError, MiddlewareFactory, type Middleware } from '@microsoft/microsoft-graph-client';
import { classifyAnswer, type ErrorClass } from '../errors/classify';
import { SideError } from '../sync/ports';
import { withGraphTelemetry } from './graph-telemetry';
import { GRAPH_TIMEOUT_MS, withTimeout } from './graph-timeout';
import type { BudgetHolder } from '../budget/shared-budget';
import { mailboxClient, mailboxTurn, PERMITS_HELD } from './mailbox-limit';

/** One sub-request of a JSON $batch (at most 20 per batch). */
export interface BatchStep {
  id: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  body?: unknown;
  /** Request headers of this step (Prefer, …). */
  headers?: Record<string, string>;
}

export interface BatchResult {
  id: string;
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/**
 * A Graph client for one user. `baseUrl` points at Graph (or the local simulator; its host
 * is then one the auth handler may attach the token to). `mailbox`: the user's shared
 * mailbox budget (4 concurrent requests, docs/budgets.md); every request waits its turn.
 * `timeoutMs`: how long each attempt may go unanswered (graph-timeout.ts).
 */
export function createGraphClient(
  baseUrl: string,
  getAccessToken: () => Promise<string>,
  mailbox?: BudgetHolder,
  timeoutMs = GRAPH_TIMEOUT_MS,
): Client {
  const host = new URL(baseUrl).hostname;
  const hosts = host === 'graph.microsoft.com' ? {} : { customHosts: new Set([host]) };
  // The SDK's default chain, with, nearest the wire, a span per request sent
  // (graph-telemetry.ts), each attempt's deadline before it (a timeout fails the span) and,
  // for a run, the mailbox limit before both (the wait for a permit is not the request's).
  const finish = (chain: Middleware[]) => withGraphTelemetry(withTimeout(chain, timeoutMs));
  if (mailbox) {
    return mailboxClient(baseUrl, getAccessToken, mailbox, hosts, finish);
  }
  return Client.initWithMiddleware({
    baseUrl,
    middleware: finish(MiddlewareFactory.getDefaultMiddlewareChain({ getAccessToken })),
    ...hosts,
  });
}

/**
 * Makes the Graph client of one user. Composed once in shared/app/graph-clients.ts, so every
 * client of a user (a run's, Check Connection's, a subscription's) takes that user's mailbox
 * permits (docs/budgets.md).
 */
export type GraphClients = (userId: string, getAccessToken: () => Promise<string>) => Client;

export const MAX_BATCH_STEPS = 20;

/** Sends up to 20 requests in one round trip; each answer is reported on its own. */
export async function batch(
  client: Client,
  steps: readonly BatchStep[],
  permitsHeld = false,
): Promise<BatchResult[]> {
  if (steps.length === 0 || steps.length > MAX_BATCH_STEPS) {
    throw new RangeError(`A batch takes 1 to ${MAX_BATCH_STEPS} steps, not ${steps.length}`);
  }
  const request = client.api('/$batch');
  const response = (await (permitsHeld ? request.middlewareOptions([PERMITS_HELD]) : request).post({
    requests: steps.map((s) => ({
      id: s.id,
      method: s.method,
      url: s.url,
      ...(s.body === undefined && !s.headers
        ? {}
        : {
            headers: {
              ...(s.body === undefined ? {} : { 'Content-Type': 'application/json' }),
              ...s.headers,
            },
          }),
      ...(s.body === undefined ? {} : { body: s.body }),
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

/** The `error.code` of a Graph error body, when it has one. */
export function graphErrorCode(body: unknown): string | undefined {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The class of one Graph answer (a $batch step's, or a whole request's): the error code decides first. */
export const graphAnswerClass = (a: { status: number; body?: unknown }): ErrorClass =>
  classifyAnswer(a.status, graphErrorCode(a.body));

/** The message of a Graph error body, or a fallback. */
export function graphErrorMessage(body: unknown): string {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error && typeof error.message === 'string') {
    return typeof error.code === 'string' ? `${error.code}: ${error.message}` : error.message;
  }
  return 'no answer';
}

export interface BatchRetryOptions {
  sleep?: (ms: number) => Promise<void>;
  /** Called once per HTTP request made (for request counters). */
  onRequest?: () => void;
}

/** Rounds of waiting out 429s inside one batch before a step is reported as throttled. */
const MAX_THROTTLE_ROUNDS = 4;
const MAX_RETRY_AFTER_MS = 30_000;

/**
 * Any number of steps, in batches of 20; steps answered 429/503 are sent again after the
 * longest Retry-After (fractional seconds) of their batch, since the SDK's retry handler
 * does not look inside a batch. Never throws: a batch that fails as a whole gives each of
 * its steps that status (0 when Graph did not answer) and the error in the body.
 */
export async function batchWithRetry(
  client: Client,
  steps: readonly BatchStep[],
  options: BatchRetryOptions = {},
): Promise<BatchResult[]> {
  const results: BatchResult[] = new Array<BatchResult>(steps.length);
  for (let start = 0; start < steps.length; start += MAX_BATCH_STEPS) {
    let pending = steps.slice(start, start + MAX_BATCH_STEPS).map((step, k) => ({ i: start + k, step }));
    for (let round = 0; pending.length > 0;) {
      // With a mailbox budget, a batch is as wide as the permits it got (Outlook runs up
      // to 4 of its steps at once): below 4, only that many steps go in this round.
      const turn = await mailboxTurn(client, pending.length);
      const sending = pending.slice(0, turn.steps);
      const later = pending.slice(turn.steps);
      options.onRequest?.();
      let answers: BatchResult[];
      try {
        answers = await batch(
          client,
          sending.map((p) => ({ ...p.step, id: String(p.i) })),
          turn.held,
        );
      } catch (error) {
        const status = error instanceof GraphError ? error.statusCode : 0;
        const message = (error as Error).message;
        for (const p of pending) {
          results[p.i] = {
            id: p.step.id,
            status,
            body: { error: { code: 'batchFailed', message } },
            headers: {},
          };
        }
        break;
      } finally {
        turn.release();
      }
      const throttled: typeof pending = [];
      let wait = 0;
      answers.forEach((a, k) => {
        const p = sending[k]!;
        if ((a.status === 429 || a.status === 503) && round < MAX_THROTTLE_ROUNDS) {
          throttled.push(p);
          wait = Math.max(wait, retryAfterMs(a.headers) ?? 1000 * 2 ** round);
          return;
        }
        results[p.i] = { ...a, id: p.step.id };
      });
      if (throttled.length > 0) {
        await (options.sleep ?? sleep)(Math.min(wait, MAX_RETRY_AFTER_MS));
        round++;
      }
      pending = [...throttled, ...later];
    }
  }
  return results;
}

/** Retry-After in ms (Graph sends fractional seconds), if present. */
export function retryAfterMs(headers: Record<string, string>): number | undefined {
  const value = Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  const seconds = Number(value);
  return value !== undefined && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The class of a failed Graph request (its status and error code; no answer: retryable). */
export const graphErrorClass = (error: GraphError): ErrorClass =>
  classifyAnswer(error.statusCode, error.code ?? undefined);

/**
 * Why a request got no answer. The SDK leaves the message of a failed fetch empty and keeps
 * the error in `body` ("fetch failed", its cause "other side closed"): say that, not nothing.
 */
function noAnswer(error: GraphError): string {
  if (error.message) {
    return error.message;
  }
  // Duck-typed: the fetch error may come from another realm (instanceof Error is false there).
  const messageOf = (e: unknown): string | undefined =>
    typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string'
      ? (e as { message: string }).message
      : undefined;
  const failed = (error as { body?: unknown }).body;
  const message = messageOf(failed);
  if (!message) {
    return 'no answer';
  }
  const cause = messageOf((failed as { cause?: unknown }).cause);
  return `no answer (${message}${cause ? `: ${cause}` : ''})`;
}

/** A Graph failure as the engine sees it, classified by shared/errors/classify.ts. */
export function asSideError(error: unknown): unknown {
  if (!(error instanceof GraphError)) {
    return error;
  }
  return new SideError(
    'microsoft',
    // No status: Graph did not answer (a timeout, a connection lost), the message says which.
    error.statusCode > 0
      ? `Graph answered ${error.statusCode}: ${error.message}`
      : `Graph: ${noAnswer(error)}`,
    graphErrorClass(error),
    error.statusCode,
    { cause: error, retryAfterMs: retryAfterMs(Object.fromEntries(error.headers?.entries() ?? [])) },
  );
}
