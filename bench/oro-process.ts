import { fork } from 'node:child_process';
import { startOroSimulator } from '../dev/oro/simulator';
import { ORO_OWNER } from '../test/support/sync-harness';

/**
 * The Oro simulator in a process of its own. A real Oro is another machine: with the
 * simulator in the benchmark's process, every Oro request's server work is charged to the
 * run that sent it, and a run that keeps several requests in flight cannot overlap its own
 * work with Oro's. In its own process, Oro's work runs beside the run's, as it does for real.
 */
export interface OroProcess {
  url: string;
  /** The harness user's Oro calendar there: the first calendar, as in the harness's own simulator. */
  calendarId: number;
  requestCounts(): Promise<Record<string, number>>;
  resetCounts(): Promise<void>;
  close(): Promise<void>;
}

type Ask = { ask: 'counts' | 'reset' | 'close'; n: number };
type Answer = { n: number; counts?: Record<string, number> } | { url: string; calendarId: number };

/**
 * Forks this file; the child serves an Oro whose task workflow is off (as the sync harness's),
 * where the harness user's calendar exists.
 */
export async function startOroProcess(): Promise<OroProcess> {
  const child = fork(__filename, ['child'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const waiting = new Map<number, (a: Answer) => void>();
  let url = '';
  let calendarId = 0;
  const started = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (a: Answer) => {
      if ('url' in a) {
        url = a.url;
        calendarId = a.calendarId;
        resolve();
      } else {
        waiting.get(a.n)?.(a);
        waiting.delete(a.n);
      }
    });
  });
  await started;
  let n = 0;
  const ask = (what: Ask['ask']) =>
    new Promise<Answer>((resolve) => {
      const k = ++n;
      waiting.set(k, resolve);
      child.send({ ask: what, n: k } satisfies Ask);
    });
  return {
    url,
    calendarId,
    requestCounts: async () => {
      const a = await ask('counts');
      return 'counts' in a && a.counts ? a.counts : {};
    },
    resetCounts: async () => {
      await ask('reset');
    },
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await ask('close');
      await exited;
    },
  };
}

async function serve() {
  const oro = await startOroSimulator({ taskWorkflow: false });
  oro.registerClient('sync', 'pw');
  // Every Oro user has a calendar; the harness asks for its user's first, and so does this.
  const calendarId = oro.calendar.defaultCalendar(ORO_OWNER);
  process.on('message', (m: Ask) => {
    if (m.ask === 'counts') {
      process.send?.({ n: m.n, counts: oro.requestCounts() } satisfies Answer);
    } else if (m.ask === 'reset') {
      oro.resetCounts();
      process.send?.({ n: m.n } satisfies Answer);
    } else {
      void oro.close().then(() => {
        process.send?.({ n: m.n } satisfies Answer, () => process.exit(0));
      });
    }
  });
  process.send?.({ url: oro.url, calendarId } satisfies Answer);
}

if (process.argv[2] === 'child' && process.send) {
  void serve();
}
