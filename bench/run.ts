import { startAzurite } from '../dev/azurite';
import { MS_USER, ORO_OWNER, startSyncHarness, type SyncHarness } from '../test/support/sync-harness';
import { SETTLE_MS } from '../shared/oro/tasks-side';
import { naiveSync } from './naive';
import { runCalendarBench } from './calendar';
import { runCalendarWindowBench } from './calendar-window';
import { runFanOutBench } from './fanout';
import { runColdStartBench } from './cold-start';
import { runBackpressureBench } from './backpressure';
import { runBoundedBench } from './bounded';
import { BI, measure, quietSubscription, table, warmUp, type Row } from './measure';
import { writeSection } from './sections';
import { startDelayProxy } from './latency';
import { startOroProcess } from './oro-process';

/**
 * `npm run bench`: task sync, calendar sync (bench/calendar.ts) and timer fan-out (bench/fanout.ts), each
 * in its own section of BENCHMARKS.md. Task sync: against both simulators and Azurite, beside a naive
 * baseline measured in the same run, written to BENCHMARKS.md. Sizes: BENCH_TASKS (10000).
 */
const N = Number(process.env.BENCH_TASKS ?? 10_000);
const CHANGES = 100;
/** The first sync Microsoft → Oro again, with Oro answering each request this much later (a real Oro's pace). */
const ORO_LATENCY_MS = Number(process.env.BENCH_ORO_LATENCY_MS ?? 20);
const LATENCY_N = Number(process.env.BENCH_LATENCY_TASKS ?? 1000);
/** Tasks of the unmeasured first syncs that warm both implementations up (see warmUp). */
const WARM_UP_N = 500;
/** Where the requests are counted: the harness's simulators, or an Oro in its own process. */
type Sims = Parameters<typeof measure>[0];

async function engineScenario(
  label: string,
  h: SyncHarness,
  rows: Row[],
  options: Parameters<SyncHarness['run']>[2] = quietSubscription(false),
  sims: Sims = h,
) {
  const r = await measure(sims, async () => {
    const report = await h.run(BI, undefined, options);
    if (report.status !== 'ok') {
      throw new Error(`${label}: ${report.status} ${report.error ?? ''}`);
    }
    const res = report.result;
    return { tableOps: h.lastLinkOperations(), writes: res.created + res.updated + res.deleted };
  });
  rows.push({ scenario: label, engine: 'sync engine', ...r });
  console.log(label, 'engine', r);
}

/** The naive baseline, writing to the harness's Oro or to `oroUrl` (a proxy, an Oro process). */
async function naiveScenario(label: string, h: SyncHarness, rows: Row[], oroUrl = h.oro.url, sims: Sims = h) {
  const token = await h.microsoft.graphToken(MS_USER);
  const r = await measure(sims, async () => {
    await naiveSync({ url: oroUrl }, h.microsoft, ORO_OWNER, token);
    return { tableOps: 'n/a' };
  });
  rows.push({ scenario: label, engine: 'naive baseline', ...r });
  console.log(label, 'naive', r);
}

function seed(h: SyncHarness, where: 'oro' | 'ms', count: number) {
  for (let i = 0; i < count; i++) {
    if (where === 'oro') {
      h.oro.createTask(ORO_OWNER, { subject: `Oro task ${i}`, priority: i % 3 ? 'normal' : 'high' });
    } else {
      h.microsoft.todo(MS_USER).create({ title: `To Do task ${i}`, importance: 'normal' });
    }
  }
}

function changeOro(h: SyncHarness, count: number) {
  for (const t of h.oro.tasks(ORO_OWNER).slice(0, count)) {
    h.oro.editTask(t.id, { status: t.status === 'closed' ? 'open' : 'closed' });
  }
}

async function main() {
  const only = process.env.BENCH;
  const parts = ['tasks', 'calendar', 'calendar-window', 'fanout', 'coldstart', 'backpressure', 'bounded'];
  if (only && !parts.includes(only)) {
    throw new Error(`BENCH=${only}: one of ${parts.join(', ')}`);
  }
  if (!only || only === 'tasks') {
    await runTaskBench();
  }
  if (!only || only === 'calendar') {
    await runCalendarBench();
  }
  if (!only || only === 'calendar' || only === 'calendar-window') {
    await runCalendarWindowBench();
  }
  if (!only || only === 'fanout') {
    await runFanOutBench();
  }
  if (!only || only === 'bounded') {
    await runBoundedBench();
  }
  if (!only || only === 'coldstart') {
    runColdStartBench();
  }
  if (!only || only === 'backpressure') {
    await runBackpressureBench();
  }
  console.log('BENCHMARKS.md written');
}

async function runTaskBench() {
  const azurite = await startAzurite();
  process.env.TEST_STORAGE_CONNECTION_STRING = azurite.connectionString;
  const rows: Row[] = [];
  try {
    await warmUp(
      () => startSyncHarness(ORO_OWNER, { oroTimeoutMs: 30_000 }),
      (h, where) => seed(h, where, WARM_UP_N),
      (h, token) => naiveSync(h.oro, h.microsoft, ORO_OWNER, token),
    );
    for (const [direction, where] of [
      ['Oro → Microsoft', 'oro'],
      ['Microsoft → Oro', 'ms'],
    ] as const) {
      // The engine, from an empty link table.
      // Seeded tasks were last edited over the past hour, as real data is, not all in one second.
      let seeding = true;
      let tick = Date.now() - 3600_000;
      const oroClock = () => (seeding ? (tick += 3600_000 / N) : Date.now());
      const h = await startSyncHarness(ORO_OWNER, { oroClock, oroTimeoutMs: 30_000 });
      seed(h, where, N);
      seeding = false;
      // Runs are at least a minute apart; Oro's last seconds settle in between, as they would.
      const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS + 1000));
      await engineScenario(`initial sync, ${N} tasks ${direction}`, h, rows);
      await settle();
      await engineScenario(`next run: reads its own ${N} writes back once`, h, rows);
      await settle();
      await engineScenario(`idle incremental sync (${N} linked)`, h, rows);
      await engineScenario(
        `idle scheduled run, Graph subscription quiet (${N} linked)`,
        h,
        rows,
        quietSubscription(true),
      );
      changeOro(h, CHANGES);
      await engineScenario(`${CHANGES} changes (${N} linked)`, h, rows);
      await h.close();

      // The naive baseline on the same data.
      const n = await startSyncHarness(ORO_OWNER, { oroTimeoutMs: 30_000 });
      seed(n, where, N);
      await naiveScenario(`initial sync, ${N} tasks ${direction}`, n, rows);
      await naiveScenario(`next run: reads its own ${N} writes back once`, n, rows);
      await naiveScenario(`idle incremental sync (${N} linked)`, n, rows);
      changeOro(n, CHANGES);
      await naiveScenario(`${CHANGES} changes (${N} linked)`, n, rows);
      await n.close();
    }
    await ownProcessScenario(rows);
    await latencyScenario(rows);
    await batchApiScenarios(rows);
  } finally {
    await azurite.stop();
  }
  writeSection('tasks', render(rows));
}

/**
 * The first sync Microsoft → Oro with the Oro simulator in a process of its own, as a real
 * Oro is: its work no longer counts as the run's, and runs beside it (bench/oro-process.ts).
 */
async function ownProcessScenario(rows: Row[]) {
  const label = `initial sync, ${N} tasks Microsoft → Oro, Oro in its own process`;
  for (const engine of ['sync engine', 'naive baseline'] as const) {
    const oro = await startOroProcess();
    const h = await startSyncHarness(ORO_OWNER, { oroTimeoutMs: 30_000, oroBaseUrl: () => oro.url });
    seed(h, 'ms', N);
    const sims = { microsoft: h.microsoft, oro };
    if (engine === 'sync engine') {
      await engineScenario(label, h, rows, quietSubscription(false), sims);
    } else {
      await naiveScenario(label, h, rows, oro.url, sims);
    }
    await h.close();
    await oro.close();
  }
}

/** The first sync Microsoft → Oro with Oro behind a proxy that answers ORO_LATENCY_MS later. */
async function latencyScenario(rows: Row[]) {
  const label = `initial sync, ${LATENCY_N} tasks Microsoft → Oro, Oro answering in ${ORO_LATENCY_MS} ms`;
  // Runs reach Oro through the proxy, which needs the simulator's address first.
  const via: { url?: string } = {};
  const h = await startSyncHarness(ORO_OWNER, { oroTimeoutMs: 30_000, oroBaseUrl: () => via.url });
  const proxy = await startDelayProxy(h.oro.url, ORO_LATENCY_MS);
  via.url = proxy.url;
  seed(h, 'ms', LATENCY_N);
  await engineScenario(label, h, rows);
  await h.close();
  await proxy.close();

  const n = await startSyncHarness(ORO_OWNER, { oroTimeoutMs: 30_000 });
  const slow = await startDelayProxy(n.oro.url, ORO_LATENCY_MS);
  seed(n, 'ms', LATENCY_N);
  await naiveScenario(label, n, rows, slow.url);
  await n.close();
  await slow.close();
}

/**
 * The first sync Microsoft → Oro on an Oro whose administrator enabled the Batch API for tasks
 * (`update_list`, docs/oro-batch-api.md): the engine only, as the naive baseline writes one
 * request per task on any Oro. Once as fast as the simulator answers, once behind the delay
 * proxy (each request, a batch of 100 included, answered ORO_LATENCY_MS later).
 */
async function batchApiScenarios(rows: Row[]) {
  const h = await startSyncHarness(ORO_OWNER, { oroTimeoutMs: 30_000 });
  h.oro.setTaskBatchApi({ mode: 'sync' });
  seed(h, 'ms', N);
  await engineScenario(`initial sync, ${N} tasks Microsoft → Oro, Oro batch API enabled`, h, rows);
  await h.close();

  const via: { url?: string } = {};
  const slow = await startSyncHarness(ORO_OWNER, { oroTimeoutMs: 30_000, oroBaseUrl: () => via.url });
  slow.oro.setTaskBatchApi({ mode: 'sync' });
  const proxy = await startDelayProxy(slow.oro.url, ORO_LATENCY_MS);
  via.url = proxy.url;
  seed(slow, 'ms', LATENCY_N);
  await engineScenario(
    `initial sync, ${LATENCY_N} tasks Microsoft → Oro, Oro answering in ${ORO_LATENCY_MS} ms, Oro batch API enabled`,
    slow,
    rows,
  );
  await slow.close();
  await proxy.close();
}

function render(rows: Row[]): string {
  return `## Task sync

Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} (Node ${process.versions.node},
${process.platform}/${process.arch}), against the in-process Oro and Graph simulators and an
in-memory Azurite, ${N} tasks. Requests are counted by the simulators themselves (token
requests included); a Graph \`$batch\` counts as one request. Table operations are the link
table's pages read plus batch transactions. Peak RSS is the whole process, simulators
included. Seeded Oro tasks carry update times spread over the past hour (as real data
does); the engine re-reads a 5-second window before its watermark. The naive baseline lists everything on both sides (100 per page), matches by
title and writes one request per item; it keeps no links. The simulators answer in well
under a millisecond, so those rows measure this process's CPU (the engine parses each
answer, the naive baseline does not even read it). Each implementation first runs a
first sync of ${WARM_UP_N} tasks each way, not measured, so that neither is measured cold.
The rows "Oro in its own process" run the
Oro simulator in a child process, as a real Oro runs on its own machine: its work is no
longer charged to the run, and runs beside it. The last rows put Oro behind a proxy
that answers ${ORO_LATENCY_MS} ms later (\`BENCH_ORO_LATENCY_MS\`), nearer a real Oro's
tens to hundreds of milliseconds a write.

${table(rows)}

The idle scheduled run with a quiet subscription is the same idle run as queued by the timer
while the user's Graph subscription is live and has notified nothing since the last Microsoft
read: Graph is not read at all (docs/push.md). Oro token requests are cached per instance, so
a warm run's Oro request is the one listing of ids and update times.

Targets of the issue: idle sync ≤ 1 Graph + ≤ 2 Oro requests; writes batched 20 per Graph
request; table writes batched per partition (100 per transaction, 4 transactions in
flight). The links one save writes are packed hundreds to a row (shared/storage/link-groups.ts),
so a partition of ${N} links is a few dozen rows, listed in one page. A first sync saves
each link pending before its Oro create and final after:
Oro writes go in groups of 100, 200, 400, then 500, and while a group writes, the next
group's pending links and the final links of the group before are saved in the same
transactions; links to what a read with no cursor found need no confirming pass after the
cursor. The sync log packs the entries of one instant into one row (about 90 rows for
10,000 items). Oro requests go over node:http (fetch took two to three times the CPU per
request); the naive baseline keeps fetch, as a first version would.

Oro's JSON:API has a Batch API (\`PATCH /api/tasks\` with a list), but only for resources
whose \`update_list\` action is enabled, and it is disabled for every resource by default
(ApiBundle's batch API documentation); OroCRMTaskBundle's \`api.yml\` does not enable it
for tasks, so stock Oro 6.1 answers tasks one request each, in both implementations. Where
an administrator enabled it, the engine sends creates through it, 100 a request, in Oro
6.1's synchronous mode (\`X-Mode: sync\`); it finds out with the first group of creates
(stock Oro answers 405, asked once an hour per process) and writes one by one where it is missing
(docs/oro-batch-api.md). The rows "Oro batch API enabled" measure that, the engine only:
the naive baseline writes one request per task on any Oro. The delay proxy answers a
batch as late as a single write; a real Oro takes longer over 100 records than over one.
`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
