import type { MicrosoftSimulator } from '../dev/microsoft/simulator';
import type { OroSimulator } from '../dev/oro/simulator';
import type { NotificationWatch } from '../shared/sync/quiet';
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
