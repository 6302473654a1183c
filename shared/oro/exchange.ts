import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type RequestOptions,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

/**
 * One HTTP exchange with Oro over node:http(s), the body read in full. Node's fetch costs
 * two to three times the CPU of node:http per request (WHATWG streams, header lists, a
 * Response per answer); a first sync sends one request per item, so that overhead was most
 * of a run's time (BENCHMARKS.md). Behaviour kept from fetch: keep-alive connections shared
 * by the process, compressed answers accepted and decoded, redirects never followed (the
 * caller decides), the default CA store (with what `tls.setDefaultCACertificates` added).
 */

/** An answer's status and headers, as the client and telemetry read them. */
export interface Answer {
  status: number;
  headers: { get(name: string): string | null };
}

export interface Exchange {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** The deadline of the whole exchange, body included: past it, it fails with ExchangeTimeout. */
  timeoutMs: number;
}

/**
 * The most an answer may weigh, as sent and once decompressed: a page of Oro's listings is
 * well under a megabyte, and an answer (or a compressed body) past this is refused rather
 * than held in memory (the Oro URL is the admin's to set, its answers are still checked).
 */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** No answer, or not all of it, within the exchange's deadline. */
export class ExchangeTimeout extends Error {
  override readonly name = 'ExchangeTimeout';
}

/** Keep-alive pools for the whole process, as fetch's global dispatcher had. */
const agents = {
  http: new HttpAgent({ keepAlive: true }),
  https: new HttpsAgent({ keepAlive: true }),
};

/**
 * A kept-alive connection the server closed as this request went out on it: the server
 * closes an idle connection after its keep-alive timeout (Apache's default 5 s, nginx's
 * 75 s), and a request sent in that instant is reset unanswered. Node's documentation of
 * `request.reusedSocket` names this race and retrying it. A request that changes nothing
 * is sent again once, on a new connection; a write is not (it may have been carried out),
 * and fails as before: retryable.
 */
class StaleConnection extends Error {
  override readonly name = 'StaleConnection';
}
const SAFE_METHODS = new Set(['GET', 'HEAD']);
const STALE_CODES = new Set(['ECONNRESET', 'EPIPE']);

export async function exchange(url: string, init: Exchange): Promise<{ res: Answer; text: string }> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') {
    throw new TypeError(`unsupported protocol ${target.protocol}`);
  }
  const headers: Record<string, string> = { 'Accept-Encoding': 'gzip, deflate, br', ...init.headers };
  if (init.body !== undefined) {
    headers['Content-Length'] = String(Buffer.byteLength(init.body));
  }
  // User info of a URL is never sent (fetch refused such a URL outright).
  const options: RequestOptions = {
    hostname: target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname,
    ...(target.port ? { port: Number(target.port) } : {}),
    path: `${target.pathname}${target.search}`,
    method: init.method,
    headers,
  };
  const started = Date.now();
  try {
    return await send(
      secure,
      { ...options, agent: secure ? agents.https : agents.http },
      init,
      init.timeoutMs,
    );
  } catch (error) {
    if (!(error instanceof StaleConnection)) {
      throw error;
    }
    // Once more, on a connection of its own (the pool may hold more such connections).
    const left = Math.max(1, init.timeoutMs - (Date.now() - started));
    return send(secure, { ...options, agent: false }, init, left);
  }
}

/** One request on `options.agent`'s connection; a stale kept-alive connection rejects with StaleConnection. */
function send(
  secure: boolean,
  options: RequestOptions,
  init: Exchange,
  timeoutMs: number,
): Promise<{ res: Answer; text: string }> {
  return new Promise((resolve, reject) => {
    // A timer, not an AbortSignal: one less event target for every request.
    let timedOut = false;
    let answered = false;
    const fail = (error: Error) => {
      clearTimeout(timer);
      const code = (error as { code?: unknown }).code;
      if (timedOut) {
        reject(new ExchangeTimeout(`no answer within ${init.timeoutMs} ms`));
      } else if (
        req.reusedSocket &&
        !answered &&
        SAFE_METHODS.has(init.method) &&
        typeof code === 'string' &&
        STALE_CODES.has(code)
      ) {
        reject(new StaleConnection('the kept-alive connection was closed', { cause: error }));
      } else {
        reject(error);
      }
    };
    const onAnswer = (res: IncomingMessage) => {
      answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) {
          req.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        try {
          resolve({
            res: answerOf(res),
            text: decode(Buffer.concat(chunks), res.headers['content-encoding']),
          });
        } catch (error) {
          fail(error as Error); // zlib's, thrown by a body that does not decompress
        }
      });
    };
    const req = secure ? httpsRequest(options, onAnswer) : httpRequest(options, onAnswer);
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new ExchangeTimeout(`no answer within ${init.timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', fail);
    req.end(init.body);
  });
}

function answerOf(res: IncomingMessage): Answer {
  const headers = res.headers;
  return {
    status: res.statusCode ?? 0,
    headers: {
      get: (name) => {
        const value = headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
  };
}

/** The body as text, as fetch's `text()` read it: decompressed, UTF-8, without a byte order mark. */
function decode(body: Buffer, encoding: string | undefined): string {
  let text: string;
  try {
    text = decompress(body, encoding);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes once decompressed`, {
        cause: error,
      });
    }
    throw error;
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function decompress(body: Buffer, encoding: string | undefined): string {
  // A small body that inflates without end is refused at the same bound (zlib throws).
  const bound = { maxOutputLength: MAX_ANSWER_BYTES };
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(body, bound).toString('utf8');
    case 'deflate':
      return inflateSync(body, bound).toString('utf8');
    case 'br':
      return brotliDecompressSync(body, bound).toString('utf8');
    default:
      return body.toString('utf8');
  }
}
