import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_TIMINGS, SharedBudgets, type BudgetTimings } from '../../../../shared/budget/shared-budget';
import { batchWithRetry, createGraphClient, type BatchStep } from '../../../../shared/microsoft/graph-client';
import { mailboxPermits } from '../../../../shared/microsoft/mailbox-limit';
import { BudgetRepository } from '../../../../shared/storage/budget-repository';
import { createTableStore } from '../../../../shared/storage/tables';
import { testConnectionString, uniquePrefix } from '../../../support/storage';

const FAST: BudgetTimings = { ...DEFAULT_TIMINGS, pollMs: 20, checkMs: 100, lingerMs: 100 };

/**
 * Only the load Outlook would see from one mailbox: each request in progress weighs what
 * Outlook runs of it at once (a $batch: min(steps, 4), learn.microsoft.com/graph/
 * throttling-limits "Outlook service limits for JSON batching"). Every answer is 200.
 */
async function mailboxLoad(serviceMs: number) {
  const load = { now: 0, peak: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const weight = mailboxPermits(`http://localhost${req.url ?? '/'}`, body);
      load.now += weight;
      load.peak = Math.max(load.peak, load.now);
      setTimeout(() => {
        load.now -= weight;
        const steps = req.url?.endsWith('/$batch')
          ? (JSON.parse(body) as { requests: { id: string }[] }).requests
          : undefined;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify(
            steps ? { responses: steps.map((s) => ({ id: s.id, status: 200, body: {} })) } : { value: [] },
          ),
        );
      }, serviceMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://localhost:${(server.address() as AddressInfo).port}/v1.0`;
  return { load, url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const steps = (n: number): BatchStep[] =>
  Array.from({ length: n }, (_, i) => ({ id: `s${i}`, method: 'GET', url: `/me/todo/lists/l/tasks/${i}` }));

describe("a mailbox's 4 concurrent Graph requests, across the calendar and To Do runs of one user", () => {
  const token = () => Promise.resolve('token');
  let outlook: Awaited<ReturnType<typeof mailboxLoad>>;
  let instances: SharedBudgets[] = [];

  beforeEach(async () => {
    outlook = await mailboxLoad(15);
  });
  afterEach(async () => {
    await Promise.all(instances.map((i) => i.close()));
    instances = [];
    await outlook.close();
  });

  /** A calendar run and a tasks run of one user: single requests and $batch at once. */
  const runs = async (
    clients: [ReturnType<typeof createGraphClient>, ReturnType<typeof createGraphClient>],
  ) => {
    const [calendar, tasks] = clients;
    const results = await Promise.all([
      ...Array.from({ length: 6 }, () => calendar.api('/me/calendarView/delta').get() as Promise<unknown>),
      batchWithRetry(calendar, steps(30)),
      batchWithRetry(tasks, steps(45)),
      ...Array.from({ length: 3 }, () => tasks.api('/me/todo/lists').get() as Promise<unknown>),
    ]);
    const batches = [results[6], results[7]] as { status: number }[][];
    return batches.flat().every((r) => r.status === 200);
  };

  it('exceeds four without a budget (today: two runs, each with a $batch of 20)', async () => {
    expect(await runs([createGraphClient(outlook.url, token), createGraphClient(outlook.url, token)])).toBe(
      true,
    );
    expect(outlook.load.peak).toBeGreaterThan(4);
  });

  it('stays within four with the shared mailbox budget, the two runs on different instances', async () => {
    const tables = createTableStore(testConnectionString(), uniquePrefix());
    const [a, b] = [0, 1].map(() => new SharedBudgets(new BudgetRepository(tables), FAST));
    instances = [a!, b!];
    const clients = [
      createGraphClient(outlook.url, token, a!.mailbox('101')),
      createGraphClient(outlook.url, token, b!.mailbox('101')),
    ] as const;
    expect(await runs([clients[0], clients[1]])).toBe(true);
    expect(outlook.load.peak).toBeLessThanOrEqual(4);
    expect(outlook.load.peak).toBeGreaterThanOrEqual(2);
  });
});
