import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { recordThrottled, type OutboundService } from './telemetry';

/**
 * A span per outbound request to Oro or Graph (`<METHOD> <path template>`, kind client):
 * service, method, path template, status, and whether the answer asked to slow down.
 * Paths carry ids of user data (event, task, list, subscription ids, user names), so the
 * template keeps only the segments of this list and writes `{id}` for every other; the
 * query (delta and skip tokens, time windows, filters) is never recorded, nor any header
 * or body. A segment missing here shows as `{id}`: add it when a new endpoint is used.
 */
const STATIC_SEGMENTS = new Set([
  // Graph v1.0 (learn.microsoft.com/graph/api): the endpoints of shared/microsoft/.
  'v1.0',
  'beta',
  '$batch',
  'me',
  'users',
  'calendar',
  'calendars',
  'calendarView',
  'events',
  'instances',
  'delta',
  'mailboxSettings',
  'todo',
  'lists',
  'tasks',
  'linkedResources',
  'checklistItems',
  'subscriptions',
  // Oro: the token endpoint, JSON:API and the REST API of calendar events (shared/oro/).
  'oauth2-token',
  'api',
  'rest',
  'latest',
  'calendarevents',
  'taskpriorities',
  'taskstatuses',
]);

/** The path of a URL with every segment not in the list above as `{id}`; no query, no host. */
export function pathTemplate(url: string): string {
  let path: string;
  try {
    path = new URL(url, 'http://relative.invalid').pathname;
  } catch {
    return '{unreadable}';
  }
  return path
    .split('/')
    .map((segment) => (segment === '' || STATIC_SEGMENTS.has(segment) ? segment : '{id}'))
    .join('/');
}

/** 429 always; 503 when it says when to come back (Graph and Oro send Retry-After then). */
export const isThrottled = (status: number, retryAfter: string | null | undefined): boolean =>
  status === 429 || (status === 503 && retryAfter !== null && retryAfter !== undefined);

const tracer = () => trace.getTracer('oro-m365-sync');

/**
 * The template and host of the URLs seen last: a first sync sends thousands of requests to
 * one URL (each create), and parsing it twice a request was a visible part of a run's CPU.
 */
const seen = new Map<string, { template: string; host: string | undefined }>();
const SEEN_MAX = 256;

function described(url: string): { template: string; host: string | undefined } {
  let d = seen.get(url);
  if (!d) {
    let host: string | undefined;
    try {
      host = new URL(url).hostname;
    } catch {
      host = undefined;
    }
    d = { template: pathTemplate(url), host };
    if (seen.size >= SEEN_MAX) {
      seen.clear();
    }
    seen.set(url, d);
  }
  return d;
}

/**
 * Sends one request inside its span. The span ends when the answer's status is known (the
 * body is read by the caller). A request that throws (no answer, timeout) is marked with
 * the error's type only: fetch's messages can quote the URL and its query.
 */
export async function traceOutbound<R extends { status: number; headers: Pick<Headers, 'get'> } = Response>(
  service: OutboundService,
  method: string,
  url: string,
  send: (span: Span) => Promise<R>,
  attributes: Attributes = {},
): Promise<R> {
  const { template, host } = described(url);
  const upper = method.toUpperCase();
  return tracer().startActiveSpan(
    `${upper} ${template}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'sync.service': service,
        'http.request.method': upper,
        'url.template': template,
        ...(host ? { 'server.address': host } : {}),
        ...attributes,
      },
    },
    async (span) => {
      try {
        const res = await send(span);
        const throttled = isThrottled(res.status, res.headers.get('retry-after'));
        span.setAttribute('http.response.status_code', res.status);
        span.setAttribute('sync.throttled', throttled);
        if (throttled) {
          recordThrottled(service);
        }
        if (res.status >= 400) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${res.status}` });
        }
        return res;
      } catch (error) {
        throw spanFailed(span, error);
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Marks `span` failed by the error's type only (its message may carry a URL or an item's
 * content) and returns the error, for `throw spanFailed(span, error)`.
 */
export function spanFailed(span: Span, error: unknown): unknown {
  const type = error instanceof Error ? error.name : typeof error;
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
  return error;
}
