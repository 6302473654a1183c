import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import type { Span } from '@opentelemetry/api';
import { isThrottled, traceOutbound } from '../telemetry/outbound';
import { recordThrottled } from '../telemetry/telemetry';

/**
 * A span per request the Graph SDK sends (shared/telemetry/outbound.ts), placed just before
 * the SDK's HTTP handler: each retry of the SDK's RetryHandler (which numbers them in the
 * Retry-Attempt header) and each redirect is a span of its own. A $batch request's span
 * says how many steps it carried and how many answered throttled, and those steps count
 * in the throttled metric, since the SDK's retries never look inside a batch.
 */
export class GraphTelemetryHandler implements Middleware {
  private next: Middleware | undefined;

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const next = this.next;
    if (!next) {
      throw new Error('GraphTelemetryHandler must not be the last middleware');
    }
    // RequestInfo: a URL or a Request (a DOM type the project's lib does not declare).
    const request = context.request as unknown as string | { url: string; method: string };
    const url = typeof request === 'string' ? request : request.url;
    const method = context.options?.method ?? (typeof request === 'string' ? 'GET' : request.method);
    const attempt = Number(headerOf(context.options?.headers, 'Retry-Attempt'));
    await traceOutbound(
      'microsoft',
      method,
      url,
      async (span) => {
        await next.execute(context);
        if (!context.response) {
          throw new Error('the Graph SDK gave no response');
        }
        if (span.isRecording() && url.split('?')[0]!.endsWith('/$batch')) {
          await describeBatch(span, context.options?.body, context.response);
        }
        return context.response;
      },
      Number.isInteger(attempt) && attempt > 0 ? { 'http.request.resend_count': attempt } : {},
    );
  }
}

/** The SDK's default chain with the telemetry handler before its last (the one that fetches). */
export function withGraphTelemetry(chain: Middleware[]): Middleware[] {
  return [...chain.slice(0, -1), new GraphTelemetryHandler(), ...chain.slice(-1)];
}

/**
 * Steps sent and steps throttled, read from a copy of the answer (the SDK reads the
 * original). Only counts: no step's URL, body or id is recorded.
 */
async function describeBatch(span: Span, body: unknown, response: Response): Promise<void> {
  const sent =
    typeof body === 'string' ? (parseJson(body) as { requests?: unknown[] } | undefined) : undefined;
  if (Array.isArray(sent?.requests)) {
    span.setAttribute('graph.batch.steps', sent.requests.length);
  }
  if (!response.ok) {
    return;
  }
  const answered = parseJson(await response.clone().text()) as
    { responses?: { status?: unknown; headers?: Record<string, unknown> }[] } | undefined;
  if (!Array.isArray(answered?.responses)) {
    return;
  }
  const throttled = answered.responses.filter(
    (r) => typeof r.status === 'number' && isThrottled(r.status, retryAfterOf(r.headers)),
  ).length;
  span.setAttribute('graph.batch.throttled_steps', throttled);
  recordThrottled('microsoft', throttled);
}

function retryAfterOf(headers: Record<string, unknown> | undefined): string | undefined {
  const value = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function headerOf(headers: unknown, name: string): string | undefined {
  if (headers instanceof Headers) {
    return headers.get(name) ?? undefined;
  }
  const entries = Array.isArray(headers)
    ? (headers as [string, string][])
    : Object.entries((headers ?? {}) as Record<string, string>);
  return entries.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not JSON: nothing to count.
    return undefined;
  }
}
