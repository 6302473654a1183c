import { startOroSimulator, type OroSimulator } from '../../../../dev/oro/simulator';
import {
  DEFAULT_TIMINGS,
  MAILBOX_CONCURRENCY,
  oroScope,
  SharedBudgets,
  type BudgetTimings,
} from '../../../../shared/budget/shared-budget';
import { OroClient, OroTokenCache } from '../../../../shared/oro/client';
import { BudgetRepository } from '../../../../shared/storage/budget-repository';
import { createTableStore, type TableStore } from '../../../../shared/storage/tables';
import { testConnectionString, uniquePrefix } from '../../../support/storage';

/** Short leases and polls, so lapses and yields happen within a test. */
const FAST: BudgetTimings = {
  ...DEFAULT_TIMINGS,
  leaseMs: 2_000,
  safetyMs: 300,
  pollMs: 20,
  checkMs: 100,
  lingerMs: 100,
  maxWaitMs: 20_000,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A service that counts how many requests it has in progress at once. */
function service(ms: number) {
  const s = {
    now: 0,
    peak: 0,
    served: 0,
    async call(took = ms) {
      s.now++;
      s.peak = Math.max(s.peak, s.now);
      await sleep(took);
      s.now--;
      s.served++;
    },
  };
  return s;
}

describe('shared budget: two instances on one table (Azurite)', () => {
  let tables: TableStore;
  let instances: SharedBudgets[] = [];
  const instance = () => {
    const b = new SharedBudgets(new BudgetRepository(tables), FAST);
    instances.push(b);
    return b;
  };

  beforeEach(() => {
    tables = createTableStore(testConnectionString(), uniquePrefix());
  });
  afterEach(async () => {
    await Promise.all(instances.map((i) => i.close()));
    instances = [];
  });

  it('keeps the requests of both instances within one budget, and both get their turn', async () => {
    const oro = service(15);
    const [a, b] = [instance(), instance()];
    const base = 'https://oro.example.com';
    const work = (budgets: SharedBudgets, n: number) =>
      Promise.all(Array.from({ length: n }, () => budgets.oro(base, 4).run(() => oro.call())));
    await Promise.all([work(a, 60), work(b, 60)]);
    expect(oro.peak).toBeLessThanOrEqual(4);
    expect(oro.peak).toBeGreaterThanOrEqual(2);
    expect(oro.served).toBe(120);
  });

  it('lets a holder go once it left the row idle; a client that kept it shares the current one', async () => {
    const a = instance();
    const kept = a.mailbox('u-idle'); // as a Graph client keeps it for its life
    await kept.run(() => sleep(5));
    // Idle past its linger, it leaves the row, and the process keeps no holder for it.
    for (const end = Date.now() + 5_000; a.size > 0 && Date.now() < end;) {
      await sleep(20);
    }
    expect(a.size).toBe(0);
    // Later calls through the kept one and through a new one share one holder, one allowance.
    const s = service(100);
    await Promise.all([
      ...Array.from({ length: 3 }, () => kept.run(() => s.call())),
      ...Array.from({ length: 3 }, () => a.mailbox('u-idle').run(() => s.call())),
    ]);
    expect(s.served).toBe(6);
    expect(s.peak).toBeLessThanOrEqual(MAILBOX_CONCURRENCY);
    expect(a.size).toBe(1);
  });

  it('spells one Oro instance one way: two organizations on one base URL share its budget, the lowest setting applies', async () => {
    expect(oroScope('https://ORO.example.com/')).toBe(oroScope('https://oro.example.com'));
    const oro = service(30);
    const [a, b] = [instance(), instance()];
    // The organization set to 3 is syncing when one set to 6 joins: 3 holds for both. (A
    // holder set higher that came first would keep its in-flight requests until they answer.)
    let lowDone = 0;
    const low = Array.from({ length: 60 }, () =>
      b
        .oro('https://ORO.example.com', 3)
        .run(() => oro.call())
        .then(() => lowDone++),
    );
    while (oro.served === 0) {
      await sleep(5);
    }
    const high = Array.from({ length: 30 }, () =>
      a.oro('https://oro.example.com/', 6).run(() => oro.call(10)),
    );
    await Promise.all(high);
    const highDoneWhileLowBusy = lowDone < 60;
    await Promise.all(low);
    expect(highDoneWhileLowBusy).toBe(true);
    expect(oro.peak).toBeLessThanOrEqual(3);
    expect(oro.served).toBe(90);
  });

  it("frees a dead holder's permits once its lease lapses", async () => {
    const repo = new BudgetRepository(tables);
    const scope = oroScope('https://oro.example.com');
    // An instance that took the whole budget and died: nobody will ever release it.
    const deadUntil = Date.now() + 1_500;
    await repo.write(
      scope,
      {
        holders: { dead: { held: 4, want: 4, max: 4, until: deadUntil } },
        cutAt: 0,
        raisedAt: 0,
        slowUntil: 0,
      },
      undefined,
    );
    const started = await instance()
      .oro('https://oro.example.com', 4)
      .run(() => Promise.resolve(Date.now()));
    expect(started).toBeGreaterThanOrEqual(deadUntil);
    expect(started - deadUntil).toBeLessThan(1_000);
    const { row } = await repo.read(scope);
    expect(Object.keys(row.holders)).not.toContain('dead');
  });

  it('fails a request that waited past its bound as retryable, naming the Oro instance', async () => {
    const repo = new BudgetRepository(tables);
    const scope = oroScope('https://oro.example.com');
    await repo.write(
      scope,
      {
        holders: { stuck: { held: 2, want: 2, max: 2, until: Date.now() + 60_000 } },
        cutAt: 0,
        raisedAt: 0,
        slowUntil: 0,
      },
      undefined,
    );
    const patient = new SharedBudgets(new BudgetRepository(tables), { ...FAST, maxWaitMs: 300 });
    instances.push(patient);
    const waited = patient.oro('https://oro.example.com', 2).run(() => Promise.resolve('never'));
    await expect(waited).rejects.toMatchObject({
      name: 'SideError',
      side: 'oro',
      retryable: true,
      message: expect.stringContaining(
        'Oro at https://oro.example.com is at its concurrency budget',
      ) as unknown,
    });
  });

  it('a request Oro did not answer in time cuts the budget for every instance', async () => {
    const sim: OroSimulator = await startOroSimulator();
    try {
      sim.registerClient('sync', 'pw');
      const budgets = instance();
      const client = new OroClient(
        { baseUrl: sim.url, clientId: 'sync', clientSecret: 'pw' },
        new OroTokenCache(),
        {
          budget: budgets.oro(sim.url, 8),
          timeoutMs: 200,
        },
      );
      await client.request('GET', '/api/tasks');
      sim.failNext('hang');
      await expect(client.request('GET', '/api/tasks')).rejects.toMatchObject({ retryable: true });
      await sleep(200);
      const { row } = await new BudgetRepository(tables).read(oroScope(sim.url));
      expect(row.limit).toBe(6);
    } finally {
      await sim.close();
    }
  });

  it('a 429 seen by one run slows the runs of another instance on the same base URL', async () => {
    const sim: OroSimulator = await startOroSimulator();
    try {
      sim.registerClient('sync', 'pw');
      const conn = { baseUrl: sim.url, clientId: 'sync', clientSecret: 'pw' };
      const [a, b] = [instance(), instance()];
      const clientA = new OroClient(conn, new OroTokenCache(), { budget: a.oro(sim.url, 8) });
      const clientB = new OroClient(conn, new OroTokenCache(), { budget: b.oro(sim.url, 8) });
      // Both warm (token, lease) before the 429.
      await Promise.all([clientA.request('GET', '/api/tasks'), clientB.request('GET', '/api/tasks')]);
      sim.failNext('throttle-429'); // Retry-After: 1
      const aAnswered = clientA.request('GET', '/api/tasks');
      await sleep(300); // A's 429 reached the row
      const t0 = Date.now();
      await clientB.request('GET', '/api/tasks');
      const waited = Date.now() - t0;
      expect((await aAnswered).status).toBe(200);
      // B's request waited for the Retry-After A saw, though B itself was never refused.
      expect(waited).toBeGreaterThanOrEqual(500);
      const { row } = await new BudgetRepository(tables).read(oroScope(sim.url));
      expect(row.limit).toBeLessThan(8); // cut to 6, and growing back by one a second
      expect(row.slowUntil).toBeGreaterThan(0);
    } finally {
      await sim.close();
    }
  });
});
