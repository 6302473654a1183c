import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { localhostCertificate } from '../../../../dev/microsoft/certificate';
import { closeNow, freePort, listen } from '../../../../dev/ports';
import { OroClient, OroTokenCache } from '../../../../shared/oro/client';
import { MAX_ANSWER_BYTES } from '../../../../shared/oro/exchange';
import { gzipSync } from 'node:zlib';

/** A request that never gets an answer: the message names Oro's base URL and what failed. */
const failure = async (baseUrl: string, timeoutMs = 2000): Promise<string> => {
  const client = new OroClient(
    { baseUrl, clientId: 'sync', clientSecret: 'secret-value' },
    new OroTokenCache(),
    {
      timeoutMs,
      sleep: () => Promise.resolve(),
    },
  );
  const error = await client.request('GET', '/api/tasks').then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(error?.name).toBe('SideError');
  expect(error?.message).not.toContain('secret-value');
  return error?.message ?? '';
};

describe('Oro unreachable: which base URL, and what failed', () => {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((s) => closeNow(s))));

  it('connection refused', async () => {
    const port = await freePort();
    expect(await failure(`http://127.0.0.1:${port}/oro`)).toBe(
      `Oro at http://127.0.0.1:${port}/oro did not answer the token request: connection refused: nothing listens at that address and port (ECONNREFUSED)`,
    );
  });

  it('host name not found', async () => {
    // .invalid never resolves (RFC 2606)
    expect(await failure('https://oro.example.invalid')).toMatch(
      /^Oro at https:\/\/oro\.example\.invalid did not answer the token request: host name not found: the DNS lookup failed \((ENOTFOUND|EAI_AGAIN)\)$/,
    );
  });

  it('timeout', async () => {
    const server = createHttpServer(() => undefined); // accepts, never answers
    servers.push(server);
    const port = await listen(server, 0, '127.0.0.1');
    expect(await failure(`http://127.0.0.1:${port}`, 200)).toBe(
      `Oro at http://127.0.0.1:${port} did not answer the token request: timeout: no answer within 200 ms`,
    );
  });

  it('TLS: a certificate this process does not trust', async () => {
    const server = createHttpsServer(await localhostCertificate(), (_req, res) => res.end('{}'));
    servers.push(server);
    const port = await listen(server, 0, '127.0.0.1');
    expect(await failure(`https://localhost:${port}`)).toMatch(
      new RegExp(
        `^Oro at https://localhost:${port} did not answer the token request: TLS failed: .+\\((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\\); the server's certificate is not trusted`,
      ),
    );
  });

  it('never shows user info of a base URL', async () => {
    const port = await freePort();
    const message = await failure(`http://admin:hunter2@127.0.0.1:${port}`);
    expect(message).not.toContain('hunter2');
    expect(message).toContain(`Oro at http://127.0.0.1:${port} did not answer`);
  });

  it('an answer that inflates past the bound is refused, not held in memory', async () => {
    // 65 MiB of zeros gzip to about 64 KiB: a hostile or broken Oro's "compression bomb".
    const bomb = gzipSync(Buffer.alloc(MAX_ANSWER_BYTES + 1024 * 1024));
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
      res.end(bomb);
    });
    servers.push(server);
    const port = await listen(server, 0, '127.0.0.1');
    expect(await failure(`http://127.0.0.1:${port}`)).toMatch(
      new RegExp(
        `^Oro at http://127\\.0\\.0\\.1:${port} did not answer the token request: the answer is larger than ${MAX_ANSWER_BYTES} bytes once decompressed`,
      ),
    );
    expect(bomb.length).toBeLessThan(1024 * 1024);
  });
});
