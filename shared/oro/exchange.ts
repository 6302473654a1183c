import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { urlToHttpOptions } from 'node:url';
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
  /** Aborts the exchange, body included: the promise rejects with the signal's reason. */
  signal: AbortSignal;
}

/** Keep-alive pools for the whole process, as fetch's global dispatcher had. */
const agents = {
  http: new HttpAgent({ keepAlive: true }),
  https: new HttpsAgent({ keepAlive: true }),
};

export async function exchange(url: string, init: Exchange): Promise<{ res: Answer; text: string }> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') {
    throw new TypeError(`unsupported protocol ${target.protocol}`);
  }
  return new Promise((resolve, reject) => {
    // User info of a URL is never sent (fetch refused such a URL outright).
    const { auth: _userInfo, ...where } = urlToHttpOptions(target);
    const headers: Record<string, string> = { 'Accept-Encoding': 'gzip, deflate, br', ...init.headers };
    if (init.body !== undefined) {
      headers['Content-Length'] = String(Buffer.byteLength(init.body));
    }
    const options = { ...where, method: init.method, headers, signal: init.signal };
    const onAnswer = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        try {
          resolve({
            res: answerOf(res),
            text: decode(Buffer.concat(chunks), res.headers['content-encoding']),
          });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    };
    const req = secure
      ? httpsRequest({ ...options, agent: agents.https }, onAnswer)
      : httpRequest({ ...options, agent: agents.http }, onAnswer);
    req.on('error', reject);
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
  const text = decompress(body, encoding);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function decompress(body: Buffer, encoding: string | undefined): string {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(body).toString('utf8');
    case 'deflate':
      return inflateSync(body).toString('utf8');
    case 'br':
      return brotliDecompressSync(body).toString('utf8');
    default:
      return body.toString('utf8');
  }
}
