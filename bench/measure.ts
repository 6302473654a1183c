import type { MicrosoftSimulator } from '../dev/microsoft/simulator';
import type { OroSimulator } from '../dev/oro/simulator';
import type { Fields, SyncSettings } from '../shared/sync/model';
import type { NotificationWatch } from '../shared/sync/quiet';
import { MS_USER, type SyncHarness } from '../test/support/sync-harness';
import type { OroProcess } from './oro-process';

/** One measured scenario of a sync benchmark. */
export interface Row {
  scenario: string;
  engine: 'sync engine' | 'naive baseline';
  seconds: number;
  graph: number;
  oro: number;
  tableOps: number | string;
  peakRssMb: number;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Runs `fn`, sampling memory, and reports time, Graph and Oro requests as the simulators counted them. */
export async function measure<T extends object>(
  sims: {
    microsoft: MicrosoftSimulator;
    oro: Pick<OroSimulator | OroProcess, 'resetCounts' | 'requestCounts'>;
  },
  fn: () => Promise<T>,
): Promise<T & { seconds: number; graph: number; oro: number; peakRssMb: number }> {
  sims.microsoft.resetCounts();
  await sims.oro.resetCounts();
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
  const started = performance.now();
  const out = await fn();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return {
    ...out,
    seconds: Math.round(seconds * 100) / 100,
    graph: total(sims.microsoft.requestCounts()),
    oro: total(await sims.oro.requestCounts()),
    peakRssMb: Math.round(peak / 1024 / 1024),
  };
}

/** The rows as the Markdown table both sync sections print. */
export const table = (rows: readonly Row[]): string =>
  [
    '| scenario | implementation | seconds | Graph requests | Oro requests | link table ops | peak RSS (MB) |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.engine} | ${r.seconds} | ${r.graph} | ${r.oro} | ${r.tableOps} | ${r.peakRssMb} |`,
    ),
  ].join('\n');

/**
 * A live Graph subscription that has notified nothing since the run before: what the queue
 * function hands the run (shared/sync/quiet.ts). `scheduled`: a scheduled run, which trusts it;
 * the runs before it (trust false) read Graph and record the subscription's count.
 */
export const quietSubscription = (scheduled: boolean): { notifications: NotificationWatch } => ({
  notifications: {
    mark: { subscriptionId: 'bench-subscription', notified: 0 },
    trust: scheduled,
    pollSafetyMs: 6 * 3600_000,
  },
});

/** The settings every sync benchmark runs with. */
export const BI: SyncSettings = { direction: 'bidirectional', conflictResolution: 'oro-wins' };

/**
 * One small first sync each way through each implementation, not measured. Without it the
 * engine's first measured run paid for compiling its code and the simulators' while the
 * naive baseline, measured after it, ran warm: 5,000 events Microsoft → Oro measured 3.2 s
 * against 2.1 s in that order, 2.1–2.4 s against 2.1 s with both warm.
 */
export async function warmUp<F extends Fields>(
  start: () => Promise<SyncHarness<F>>,
  seed: (h: SyncHarness<F>, where: 'oro' | 'ms') => void,
  naive: (h: SyncHarness<F>, graphToken: string) => Promise<unknown>,
): Promise<void> {
  for (const where of ['oro', 'ms'] as const) {
    const h = await start();
    seed(h, where);
    const report = await h.run(BI, undefined, quietSubscription(false));
    if (report.status !== 'ok') {
      throw new Error(`warm-up: ${report.status} ${report.error ?? ''}`);
    }
    await h.close();
    const n = await start();
    seed(n, where);
    await naive(n, await n.microsoft.graphToken(MS_USER));
    await n.close();
  }
}
