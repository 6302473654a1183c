import { startAzurite } from '../dev/azurite';
import { LinkRepository } from '../shared/storage/link-repository';
import type { RunBounds } from '../shared/sync/bounded';
import { SyncLogRepository } from '../shared/storage/sync-log-repository';
import { MS_USER, ORO_OWNER, startSyncHarness, type SyncHarness } from '../test/support/sync-harness';
import { writeSection } from './sections';
import { BI } from './measure';

/**
 * `BENCH=bounded npm run bench`: an initial sync of BENCH_BOUNDED_ITEMS tasks (10,000) across
 * bounded runs (BENCH_BOUNDED_WRITES writes a run, 1,000 as deployed), each run continued as
 * its queued continuation would be, beside one unbounded run of the same data, in the same
 * process: max run duration and writes per run, total time.
 */
/** Sizes to measure, comma-separated (`10000,100000`). */
const SIZES = (process.env.BENCH_BOUNDED_ITEMS ?? '10000').split(',').map(Number);
const MAX_WRITES = Number(process.env.BENCH_BOUNDED_WRITES ?? 1000);
const BOUNDS: RunBounds = { maxWrites: MAX_WRITES, maxRunMs: 180_000 };

interface Measured {
  scenario: string;
  mode: string;
  runs: number;
  totalSeconds: number;
  maxRunSeconds: number;
  maxWrites: number;
  oro: number;
  graph: number;
  linked: number;
  tableOps: number;
}

function seed(h: SyncHarness, where: 'oro' | 'ms', n: number) {
  for (let i = 0; i < n; i++) {
    if (where === 'oro') {
      h.oro.createTask(ORO_OWNER, { subject: `Oro task ${i}` });
    } else {
      h.microsoft.todo(MS_USER).create({ title: `To Do task ${i}` });
    }
  }
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

async function chain(scenario: string, h: SyncHarness, n: number, bounds?: RunBounds): Promise<Measured> {
  h.oro.resetCounts();
  h.microsoft.resetCounts();
  const started = performance.now();
  let runs = 0;
  let maxRun = 0;
  let maxWrites = 0;
  let tableOps = 0;
  for (;;) {
    const t = performance.now();
    const report = await h.run(BI, undefined, bounds ? { bounds } : {});
    runs++;
    tableOps += h.lastLinkOperations();
    maxRun = Math.max(maxRun, performance.now() - t);
    const r = report.result;
    maxWrites = Math.max(maxWrites, r.created + r.updated + r.deleted + r.errors);
    if (report.status !== 'ok') {
      // What failed, as the admin's log says it.
      const log = await new SyncLogRepository(h.tables).list(ORO_OWNER, { entity: 'tasks', limit: 200 });
      const failed = log.filter((e) => e.outcome === 'failed').slice(0, 3);
      throw new Error(
        `${scenario}: run ${runs} ${report.status} ${report.error ?? ''}: ${failed.map((e) => `${e.action} ${e.detail ?? ''}`).join('; ')}`,
      );
    }
    if (!report.continuation) {
      break;
    }
  }
  const links = await new LinkRepository(h.tables).listAll(ORO_OWNER, 'tasks');
  if (links.backlog.length > 0 || links.links.length !== n) {
    throw new Error(`${scenario}: ${links.links.length} links and ${links.backlog.length} backlog rows`);
  }
  const m = {
    scenario,
    mode: bounds ? `bounded, ${bounds.maxWrites} writes a run` : 'unbounded (one run)',
    runs,
    totalSeconds: Math.round((performance.now() - started) / 10) / 100,
    maxRunSeconds: Math.round(maxRun / 10) / 100,
    maxWrites,
    oro: sum(h.oro.requestCounts()),
    graph: sum(h.microsoft.requestCounts()),
    linked: links.links.length,
    tableOps,
  };
  console.log(m);
  return m;
}

export async function runBoundedBench(): Promise<void> {
  const azurite = await startAzurite();
  process.env.TEST_STORAGE_CONNECTION_STRING = azurite.connectionString;
  const rows: Measured[] = [];
  try {
    for (const n of SIZES) {
      for (const [direction, where] of [
        ['Oro → Microsoft', 'oro'],
        ['Microsoft → Oro', 'ms'],
      ] as const) {
        for (const bounds of [undefined, BOUNDS]) {
          const h = await startSyncHarness(ORO_OWNER, { oroTimeoutMs: 30_000 });
          seed(h, where, n);
          rows.push(await chain(`initial sync, ${n} tasks ${direction}`, h, n, bounds));
          await h.close();
        }
      }
    }
  } finally {
    await azurite.stop();
  }
  writeSection(
    'bounded',
    `## Bounded runs

An initial sync of ${SIZES.join(' and of ')} tasks, once as one unbounded run and once across bounded runs of
${MAX_WRITES} writes (\`SYNC_RUN_MAX_WRITES\`, the deployed default), each run continued at
once as its queued continuation would be (docs/bounded-runs.md); measured on
${new Date().toISOString().slice(0, 10)} against both simulators and an in-memory Azurite, in
the same process. A continuation reads only what changed since the cursor its first run
saved (its own writes, from the feeds) and the backlog beside the links, not the whole
side again. Requests and link-table operations (pages read and transactions; the backlog
rows live in the links' partition) are all runs' together. The machine is shared: compare
rows of one run with each other.

| scenario | mode | runs | total seconds | longest run (s) | most writes in a run | Oro requests | Graph requests | link table ops | links |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|
${rows
  .map(
    (r) =>
      `| ${r.scenario} | ${r.mode} | ${r.runs} | ${r.totalSeconds} | ${r.maxRunSeconds} | ${r.maxWrites} | ${r.oro} | ${r.graph} | ${r.tableOps} | ${r.linked} |`,
  )
  .join('\n')}
`,
  );
}
