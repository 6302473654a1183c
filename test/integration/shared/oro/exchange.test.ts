import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { closeNow, listen } from '../../../../dev/ports';
import { exchange } from '../../../../shared/oro/exchange';

/*
 * A server closes an idle kept-alive connection after its keep-alive timeout; a request
 * sent on it in that instant is reset unanswered (Node's documentation of
 * `request.reusedSocket`). This server plays that instant: the second request on its first
 * connection is dropped with the connection, unanswered.
 */
describe('exchange: a kept-alive connection the server has just closed', () => {
  let server: Server;
  let base = '';
  const seen: { method: string; connection: number }[] = [];
  const sockets = new Map<Socket, number>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const connection = sockets.get(req.socket)!;
      const onThisConnection = seen.filter((s) => s.connection === connection).length;
      seen.push({ method: req.method ?? '', connection });
      req.resume();
      if (connection === 1 && onThisConnection === 1) {
        req.socket.destroy();
        return;
      }
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ connection }));
    });
    server.on('connection', (socket: Socket) => sockets.set(socket, sockets.size + 1));
    base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
  });
  beforeEach(async () => {
    // Each case starts from no connection at all, on the server's side and in the pool.
    server.closeAllConnections();
    await new Promise((r) => setTimeout(r, 50));
    sockets.clear();
    seen.length = 0;
  });
  afterAll(() => closeNow(server));

  const get = (path: string) => exchange(`${base}${path}`, { method: 'GET', headers: {}, timeoutMs: 2_000 });

  it('sends a GET again on a new connection and answers it', async () => {
    await get('/first');
    const { res, text } = await get('/second');
    expect(res.status).toBe(200);
    expect(JSON.parse(text)).toEqual({ connection: 2 });
    expect(seen).toEqual([
      { method: 'GET', connection: 1 },
      { method: 'GET', connection: 1 },
      { method: 'GET', connection: 2 },
    ]);
  });

  it('does not send a write again: it may have been carried out', async () => {
    await get('/first');
    await expect(
      exchange(`${base}/api/tasks`, { method: 'POST', headers: {}, body: '{}', timeoutMs: 2_000 }),
    ).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(seen).toEqual([
      { method: 'GET', connection: 1 },
      { method: 'POST', connection: 1 },
    ]);
  });
});
