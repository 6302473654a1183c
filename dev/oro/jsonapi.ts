import type { ServerResponse } from 'node:http';

/** Oro's JSON:API media type, on requests and answers of /api/*. */
export const JSON_API = 'application/vnd.api+json';

export function send(res: ServerResponse, status: number, body?: unknown, type = JSON_API): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { 'Content-Type': type });
  res.end(JSON.stringify(body));
}

/** A JSON:API error document as Oro writes it: the status as a string, an optional pointer. */
export function error(
  res: ServerResponse,
  status: number,
  title: string,
  detail: string,
  pointer?: string,
): void {
  send(res, status, {
    errors: [{ status: String(status), title, detail, ...(pointer ? { source: { pointer } } : {}) }],
  });
}
