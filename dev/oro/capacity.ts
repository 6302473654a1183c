import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { JSON_API } from './jsonapi';

/**
 * A test double of load, not a claim about Oro: a fixed pool of workers (as PHP-FPM's
 * `pm.max_children` gives a real instance) each taking `serviceMs` per API request. A
 * request that finds every worker busy is refused at once with `refuseStatus` (429 or 503)
 * and `Retry-After`, as a front proxy's connection limit answers (nginx `limit_conn`).
 * Token requests are not counted.
 */
export interface OroCapacity {
  concurrent: number;
  serviceMs: number;
  refuseStatus?: 429 | 503;
  retryAfterSeconds?: number;
}

export interface OroLoad {
  /** Most API requests being served at once (refused ones are answered at once and not counted). */
  peak: number;
  /** Most API requests that wanted serving at once: those in progress plus the one arriving. */
  peakOffered: number;
  inProgress: number;
  served: number;
  refused: number;
}

/**
 * The server's request listener: `handle` at once without `capacity` (or for a non-API
 * request), else through the pool of workers, counting the load it saw.
 */
export function withCapacity(
  capacity: OroCapacity | undefined,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  failed: (res: ServerResponse, e: unknown) => void,
): { listener: RequestListener; load: () => OroLoad } {
  const load: OroLoad = { peak: 0, peakOffered: 0, inProgress: 0, served: 0, refused: 0 };
  const listener: RequestListener = (req, res) => {
    if (!capacity || !(req.url ?? '').startsWith('/api/')) {
      handle(req, res).catch((e: unknown) => failed(res, e));
      return;
    }
    load.peakOffered = Math.max(load.peakOffered, load.inProgress + 1);
    if (load.inProgress >= capacity.concurrent) {
      load.refused++;
      const status = capacity.refuseStatus ?? 429;
      res.writeHead(status, {
        'Content-Type': JSON_API,
        'Retry-After': String(capacity.retryAfterSeconds ?? 1),
      });
      res.end(JSON.stringify({ errors: [{ status: String(status), title: 'too many requests' }] }));
      return;
    }
    load.inProgress++;
    load.peak = Math.max(load.peak, load.inProgress);
    setTimeout(() => {
      handle(req, res)
        .catch((e: unknown) => failed(res, e))
        .finally(() => {
          load.inProgress--;
          load.served++;
        });
    }, capacity.serviceMs);
  };
  return { listener, load: () => ({ ...load }) };
}
