import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback proxy that answers each request `ms` later than its target: the in-process
 * simulators answer in well under a millisecond, where a real Oro takes tens to hundreds
 * of milliseconds a write, so wall times measured against them alone are CPU, not waiting.
 */
export async function startDelayProxy(
  target: string,
  ms: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const to = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      setTimeout(() => {
        const headers: IncomingHttpHeaders = { ...req.headers, host: to.host };
        const out = request(
          { host: to.hostname, port: to.port, method: req.method, path: req.url, headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        out.on('error', (error) => {
          res.writeHead(502).end(error.message);
        });
        out.end(Buffer.concat(chunks));
      }, ms);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
