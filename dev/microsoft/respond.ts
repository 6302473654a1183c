import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphAnswer } from './todo';

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Graph's error body: `{ error: { code, message, innerError: { request-id, date } } }`. */
export function graphError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): GraphAnswer {
  return {
    status,
    body: {
      error: {
        code,
        message,
        innerError: { 'request-id': randomUUID(), date: new Date().toISOString().slice(0, 19) },
      },
    },
    ...(headers ? { headers } : {}),
  };
}

/**
 * How Graph answers a delta token it no longer holds. The delta overview
 * (learn.microsoft.com/graph/delta-query-overview) names 410 Gone for a reset, and says an
 * expired token comes back as "a 40X-series error"; Microsoft's own announcement of delta
 * link lifetimes shows a 400 BadRequest with `syncStateNotFound` ("The sync state generation
 * is not found. The delta token is expired and data must be synchronized again."). Tests
 * choose which one the simulator gives.
 */
export interface ExpiredTokenAnswer {
  status: 400 | 404 | 410;
  code: 'syncStateNotFound' | 'syncStateInvalid' | 'resyncRequired';
}

export const EXPIRED_TOKEN_410: ExpiredTokenAnswer = { status: 410, code: 'syncStateNotFound' };

export function expiredToken(answer: ExpiredTokenAnswer): GraphAnswer {
  return graphError(
    answer.status,
    answer.code,
    'The sync state generation is not found. The delta token is expired and data must be synchronized again.',
  );
}
