import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../../dev/ports';

const ROOT = join(__dirname, '../../..');

/** Runs the `npm start` program (from source) and collects what it prints. */
function start(port: number): { child: ChildProcess; output: () => string; ready: Promise<void> } {
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['dev/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Press Ctrl-C to stop.')) {
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`start exited early (${code}):\n${output}`)));
  });
  return { child, output: () => output, ready };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) {
      resolve(child.exitCode);
    } else {
      child.once('exit', (code) => resolve(code));
    }
  });

/** The pids of processes whose parent is `pid`. */
async function childrenOf(pid: number): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) {
      found.push(Number(entry));
    }
  }
  return found;
}

/** Running, not merely a zombie waiting for a reaper that a container's init may never be. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('npm start', () => {
  jest.setTimeout(90_000);

  it('serves the seeded demo, answers the README example, stops every child on Ctrl-C, and starts again at once', async () => {
    const port = await freePort();
    const first = start(port);
    await first.ready;
    const printed = first.output();
    expect(printed).toContain(`http://localhost:${port}/api/openapi.json`);
    const token = /export TOKEN=(\S+)/.exec(printed)?.[1];
    expect(token).toBeTruthy();
    expect(printed).toContain('A new token is printed at each start');

    // The example the start banner (and the README) prints.
    const res = await fetch(`http://localhost:${port}/api/settings/users/102/effective`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const effective = (await res.json()) as Record<string, Record<string, unknown>>;
    expect(effective.syncIntervalMinutes).toEqual({ value: 5, source: 'user' });
    expect(effective.tasks?.direction).toEqual({ value: 'oro-to-microsoft', source: 'organization' });

    // The demo portal the banner points to.
    const portal = await fetch(`http://localhost:${port}/`);
    expect(await portal.text()).toContain('Microsoft Settings');
    expect(printed).toContain(`Demo portal  http://localhost:${port}/`);

    // tsx runs the program in a child of its own; Azurite is a child of that one.
    const descendants: number[] = [];
    for (const pid of await childrenOf(first.child.pid ?? -1)) {
      descendants.push(pid, ...(await childrenOf(pid)));
    }
    expect(descendants.length).toBeGreaterThanOrEqual(2);

    first.child.kill('SIGINT');
    expect(await exited(first.child)).toBe(0);
    // Children get a moment to finish exiting (and be reaped) after the parent is gone.
    for (let i = 0; i < 30 && descendants.some(alive); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const survivors = descendants.filter(alive);
    expect(await Promise.all(survivors.map(describeProcess))).toEqual([]);

    const second = start(port);
    await second.ready;
    expect((await fetch(`http://localhost:${port}/api/health`)).status).toBe(200);
    second.child.kill('SIGINT');
    expect(await exited(second.child)).toBe(0);
  });
});

async function describeProcess(pid: number): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '?');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '?');
  return `${pid}: ${cmd.replaceAll('\0', ' ')} [${stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)}]`;
}
