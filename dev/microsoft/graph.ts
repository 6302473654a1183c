import { textOf } from '../text-of';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWTPayload } from 'jose';
import type { SimAccount } from './accounts';
import { graphError, sendJson } from './respond';
import type { SimulatorContext } from './simulator';
import { calendarFolders, calendarFor, todoFolders, todoList } from './folders';
import { graphDueDateTime, type GraphAnswer } from './todo';

const MAX_BATCH = 20;

/**
 * The Graph endpoints the product uses, behind bearer validation. `lost`: the request is
 * carried out but its answer never arrives (the connection drops first).
 */
export async function handleGraph(
  sim: SimulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  body: Buffer,
  lost = false,
): Promise<void> {
  const prefer = [req.headers.prefer ?? []].flat().join(', ');
  const result = await route(sim, req.method ?? 'GET', url, req.headers.authorization, body, true, prefer);
  if (lost) {
    res.destroy();
    return;
  }
  sendJson(res, result.status, result.body ?? {}, result.headers ?? {});
}

async function route(
  sim: SimulatorContext,
  method: string,
  url: URL,
  authorization: string | undefined,
  body: Buffer,
  topLevel: boolean,
  prefer = '',
): Promise<GraphAnswer> {
  const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  if (!token) {
    return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
  }
  const claims = await sim.verifyAccessToken(token);
  if (!claims) {
    return graphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
  }
  const account = sim.accountByOid(String(claims.oid));
  if (!account) {
    return graphError(401, 'InvalidAuthenticationToken', 'The token does not belong to a known user.');
  }

  const path = url.pathname.replace(/^\/v1\.0/, '');
  canonicalQuery(url);
  if (topLevel && method === 'POST' && path === '/$batch') {
    return batch(sim, authorization ?? '', body, url);
  }
  const throttle = sim.takeThrottle();
  if (throttle !== undefined) {
    return graphError(429, 'TooManyRequests', 'Too many requests.', { 'Retry-After': String(throttle) });
  }
  const fault = sim.takeFault();
  if (fault) {
    return graphError(fault.status, fault.code, `The simulator was asked to answer ${fault.status}.`);
  }
  let json: Record<string, unknown> = {};
  if (body.length > 0) {
    try {
      json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return graphError(400, 'BadRequest', 'Unable to read JSON request payload.');
    }
  }
  if (path === '/subscriptions' || path.startsWith('/subscriptions/')) {
    return sim.subscriptions.handle(method, path, account, textOf(claims.scp ?? '').split(' '), json);
  }
  if (/^\/me\/(calendar|calendars|events|calendarView)(\/|$)/.test(path)) {
    const write = method !== 'GET';
    if (!hasScope(claims, ...(write ? ['Calendars.ReadWrite'] : ['Calendars.Read', 'Calendars.ReadWrite']))) {
      return graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    }
    const folder = calendarFolders(sim, account, method, path, json);
    if (folder) {
      return folder;
    }
    const target = calendarFor(sim, account, path);
    if (!('store' in target)) {
      return target;
    }
    const answer = target.store.route(method, target.path, url, json, prefer, sim.base);
    if (answer) {
      return answer;
    }
  }
  if (path === '/me/mailboxSettings' || path.startsWith('/me/mailboxSettings/')) {
    return mailboxSettings(method, path, url, claims, sim.mailboxTimeZone(account));
  }
  return resource(sim, method, path, url, claims, account, json);
}

/** The query parameters the routes read, in the spelling they read them in. */
const QUERY_NAMES = [
  'startDateTime',
  'endDateTime',
  '$skiptoken',
  '$deltatoken',
  '$select',
  '$expand',
  '$top',
  '$skip',
  '$filter',
];
const CANONICAL = new Map(QUERY_NAMES.map((n) => [n.toLowerCase(), n]));

/**
 * Graph reads query parameter names without case: its own published requests spell them
 * `startdatetime`/`enddatetime` (learn.microsoft.com/graph/delta-query-events) as often as
 * `startDateTime`. Rewrites them in place to the spelling the routes read.
 */
function canonicalQuery(url: URL): void {
  for (const [name, value] of [...url.searchParams.entries()]) {
    const canonical = CANONICAL.get(name.toLowerCase());
    if (canonical && canonical !== name) {
      url.searchParams.delete(name);
      url.searchParams.set(canonical, value);
    }
  }
}

/**
 * GET /me/mailboxSettings (with `$select`) and /me/mailboxSettings/timeZone, as in Graph
 * v1.0 "Get user mailbox settings": MailboxSettings.Read or .ReadWrite is required (no
 * other scope reads it); the zone is in the format the admin set up (Windows by default).
 */
function mailboxSettings(
  method: string,
  path: string,
  url: URL,
  claims: JWTPayload,
  zone: string,
): GraphAnswer {
  if (method !== 'GET') {
    return graphError(405, 'BadRequest', `Method ${method} is not supported on ${path}.`);
  }
  if (!hasScope(claims, 'MailboxSettings.Read', 'MailboxSettings.ReadWrite')) {
    return graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  }
  if (path === '/me/mailboxSettings/timeZone') {
    return {
      status: 200,
      body: {
        '@odata.context': "https://graph.microsoft.com/v1.0/$metadata#users('me')/mailboxSettings/timeZone",
        value: zone,
      },
    };
  }
  if (path !== '/me/mailboxSettings') {
    return graphError(
      400,
      'BadRequest',
      `Resource not found for the segment '${path.split('/').pop() ?? ''}'.`,
    );
  }
  const all: Record<string, unknown> = {
    timeZone: zone,
    language: { locale: 'en-US', displayName: 'English (United States)' },
    dateFormat: 'MM/dd/yyyy',
    timeFormat: 'hh:mm tt',
    delegateMeetingMessageDeliveryOptions: 'sendToDelegateOnly',
    userPurpose: { value: 'user' },
  };
  const select = (url.searchParams.get('$select') ?? '').split(',').filter(Boolean);
  const picked =
    select.length > 0 ? Object.fromEntries(Object.entries(all).filter(([k]) => select.includes(k))) : all;
  return {
    status: 200,
    body: {
      '@odata.context': "https://graph.microsoft.com/v1.0/$metadata#users('me')/mailboxSettings",
      ...picked,
    },
  };
}

/** A dueDateTime Graph would refuse (unknown zone, not a date-time): its error, else undefined. */
function badDueDateTime(body: Record<string, unknown>): GraphAnswer | undefined {
  const due = body.dueDateTime as { dateTime?: unknown; timeZone?: unknown } | null | undefined;
  if (due === undefined || due === null) {
    return undefined;
  }
  if (
    typeof due.dateTime !== 'string' ||
    typeof due.timeZone !== 'string' ||
    !graphDueDateTime({ dateTime: due.dateTime, timeZone: due.timeZone })
  ) {
    return graphError(400, 'invalidRequest', 'A valid TimeZone value must be specified.');
  }
  return undefined;
}

const hasScope = (claims: JWTPayload, ...scopes: string[]): boolean => {
  const granted = textOf(claims.scp ?? '').split(' ');
  return scopes.some((s) => granted.includes(s));
};

function resource(
  sim: SimulatorContext,
  method: string,
  path: string,
  url: URL,
  claims: JWTPayload,
  account: SimAccount,
  body: Record<string, unknown>,
): GraphAnswer {
  const base = sim.base;
  const denied = () =>
    graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  if (method === 'GET' && path === '/me') {
    if (!hasScope(claims, 'User.Read')) {
      return graphError(
        403,
        'Authorization_RequestDenied',
        'Insufficient privileges to complete the operation.',
      );
    }
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
  }
  if (path.startsWith('/me/todo/')) {
    const write = method !== 'GET';
    if (!hasScope(claims, ...(write ? ['Tasks.ReadWrite'] : ['Tasks.Read', 'Tasks.ReadWrite']))) {
      return denied();
    }
    const folder = todoFolders(sim, account, method, path, body);
    if (folder) {
      return folder;
    }
    const m = /^\/me\/todo\/lists\/([^/]+)\/tasks(?:\/([^/]+))?$/.exec(path);
    const todo = m ? todoList(sim, account, decodeURIComponent(m[1]!)) : undefined;
    if (!m || !todo) {
      return graphError(404, 'ResourceNotFound', 'The requested resource does not exist.');
    }
    const expand = (url.searchParams.get('$expand') ?? '').includes('linkedResources');
    const taskId = m[2];
    if (taskId === 'delta' && method === 'GET') {
      return todo.delta(url, base);
    }
    if (!taskId && method === 'GET') {
      return todo.page(url, base, expand);
    }
    if (!taskId && method === 'POST') {
      if (typeof body.title !== 'string') {
        return graphError(400, 'invalidRequest', 'Invalid request: title is required.');
      }
      const bad = badDueDateTime(body);
      if (bad) {
        return bad;
      }
      return { status: 201, body: todo.render(todo.create(body), true) };
    }
    if (taskId && method === 'GET') {
      const task = todo.get(taskId);
      return task
        ? { status: 200, body: todo.render(task, expand) }
        : graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    }
    if (taskId && method === 'PATCH') {
      const bad = badDueDateTime(body);
      if (bad) {
        return bad;
      }
      const task = todo.update(taskId, body);
      return task
        ? { status: 200, body: todo.render(task, expand) }
        : graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    }
    if (taskId && method === 'DELETE') {
      return todo.remove(taskId)
        ? { status: 204 }
        : graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    }
    return graphError(405, 'BadRequest', `Method ${method} is not supported on ${path}.`);
  }
  return graphError(
    404,
    'ResourceNotFound',
    `Resource not found for the segment '${path.split('/').pop() ?? ''}'.`,
  );
}

async function batch(
  sim: SimulatorContext,
  authorization: string,
  body: Buffer,
  url: URL,
): Promise<GraphAnswer> {
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
  for (const r of requests as {
    id?: unknown;
    method?: unknown;
    url?: unknown;
    body?: unknown;
    headers?: Record<string, unknown>;
  }[]) {
    const relative = textOf(r.url ?? '');
    const subUrl = new URL(`/v1.0${relative.startsWith('/') ? relative : `/${relative}`}`, url);
    const subBody = r.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(r.body));
    const result = await route(
      sim,
      textOf(r.method ?? 'GET').toUpperCase(),
      subUrl,
      authorization,
      subBody,
      false,
      Object.entries(r.headers ?? {})
        .filter(([k]) => k.toLowerCase() === 'prefer')
        .map(([, v]) => String(v))
        .join(', '),
    );
    responses.push({
      id: textOf(r.id ?? ''),
      status: result.status,
      headers: { 'Content-Type': 'application/json', ...(result.headers ?? {}) },
      ...(result.body === undefined ? {} : { body: result.body }),
    });
  }
  return { status: 200, body: { responses } };
}
