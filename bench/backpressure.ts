import { startAzurite } from '../dev/azurite';
import { startOroSimulator, type OroCapacity, type OroSimulator } from '../dev/oro/simulator';
import { SharedBudgets } from '../shared/budget/shared-budget';
import { OroClient, OroTokenCache } from '../shared/oro/client';
import { BudgetRepository } from '../shared/storage/budget-repository';
import { createTableStore, type TableStore } from '../shared/storage/tables';
import { writeSection } from './sections';

/**
 * `BENCH=backpressure`: 1,000 users' runs against one Oro instance of fixed capacity, from
 * several Functions instances at once, with and without the shared budget (docs/budgets.md).
 * Each instance takes 8 sessions at a time (the queue trigger's maxConcurrentSessions) and
 * each run writes 4 requests at a time, as the Oro sides do. A run's Oro work here is the
 * part that loads Oro: one listing of the user's tasks and WRITES updates. The simulator's
 * capacity (dev/oro/capacity.ts, the `capacity` option) is a test double of load, not a claim about Oro.
 */
const USERS = Number(process.env.BENCH_BACKPRESSURE_USERS ?? 1_000);
const INSTANCES = Number(process.env.BENCH_BACKPRESSURE_INSTANCES ?? 4);
const SESSIONS = 8;
const RUN_CONCURRENCY = 4;
const WRITES = 5;
const CAPACITY: OroCapacity = { concurrent: 16, serviceMs: 200, refuseStatus: 429, retryAfterSeconds: 1 };

interface Result {
  design: string;
  seconds: number;
  served: number;
  perSecond: number;
  /** Served per second as a share of what the budget allows (budget / service time). */
  ofBudget: number | undefined;
  peakOffered: number;
  peakServed: number;
  refused: number;
  failedRuns: number;
  /** Most requests the runs had going at once (waiting for a permit, retrying or on the wire). */
  peakDemand: number;
  tableOps: number;
}

async function scenario(
  design: string,
  tables: TableStore | undefined,
  budget: number | undefined,
): Promise<Result> {
  const oro: OroSimulator = await startOroSimulator({ capacity: CAPACITY });
  oro.registerClient('sync', 'pw');
  const ids = new Map<string, string[]>();
  for (let u = 0; u < USERS; u++) {
    ids.set(
      `u${u}`,
      Array.from({ length: WRITES }, (_, k) => oro.createTask(`u${u}`, { subject: `task ${k}` }).id),
    );
  }
  const conn = { baseUrl: oro.url, clientId: 'sync', clientSecret: 'pw' };
  const users = [...ids.keys()];
  const instances = Array.from({ length: INSTANCES }, () => ({
    tokens: new OroTokenCache(),
    budgets: tables ? new SharedBudgets(new BudgetRepository(tables)) : undefined,
  }));
  let failedRuns = 0;
  const demand = { now: 0, peak: 0 };
  const request = async (client: OroClient, method: string, path: string, body?: unknown) => {
    demand.now++;
    demand.peak = Math.max(demand.peak, demand.now);
    try {
      return await client.request(method, path, body);
    } finally {
      demand.now--;
    }
  };
  const runOne = async (instance: (typeof instances)[number], user: string) => {
    const client = new OroClient(conn, instance.tokens, {
      budget: budget === undefined ? undefined : instance.budgets?.oro(oro.url, budget),
    });
    const listing = await request(client, 'GET', `/api/tasks?filter[owner]=${user}&page[size]=100`);
    let ok = listing.status === 200;
    const writes = [...(ids.get(user) ?? [])];
    await Promise.all(
      Array.from({ length: RUN_CONCURRENCY }, async () => {
        for (let id = writes.shift(); id !== undefined; id = writes.shift()) {
          const res = await request(client, 'PATCH', `/api/tasks/${id}`, {
            data: { type: 'tasks', id, attributes: { subject: `synced ${id}` } },
          });
          ok &&= res.status === 200;
        }
      }),
    );
    if (!ok) {
      failedRuns++;
    }
  };
  const started = performance.now();
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(oro.load().inProgress), 10);
  await Promise.all(
    instances.flatMap((instance) =>
      Array.from({ length: SESSIONS }, async () => {
        for (let user = users.shift(); user !== undefined; user = users.shift()) {
          await runOne(instance, user);
        }
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  if (process.env.BENCH_DEBUG) {
    const per = [];
    for (let i = 0; i < samples.length; i += 50) {
      const chunk = samples.slice(i, i + 50);
      per.push((chunk.reduce((a, b) => a + b, 0) / chunk.length).toFixed(1));
    }
    console.log(design, 'mean in progress per 0.5 s:', per.join(' '));
  }
  const load = oro.load();
  const tableOps = instances.reduce((sum, i) => {
    const s = i.budgets?.stats();
    return sum + (s ? s.reads + s.writes : 0);
  }, 0);
  await Promise.all(instances.map((i) => (i.budgets ? i.budgets.close() : Promise.resolve())));
  await oro.close();
  const perSecond = load.served / seconds;
  const result: Result = {
    design,
    seconds: round(seconds),
    served: load.served,
    perSecond: Math.round(perSecond),
    ofBudget:
      budget === undefined
        ? undefined
        : round(perSecond / (Math.min(budget, CAPACITY.concurrent) / (CAPACITY.serviceMs / 1000))),
    peakOffered: load.peakOffered,
    peakServed: load.peak,
    refused: load.refused,
    failedRuns,
    peakDemand: demand.peak,
    tableOps,
  };
  console.log(result);
  return result;
}

const round = (n: number) => Math.round(n * 100) / 100;

export async function runBackpressureBench(): Promise<void> {
  const azurite = await startAzurite();
  const results: Result[] = [];
  try {
    const tables = createTableStore(azurite.connectionString, 'bench');
    results.push(await scenario("today's design (no budget)", undefined, undefined));
    results.push(
      await scenario(`shared budget ${CAPACITY.concurrent} (= capacity)`, tables, CAPACITY.concurrent),
    );
    results.push(
      await scenario(
        `shared budget ${CAPACITY.concurrent * 2} (above capacity: AIMD)`,
        tables,
        CAPACITY.concurrent * 2,
      ),
    );
  } finally {
    await azurite.stop();
  }
  writeSection('backpressure', render(results));
}

function render(results: readonly Result[]): string {
  const ideal = CAPACITY.concurrent / (CAPACITY.serviceMs / 1000);
  return `## Backpressure toward Oro

Measured by \`BENCH=backpressure npm run bench\` on ${new Date().toISOString().slice(0, 10)} (Node ${process.versions.node}):
${USERS} users' runs against one Oro simulator of fixed capacity (${CAPACITY.concurrent} workers, ${CAPACITY.serviceMs} ms
per API request, a request finding every worker busy refused at once with 429 and Retry-After: ${CAPACITY.retryAfterSeconds} s;
a test double of load, not a claim about Oro), from ${INSTANCES} Functions instances sharing one Azurite, each taking
${SESSIONS} sessions at a time, each run listing the user's tasks and writing ${WRITES} updates ${RUN_CONCURRENCY} at a time
(${USERS * (WRITES + 1)} API requests). The capacity serves at most ${ideal} requests per second. "Peak offered" is the
most requests that wanted serving at once (in progress plus the one arriving); "of budget" is the
throughput as a share of what the budget allows at this service time (budget above capacity: of capacity).
"Runs' demand" is the most requests the runs had going at once (waiting for a permit,
retrying or on the wire). Table ops are the budget rows' reads and writes, all instances
together, and per API request served.

| design | seconds | requests served | per second | of budget | runs' demand | peak offered | peak served | refused (429) | runs failed | table ops (per request) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${results
  .map(
    (r) =>
      `| ${r.design} | ${r.seconds} | ${r.served} | ${r.perSecond} | ${r.ofBudget === undefined ? 'n/a' : `${Math.round(r.ofBudget * 100)} %`} | ${r.peakDemand} | ${r.peakOffered} | ${r.peakServed} | ${r.refused} | ${r.failedRuns} | ${r.tableOps} (${(r.tableOps / r.served).toFixed(2)}) |`,
  )
  .join('\n')}

Targets of the issue: the Oro instance receives no more than its budget of concurrent requests
(peak offered ≤ budget) and throughput stays within 10 % of the budget. Without a budget the
runs ask for up to ${INSTANCES * SESSIONS * RUN_CONCURRENCY} requests at once; Oro refuses what it cannot serve, and the
runs retry after Retry-After (3 times) or fail (${results[0]?.failedRuns ?? 0} of ${USERS} here). A budget above the
capacity finds it through AIMD (a few refusals, each cutting the budget for every instance).
`;
}
