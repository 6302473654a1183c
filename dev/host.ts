import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { HttpRequest, HttpResponse, InvocationContext, type HttpResponseInit } from '@azure/functions';
import type { FunctionDefinition } from '../functions/index';
import type { HttpFunctionDefinition } from '../functions/http';
import type { QueueFunctionDefinition } from '../functions/queue';
import { AppError } from '../shared/errors/app-error';
import { toProblem } from '../shared/http/problem';
import { closeNow, listen } from './ports';

/** Azure's own request limit is 100 MB; locally we stop reading far earlier. */
const MAX_READ_BYTES = 1024 * 1024;
const ROUTE_PREFIX = '/api/';

export interface DevHost {
  url: string;
  /** The address its socket is bound to (read back from the socket, not the option). */
  address: string;
  close(): Promise<void>;
}

export interface DevHostOptions {
  functions: readonly FunctionDefinition[];
  port?: number;
  /** A loopback address (default 127.0.0.1): the portal page holds an admin token. */
  host?: '127.0.0.1' | '::1';
  /**
   * Checks the Authorization header of a dev route (/dev/queues/*): the stack passes the
   * admin token check. Without it the dev routes are off.
   */
  authorizeDev?: (authorization: string | undefined) => Promise<void>;
  /** Where function logs go; quiet by default in tests. */
  log?: (line: string) => void;
  /** Local-only HTML pages outside /api (the demo portal), by path. */
  pages?: Record<string, () => string>;
}

interface CompiledRoute {
  fn: HttpFunctionDefinition;
  pattern: RegExp;
  params: string[];
}

/** Serves the function table over HTTP the way the Functions host does: same routes, same handlers. */
export async function startDevHost(options: DevHostOptions): Promise<DevHost> {
  const routes = options.functions.filter((f): f is HttpFunctionDefinition => f.kind === 'http').map(compile);
  const queues = new Map(
    options.functions
      .filter((f): f is QueueFunctionDefinition => f.kind === 'serviceBusQueue')
      .map((f) => [f.queueName, f]),
  );
  const log = options.log ?? (() => undefined);
  let port = 0;
  const server: Server = createServer((req, res) => {
    // DNS rebinding: a page of another site whose name now points at 127.0.0.1 would be
    // same-origin with us and could read the portal's token. Its requests carry its name.
    if (!isLocalHost(req.headers.host, port)) {
      drain(req);
      writeProblem(
        res,
        toProblem(new AppError('forbidden', 'The dev host answers only to localhost and 127.0.0.1.')),
      );
      return;
    }
    const page = options.pages?.[new URL(req.url ?? '/', 'http://localhost').pathname];
    if (page && req.method === 'GET') {
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Frame-Options': 'DENY',
        'Content-Security-Policy': "frame-ancestors 'none'",
      });
      res.end(page());
      return;
    }
    const queue = /^\/dev\/queues\/([\w-]+)$/.exec(new URL(req.url ?? '/', 'http://localhost').pathname)?.[1];
    if (queue !== undefined && req.method === 'POST' && options.authorizeDev) {
      const authorize = options.authorizeDev;
      deliver(queues.get(queue), req, res, log, authorize).catch((error: unknown) =>
        writeProblem(res, toProblem(error)),
      );
      return;
    }
    handle(routes, req, res, log).catch((error: unknown) => {
      log(`dev host failure: ${error instanceof Error ? error.stack : String(error)}`);
      if (!res.headersSent) {
        writeProblem(res, toProblem(error));
      } else {
        res.destroy();
      }
    });
  });
  const address = options.host ?? '127.0.0.1';
  port = await listen(server, options.port ?? 0, address);
  return {
    url: `http://localhost:${port}`,
    address: (server.address() as AddressInfo).address,
    close: () => closeNow(server),
  };
}

/** The names this machine's browser uses for it, with our port or none. */
function isLocalHost(host: string | undefined, port: number): boolean {
  const m = /^(localhost|127\.0\.0\.1|\[::1\])(?::(\d+))?$/i.exec(host ?? '');
  return m !== null && (m[2] === undefined || Number(m[2]) === port);
}

/**
 * A queue function invoked directly: the request body is the message. 204 when the function
 * completed; its error as problem+json otherwise. Only JSON with the dev admin token: a web
 * page can post text/plain or a form anywhere without a preflight, but not this.
 */
async function deliver(
  fn: QueueFunctionDefinition | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  log: (line: string) => void,
  authorize: (authorization: string | undefined) => Promise<void>,
): Promise<void> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    drain(req);
    throw new AppError('unsupported-media-type', 'A dev route takes application/json only.');
  }
  try {
    await authorize(req.headers.authorization);
  } catch (error) {
    drain(req);
    throw error;
  }
  const body = await readBody(req);
  if (!fn) {
    return writeProblem(res, toProblem(new AppError('not-found', 'No function listens on that queue.')));
  }
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: fn.name,
    logHandler: (level, ...args) => log(`[${level}] ${fn.name}: ${args.map(formatArg).join(' ')}`),
  });
  try {
    await fn.handler(body?.toString('utf8') ?? '', context);
    res.writeHead(204);
    res.end();
  } catch (error) {
    writeProblem(res, toProblem(error));
  }
}

function compile(fn: HttpFunctionDefinition): CompiledRoute {
  const params: string[] = [];
  const source = fn.route
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param?.[1]) {
        params.push(param[1]);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { fn, params, pattern: new RegExp(`^${source}/?$`, 'i') };
}

async function handle(
  routes: readonly CompiledRoute[],
  req: IncomingMessage,
  res: ServerResponse,
  log: (line: string) => void,
): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  const method = (req.method ?? 'GET').toUpperCase();
  const path = url.pathname.startsWith(ROUTE_PREFIX) ? url.pathname.slice(ROUTE_PREFIX.length) : undefined;

  const matches = path === undefined ? [] : routes.flatMap((r) => matchRoute(r, path));
  if (matches.length === 0) {
    drain(req);
    return writeProblem(res, toProblem(new AppError('not-found', `No route for ${url.pathname}.`)));
  }
  const match = matches.find((m) => m.route.fn.method === method);
  if (!match) {
    drain(req);
    const allow = [...new Set(matches.map((m) => m.route.fn.method))].join(', ');
    return writeProblem(
      res,
      toProblem(
        new AppError('method-not-allowed', `${method} is not allowed here; use ${allow}.`, {
          headers: { Allow: allow },
        }),
      ),
    );
  }

  const body = await readBody(req);
  if (body === undefined) {
    return writeProblem(
      res,
      toProblem(new AppError('payload-too-large', `The body must not exceed ${MAX_READ_BYTES} bytes.`)),
    );
  }
  const request = new HttpRequest({
    method,
    url: url.toString(),
    headers: flattenHeaders(req),
    query: Object.fromEntries(url.searchParams),
    params: match.params,
    ...(body.length > 0 ? { body: { bytes: body } } : {}),
  });
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: match.route.fn.name,
    logHandler: (level, ...args) =>
      log(`[${level}] ${match.route.fn.name}: ${args.map(formatArg).join(' ')}`),
  });
  const result: HttpResponseInit | HttpResponse = await match.route.fn.handler(request, context);
  const response = result instanceof HttpResponse ? result : new HttpResponse(result);
  const payload = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => (headers[key] = value));
  res.writeHead(response.status, headers);
  res.end(method === 'HEAD' ? undefined : payload);
}

function matchRoute(
  route: CompiledRoute,
  path: string,
): { route: CompiledRoute; params: Record<string, string> }[] {
  const m = route.pattern.exec(path);
  if (!m) {
    return [];
  }
  const params: Record<string, string> = {};
  route.params.forEach((name, i) => {
    const raw = m[i + 1] ?? '';
    try {
      params[name] = decodeURIComponent(raw);
    } catch {
      params[name] = raw; // left as sent; the function's validation names it
    }
  });
  return [{ route, params }];
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) {
      headers[key] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  return headers;
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_READ_BYTES) {
        tooLarge = true;
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const drain = (req: IncomingMessage) => req.resume();

function writeProblem(res: ServerResponse, problem: ReturnType<typeof toProblem>): void {
  res.writeHead(problem.status, problem.headers);
  res.end(JSON.stringify(problem.body));
}

function formatArg(arg: unknown): string {
  if (arg instanceof Error) {
    return arg.stack ?? arg.message;
  }
  return typeof arg === 'string' ? arg : JSON.stringify(arg);
}
