import { createHmac, randomBytes } from 'node:crypto';
import { classifyAnswer, type ErrorClass } from '../errors/classify';
import { networkFailure, safeBaseUrl } from '../http/network-failure';
import { z } from 'zod';
import { SideError, writeFailure, type WriteFailure } from '../sync/ports';
import { traceOutbound } from '../telemetry/outbound';
import { limited, type BudgetHolder } from '../budget/shared-budget';
import { exchange, ExchangeTimeout, type Answer } from './exchange';

export interface OroConnection {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
}

export interface OroResponse {
  status: number;
  body: unknown;
  /** Oro's clock, from the Date header (ms), when it sent one. */
  serverTime?: number;
  /** Retry-After of a 429/503 answer that outlasted the retries here. */
  retryAfterMs?: number;
}

const JSON_API = 'application/vnd.api+json';
const JSON_PLAIN = 'application/json';
const MAX_RETRIES = 3;
const MAX_RETRY_AFTER_MS = 30_000;

/** Same-origin redirects an API request follows before it gives up. */
const MAX_REDIRECTS = 5;
const GRANT = 'client_credentials';

/**
 * Client-credentials tokens, shared by every run of this process for the same Oro client.
 * A token is reused only for the exact credentials that obtained it: the key holds the
 * base URL, client id, grant and a keyed hash of the secret (never the secret itself), so
 * an organization with another's URL and client id but a wrong secret asks Oro itself
 * (and is refused), and a rotated secret is used from the next request on.
 */
export class OroTokenCache {
  private readonly tokens = new Map<string, { value: string; expiresAt: number }>();
  /** Per process: the hashes in the keys mean nothing outside it. */
  private readonly hashKey = randomBytes(32);

  /** The last key made for each connection: a run asks for its token once a request. */
  private readonly keys = new WeakMap<OroConnection, OroConnection & { key: string }>();

  private key(conn: OroConnection): string {
    const made = this.keys.get(conn);
    if (
      made?.baseUrl === conn.baseUrl &&
      made.clientId === conn.clientId &&
      made.clientSecret === conn.clientSecret
    ) {
      return made.key;
    }
    const secret = createHmac('sha256', this.hashKey).update(conn.clientSecret).digest('base64url');
    const key = JSON.stringify([conn.baseUrl.replace(/\/+$/, ''), conn.clientId, GRANT, secret]);
    this.keys.set(conn, { ...conn, key });
    return key;
  }

  async get(
    conn: OroConnection,
    fetchToken: () => Promise<{ value: string; expiresIn: number }>,
  ): Promise<string> {
    const key = this.key(conn);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now() + 60_000) {
      return cached.value;
    }
    const token = await fetchToken();
    this.tokens.set(key, { value: token.value, expiresAt: Date.now() + token.expiresIn * 1000 });
    return token.value;
  }

  forget(conn: OroConnection): void {
    this.tokens.delete(this.key(conn));
  }
}

/**
 * Oro's APIs over HTTP (exchange.ts): OAuth2 client credentials at /oauth2-token, JSON:API elsewhere;
 * 429/503 honoured with Retry-After (bounded), everything else reported as a SideError.
 */
export class OroClient {
  requests = 0;

  constructor(
    private readonly conn: OroConnection,
    private readonly tokens: OroTokenCache,
    private readonly options: {
      timeoutMs?: number;
      sleep?: (ms: number) => Promise<void>;
      /** The Oro instance's shared concurrency budget (docs/budgets.md); none: unbounded. */
      budget?: BudgetHolder | undefined;
    } = {},
  ) {}

  /**
   * Which Oro instance and API client this is, for what a process learns about it (the
   * Batch API's availability, shared/oro/tasks-batch.ts): base URL and client id, no secret.
   */
  get instance(): string {
    return JSON.stringify([this.conn.baseUrl.replace(/\/+$/, ''), this.conn.clientId]);
  }

  /**
   * `format`: JSON:API (tasks, calendars) or the older REST API's plain JSON (calendar
   * events); `headers`: extra request headers (the Batch API's X-Mode).
   */
  async request(
    method: string,
    path: string,
    body?: unknown,
    format: 'json-api' | 'json' = 'json-api',
    headers: Record<string, string> = {},
  ): Promise<OroResponse> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.get(this.conn, () => this.fetchToken());
      const res = await limited(this.options.budget, () =>
        this.send(method, path, token, body, format === 'json' ? JSON_PLAIN : JSON_API, headers),
      );
      if (res.status === 401 && attempt === 0) {
        this.tokens.forget(this.conn);
        continue;
      }
      if ((res.status === 429 || res.status === 503) && attempt < MAX_RETRIES) {
        await (this.options.sleep ?? sleep)(
          Math.min(MAX_RETRY_AFTER_MS, res.retryAfterMs ?? 1000 * 2 ** attempt),
        );
        continue;
      }
      return {
        status: res.status,
        body: res.body,
        ...(res.serverTime ? { serverTime: res.serverTime } : {}),
        ...(res.retryAfterMs ? { retryAfterMs: res.retryAfterMs } : {}),
      };
    }
  }

  private async send(
    method: string,
    path: string,
    token: string,
    body: unknown,
    type: string,
    extra: Record<string, string>,
  ) {
    let url = this.url(path);
    let current = { method, body };
    for (let hops = 0; ; hops++) {
      this.requests++;
      const { res, text } = await this.fetchText(
        url,
        {
          method: current.method,
          headers: {
            ...extra,
            Authorization: `Bearer ${token}`,
            Accept: type,
            ...(current.body === undefined ? {} : { 'Content-Type': type }),
          },
          ...(current.body === undefined ? {} : { body: JSON.stringify(current.body) }),
        },
        `${method} ${path}`,
      );
      const next = redirectTarget(res, url);
      if (next !== undefined) {
        // The token goes to the configured origin only: a redirect elsewhere is refused
        // (a permanent answer: the same request meets the same redirect).
        if (next.origin !== new URL(url).origin) {
          throw redirectRefused(res.status, `${method} ${path}`, next, 'Oro redirected it to another origin');
        }
        if (hops >= MAX_REDIRECTS) {
          throw redirectRefused(
            res.status,
            `${method} ${path}`,
            next,
            `more than ${MAX_REDIRECTS} redirects`,
          );
        }
        url = next.toString();
        // As fetch does (WHATWG Fetch, HTTP-redirect fetch): 303, and 301/302 of a POST,
        // become a GET without body; 307 and 308 repeat the request as it was.
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && current.method === 'POST')) {
          current = { method: 'GET', body: undefined };
        }
        continue;
      }
      const retryAfter = Number(res.headers.get('retry-after'));
      return {
        status: res.status,
        body: text ? safeJson(text) : undefined,
        retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
        serverTime: Date.parse(res.headers.get('date') ?? '') || undefined,
      };
    }
  }

  /** One exchange with a deadline over all of it, body included; no answer is a retryable SideError. */
  private async fetchText(
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string },
    what: string,
  ): Promise<{ res: Answer; text: string }> {
    const ms = this.options.timeoutMs ?? 30_000;
    try {
      // Redirects are never followed by the exchange itself: it would re-send the
      // Authorization header, or the client secret, to wherever a 307/308 points.
      let text = '';
      const res = await traceOutbound('oro', init.method, url, async () => {
        const answer = await exchange(url, { ...init, timeoutMs: ms });
        text = answer.text;
        return answer.res;
      });
      return { res, text };
    } catch (error) {
      const reason =
        error instanceof ExchangeTimeout ? `timeout: no answer within ${ms} ms` : networkFailure(error);
      const at = safeBaseUrl(this.conn.baseUrl);
      throw new SideError('oro', `Oro at ${at} did not answer ${what}: ${reason}`, 'retryable', undefined, {
        cause: error,
      });
    }
  }

  /** A path below the base URL, or an absolute link Oro gave (next pages) on the same origin only. */
  private url(pathOrLink: string): string {
    const base = this.conn.baseUrl.replace(/\/+$/, '');
    if (!/^https?:/i.test(pathOrLink)) {
      return `${base}${pathOrLink}`;
    }
    if (new URL(pathOrLink).origin !== new URL(base).origin) {
      throw new SideError(
        'oro',
        `Oro sent a link to another origin: ${new URL(pathOrLink).origin}`,
        'permanent',
      );
    }
    return pathOrLink;
  }

  private async fetchToken(): Promise<{ value: string; expiresIn: number }> {
    this.requests++;
    const tokenUrl = `${this.conn.baseUrl.replace(/\/+$/, '')}/oauth2-token`;
    const { res, text } = await this.fetchText(
      tokenUrl,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: GRANT,
          client_id: this.conn.clientId,
          client_secret: this.conn.clientSecret,
        }).toString(),
      },
      'the token request',
    );
    const moved = redirectTarget(res, tokenUrl);
    if (moved !== undefined) {
      // Not even to the same origin: the configured token URL is the only place the secret goes.
      throw redirectRefused(
        res.status,
        'the token request',
        moved,
        'redirects of the token request are not followed',
      );
    }
    const body = safeJson(text) as {
      access_token?: unknown;
      expires_in?: unknown;
      error_description?: unknown;
    };
    if (res.status !== 200 || typeof body?.access_token !== 'string') {
      const detail =
        typeof body?.error_description === 'string' ? body.error_description : `HTTP ${res.status}`;
      throw new SideError(
        'oro',
        `Oro refused the integration credentials: ${detail}`,
        oroAnswerClass(res),
        res.status,
      );
    }
    return {
      value: body.access_token,
      expiresIn: typeof body.expires_in === 'number' ? body.expires_in : 3600,
    };
  }
}

/**
 * The class of an Oro answer (shared/errors/classify.ts). Oro's JSON:API, REST and OAuth
 * error bodies carry no code that changes what the status says.
 */
export const oroAnswerClass = (res: { status: number }): ErrorClass => classifyAnswer(res.status);

/**
 * What became of a write that threw: a side's error keeps its class, a document that does
 * not parse is refused for good; anything else is a bug of ours and is thrown on.
 */
export function oroWriteFailure(error: unknown): WriteFailure {
  if (error instanceof SideError) {
    return writeFailure(error.message, error.kind, error.status);
  }
  if (error instanceof z.ZodError) {
    return writeFailure(`Oro answered an unexpected document: ${error.message}`, 'permanent');
  }
  throw error;
}

/** The first JSON:API error of a response, as text. */
export function oroErrorDetail(body: unknown): string {
  const first = (body as { errors?: { title?: string; detail?: string; source?: { pointer?: string } }[] })
    ?.errors?.[0];
  if (!first) {
    return 'no details';
  }
  return [first.title, first.detail, first.source?.pointer].filter(Boolean).join(': ');
}

/** Where a 3xx answer points, resolved against the request URL; undefined for any other answer. */
function redirectTarget(res: Answer, requestUrl: string): URL | undefined {
  const location = res.headers.get('location');
  if (res.status < 300 || res.status > 399 || res.status === 304 || !location) {
    return undefined;
  }
  try {
    return new URL(location, requestUrl);
  } catch {
    return new URL('about:invalid');
  }
}

function redirectRefused(status: number, what: string, target: URL, why: string): SideError {
  return new SideError(
    'oro',
    `Oro answered ${what} with a redirect (HTTP ${status}) to ${target.protocol === 'about:' ? 'an unreadable location' : `${target.origin}${target.pathname}`}, not followed: ${why}. Check the Oro base URL in the settings.`,
    'permanent',
    status,
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
