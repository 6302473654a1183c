import { classifyAnswer, type ErrorClass } from '../errors/classify';
import { SideError } from '../sync/ports';

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

/** Client-credentials tokens, shared by every run of this process for the same Oro client. */
export class OroTokenCache {
  private readonly tokens = new Map<string, { value: string; expiresAt: number }>();

  async get(
    conn: OroConnection,
    fetchToken: () => Promise<{ value: string; expiresIn: number }>,
  ): Promise<string> {
    const key = `${conn.baseUrl}|${conn.clientId}`;
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now() + 60_000) {
      return cached.value;
    }
    const token = await fetchToken();
    this.tokens.set(key, { value: token.value, expiresAt: Date.now() + token.expiresIn * 1000 });
    return token.value;
  }

  forget(conn: OroConnection): void {
    this.tokens.delete(`${conn.baseUrl}|${conn.clientId}`);
  }
}

/**
 * Oro's APIs over fetch: OAuth2 client credentials at /oauth2-token, JSON:API elsewhere;
 * 429/503 honoured with Retry-After (bounded), everything else reported as a SideError.
 */
export class OroClient {
  requests = 0;

  constructor(
    private readonly conn: OroConnection,
    private readonly tokens: OroTokenCache,
    private readonly options: { timeoutMs?: number; sleep?: (ms: number) => Promise<void> } = {},
  ) {}

  /** `format`: JSON:API (tasks, calendars) or the older REST API's plain JSON (calendar events). */
  async request(
    method: string,
    path: string,
    body?: unknown,
    format: 'json-api' | 'json' = 'json-api',
  ): Promise<OroResponse> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.get(this.conn, () => this.fetchToken());
      const res = await this.send(method, path, token, body, format === 'json' ? JSON_PLAIN : JSON_API);
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

  private async send(method: string, path: string, token: string, body: unknown, type: string) {
    this.requests++;
    const { res, text } = await this.fetchText(
      this.url(path),
      {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: type,
          ...(body === undefined ? {} : { 'Content-Type': type }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      `${method} ${path}`,
    );
    const retryAfter = Number(res.headers.get('retry-after'));
    return {
      status: res.status,
      body: text ? safeJson(text) : undefined,
      retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
      serverTime: Date.parse(res.headers.get('date') ?? '') || undefined,
    };
  }

  /** fetch with a deadline over the whole exchange, body included; no answer is a retryable SideError. */
  private async fetchText(
    url: string,
    init: RequestInit,
    what: string,
  ): Promise<{ res: Response; text: string }> {
    const ms = this.options.timeoutMs ?? 30_000;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${ms} ms`)), ms);
    try {
      const res = await fetch(url, { ...init, signal: controller.signal });
      return { res, text: await res.text() };
    } catch (error) {
      const reason = controller.signal.aborted ? `no answer within ${ms} ms` : (error as Error).message;
      throw new SideError('oro', `Oro did not answer ${what}: ${reason}`, 'retryable', undefined, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
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
    const { res, text } = await this.fetchText(
      `${this.conn.baseUrl.replace(/\/+$/, '')}/oauth2-token`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: this.conn.clientId,
          client_secret: this.conn.clientSecret,
        }),
      },
      'the token request',
    );
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

/** The first JSON:API error of a response, as text. */
export function oroErrorDetail(body: unknown): string {
  const first = (body as { errors?: { title?: string; detail?: string; source?: { pointer?: string } }[] })
    ?.errors?.[0];
  if (!first) {
    return 'no details';
  }
  return [first.title, first.detail, first.source?.pointer].filter(Boolean).join(': ');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
