import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { startTestStack } from '../../support/stack';
import type { Stack } from '../../../dev/stack';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A raw request, so the test can send any Host header (fetch would not let it). */
function send(
  url: string,
  init: { method?: string; host?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: target.pathname,
        method: init.method ?? 'GET',
        headers: { Host: init.host ?? target.host, ...init.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Opens a TCP connection and closes it at once; rejects with the socket's error. */
function connectTo(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

const message = () =>
  JSON.stringify({
    userId: '101',
    entity: 'tasks',
    reason: 'manual',
    requestedAt: new Date().toISOString(),
  });

/** The dev host is for this machine only: it serves a page with an admin token in it. */
describe('dev host: local only', () => {
  let stack: Stack;
  let token: string;
  beforeAll(async () => {
    stack = await startTestStack({ seed: true });
    token = await stack.adminToken();
  });
  afterAll(() => stack.close());

  it('listens on loopback only', async () => {
    const port = Number(new URL(stack.url).port);
    expect(stack.url).toBe(`http://localhost:${port}`);
    expect(stack.host.address).toMatch(/^(127\.0\.0\.1|::1)$/);
    // From this machine's other addresses (another host on the network reaches those) no
    // connection is taken at all.
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i !== undefined && !i.internal && i.family === 'IPv4')
      .map((i) => i!.address);
    for (const address of external) {
      await expect(connectTo(address, port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    }
  });

  it.each(['localhost', '127.0.0.1', '[::1]'])(
    'serves the portal to Host %s (with its port)',
    async (name) => {
      const port = new URL(stack.url).port;
      const page = await send(`${stack.url}/`, { host: `${name}:${port}` });
      expect(page.status).toBe(200);
      expect(page.text).toContain('Microsoft Settings');
    },
  );

  it.each(['attacker.example', 'attacker.example:7071', 'localhost.attacker.example', '127.0.0.1.nip.io'])(
    'refuses Host %s (DNS rebinding): no page, no token, no API',
    async (host) => {
      for (const path of ['/', '/api/health', '/api/settings/global', '/dev/queues/task-sync']) {
        const res = await send(`${stack.url}${path}`, { host });
        expect(res.status).toBe(403);
        expect(res.text).not.toContain(token.slice(0, 40));
        expect(res.text).not.toContain('eyJ');
      }
    },
  );

  it('refuses a cross-site text/plain post to a dev queue, and one without the dev token', async () => {
    const url = `${stack.url}/dev/queues/task-sync`;
    // What an HTML form or a no-cors fetch from any web page can send: no preflight.
    const plain = await send(url, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', Authorization: `Bearer ${token}` },
      body: message(),
    });
    expect(plain.status).toBe(415);
    const anonymous = await send(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: message(),
    });
    expect(anonymous.status).toBe(401);
    const expired = await send(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${await stack.adminToken(-3600)}`,
      },
      body: message(),
    });
    expect(expired.status).toBe(401);
  });

  it('invokes the queue function for a JSON post with the dev token', async () => {
    const res = await send(`${stack.url}/dev/queues/task-sync`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${token}` },
      body: message(),
    });
    expect(res.status).toBe(204);
  });

  it('keeps the portal out of frames and caches', async () => {
    const page = await send(`${stack.url}/`);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
  });
});
