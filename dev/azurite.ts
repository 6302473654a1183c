import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './ports';

/** Azurite's published development account; not a secret. */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  connectionString: string;
  /** `http(s)://127.0.0.1:<port>/devstoreaccount1`: for a client with a token credential (HTTPS only). */
  tableEndpoint: string;
  port: number;
  stop(): Promise<void>;
}

export const azuriteConnectionString = (port: number, scheme: 'http' | 'https' = 'http'): string =>
  `DefaultEndpointsProtocol=${scheme};AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
  `TableEndpoint=${scheme}://127.0.0.1:${port}/${DEV_ACCOUNT};`;

/**
 * Starts Azurite's table service in memory on a free port, as a child process of this one.
 * With `https` (PEM files) and `oauth: 'basic'` it also takes Entra ID bearer tokens, checking
 * their audience, issuer and lifetime (not their signature), as Azure Storage does over HTTPS.
 */
export async function startAzurite(
  options: { startTimeoutMs?: number; https?: { certFile: string; keyFile: string }; oauth?: 'basic' } = {},
): Promise<Azurite> {
  const port = await freePort();
  const scheme = options.https ? 'https' : 'http';
  const location = mkdtempSync(join(tmpdir(), 'azurite-'));
  const main = join(dirname(require.resolve('azurite/package.json')), 'dist/src/table/main.js');
  const child = spawn(
    process.execPath,
    [
      main,
      '--inMemoryPersistence',
      '--disableTelemetry',
      '--tableHost',
      '127.0.0.1',
      '--tablePort',
      String(port),
      ...(options.https ? ['--cert', options.https.certFile, '--key', options.https.keyFile] : []),
      ...(options.oauth ? ['--oauth', options.oauth] : []),
    ],
    // In memory nothing should be written; the scratch cwd catches anything that is.
    { cwd: location, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  await waitForListening(child, options.startTimeoutMs ?? 30_000);
  return {
    port,
    connectionString: azuriteConnectionString(port, scheme),
    tableEndpoint: `${scheme}://127.0.0.1:${port}/${DEV_ACCOUNT}`,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(location, { recursive: true, force: true });
    },
  };
}

function waitForListening(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`Azurite did not start within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/successfully (started|listening)/.test(output)) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null) =>
      fail(new Error(`Azurite exited (code ${code}) before listening:\n${output}`));
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining output so the child never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    const fail = (error: Error) => {
      cleanup();
      child.kill('SIGKILL');
      reject(error);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}
