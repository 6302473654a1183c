import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWTPayload } from 'jose';
import type { SimAccount } from './accounts';
import { sendJson } from './respond';
import type { SimulatorContext } from './simulator';

interface GraphResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const MAX_BATCH = 20;

/** Graph's error body: `{ error: { code, message, innerError: { request-id, date } } }`. */
export function graphError(status: number, code: string, message: string): GraphResult {
  return {
    status,
    body: {
      error: {
        code,
        message,
        innerError: { 'request-id': randomUUID(), date: new Date().toISOString().slice(0, 19) },
      },
    },
  };
}

/** The Graph endpoints the product uses so far, behind bearer validation. */
export async function handleGraph(
  sim: SimulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  body: Buffer,
): Promise<void> {
  const authorization = req.headers.authorization;
  const result = await route(
    sim,
    req.method ?? 'GET',
    url.pathname.slice('/v1.0'.length),
    authorization,
    body,
  );
  sendJson(res, result.status, result.body ?? {}, result.headers ?? {});
}

async function route(
  sim: SimulatorContext,
  method: string,
  path: string,
  authorization: string | undefined,
  body: Buffer,
): Promise<GraphResult> {
  const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  if (!token) return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
  const claims = await sim.verifyAccessToken(token);
  if (!claims)
    return graphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
  const account = sim.accountByOid(String(claims.oid));
  if (!account)
    return graphError(401, 'InvalidAuthenticationToken', 'The token does not belong to a known user.');

  if (method === 'POST' && path === '/$batch') return batch(sim, authorization ?? '', body);
  return resource(method, path.split('?')[0] ?? path, claims, account);
}

function hasScope(claims: JWTPayload, ...scopes: string[]): boolean {
  const granted = String(claims.scp ?? '').split(' ');
  return scopes.some((s) => granted.includes(s));
}

function resource(method: string, path: string, claims: JWTPayload, account: SimAccount): GraphResult {
  if (method !== 'GET')
    return graphError(405, 'Request_BadRequest', `Method ${method} is not supported on ${path}.`);
  switch (path) {
    case '/me':
      if (!hasScope(claims, 'User.Read'))
        return graphError(
          403,
          'Authorization_RequestDenied',
          'Insufficient privileges to complete the operation.',
        );
      return {
        status: 200,
        body: {
          '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity',
          id: account.oid,
          displayName: account.displayName,
          userPrincipalName: account.username,
          mail: account.username,
        },
      };
    case '/me/calendar':
      if (!hasScope(claims, 'Calendars.Read', 'Calendars.ReadWrite'))
        return graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
      return {
        status: 200,
        body: {
          '@odata.context': "https://graph.microsoft.com/v1.0/$metadata#users('me')/calendar/$entity",
          id: `AAMkAGI2-calendar-${account.oid}`,
          name: 'Calendar',
          canEdit: true,
          owner: { name: account.displayName, address: account.username },
        },
      };
    case '/me/todo/lists':
      if (!hasScope(claims, 'Tasks.Read', 'Tasks.ReadWrite'))
        return graphError(403, 'Forbidden', 'Forbidden');
      return {
        status: 200,
        body: {
          '@odata.context': "https://graph.microsoft.com/v1.0/$metadata#users('me')/todo/lists",
          value: [
            {
              '@odata.etag': 'W/"m1fdwWoFiE2YS9yegTKoYwAA/ZGlLQ=="',
              id: `AAMkADIy-tasks-${account.oid}`,
              displayName: 'Tasks',
              isOwner: true,
              isShared: false,
              wellknownListName: 'defaultList',
            },
          ],
        },
      };
    default:
      return graphError(
        404,
        'ResourceNotFound',
        `Resource not found for the segment '${path.split('/').pop() ?? ''}'.`,
      );
  }
}

async function batch(sim: SimulatorContext, authorization: string, body: Buffer): Promise<GraphResult> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return graphError(400, 'BadRequest', 'Invalid batch payload format.');
  }
  const requests = (parsed as { requests?: unknown }).requests;
  if (!Array.isArray(requests) || requests.length === 0) {
    return graphError(400, 'BadRequest', 'Invalid batch payload format.');
  }
  if (requests.length > MAX_BATCH) {
    return graphError(
      400,
      'BadRequest',
      `Number of batch request steps exceeds the maximum of ${MAX_BATCH}.`,
    );
  }
  const responses = [];
  for (const r of requests as { id?: unknown; method?: unknown; url?: unknown }[]) {
    const id = String(r.id ?? '');
    const method = String(r.method ?? 'GET').toUpperCase();
    const url = String(r.url ?? '');
    const path = url.startsWith('/') ? url : `/${url}`;
    const result = await route(sim, method, path, authorization, Buffer.alloc(0));
    responses.push({
      id,
      status: result.status,
      headers: { 'Content-Type': 'application/json' },
      body: result.body,
    });
  }
  return { status: 200, body: { responses } };
}
