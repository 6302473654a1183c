/**
 * One classification of a remote service's answer, for every side and client (Oro's
 * JSON:API and REST, Graph, Entra ID). The engine, the worker and the logs decide on the
 * class, never on a status read somewhere else again.
 *
 * - `retryable`: the same request may succeed later (no answer, throttled, a transient
 *   server fault). Retried with backoff, Retry-After honoured.
 * - `permanent`: the request itself is refused; sending it again changes nothing (400,
 *   403, 422, 501 NotImplemented, 507 mailbox full…). Logged, not retried.
 * - `auth`: the credentials are refused (401): retrying with the same token is pointless,
 *   a new token or a reconnect is needed.
 * - `gone`: the item does not exist (any more): 404 on an item.
 * - `resync`: a change-feed cursor (delta token) is no longer valid: start a full read.
 *   Graph names 410 Gone in its delta overview, but an expired token also comes back as a
 *   400 or 404 with the code `syncStateNotFound`, `syncStateInvalid` or `resyncRequired`
 *   (learn.microsoft.com "Use delta query to track changes in Microsoft Graph data":
 *   "a 40X-series error"), so the code decides before the status.
 */
export type ErrorClass = 'retryable' | 'permanent' | 'auth' | 'gone' | 'resync';

/** Graph error codes that mean "the delta token is no good: read everything again". */
const RESYNC_CODES = new Set(['syncstatenotfound', 'syncstateinvalid', 'resyncrequired']);

/**
 * Statuses worth sending again: 408 Request Timeout, 429 Too Many Requests, and the
 * server faults that are transient by definition (RFC 9110: 500, 502, 503, 504). 501 Not
 * Implemented, 505 and 507 Insufficient Storage (a full mailbox) are not.
 */
const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/**
 * `status`: the HTTP status, or 0 (or less) when no answer came at all (refused, reset,
 * timed out). `code`: the service's error code when its body carried one (Graph's
 * `error.code`, OAuth's `error`), compared case-insensitively.
 */
export function classifyAnswer(status: number, code?: string): ErrorClass {
  if (code !== undefined && RESYNC_CODES.has(code.toLowerCase())) {
    return 'resync';
  }
  if (status <= 0 || RETRYABLE_STATUSES.has(status)) {
    return 'retryable';
  }
  if (status === 401) {
    return 'auth';
  }
  if (status === 404) {
    return 'gone';
  }
  if (status === 410) {
    return 'resync';
  }
  return 'permanent';
}

/** Whether a failure of this class is worth the same request again later. */
export const isRetryable = (kind: ErrorClass): boolean => kind === 'retryable';
