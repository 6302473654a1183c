import { GraphError } from '@microsoft/microsoft-graph-client';
import { trustInThisProcess } from '../../../../dev/microsoft/certificate';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../../../dev/microsoft/simulator';
import { asSideError, createGraphClient } from '../../../../shared/microsoft/graph-client';
import { TodoTasksSide } from '../../../../shared/microsoft/todo-side';
import type { SyncSettings } from '../../../../shared/sync/model';
import { MS_USER, ORO_OWNER, startSyncHarness } from '../../../support/sync-harness';

const USER = 'megan.bowen@contoso.example';

/**
 * The Graph SDK sets no deadline: a request Graph never answers held the run (and the
 * user's lease, which a live run renews) until the host's function timeout. Each attempt now
 * has one (shared/microsoft/graph-timeout.ts); without it these tests hang.
 */
describe('a Graph request that is never answered', () => {
  let sim: MicrosoftSimulator;
  const client = () => createGraphClient(sim.graphUrl, () => sim.graphToken(USER), undefined, 200);

  beforeAll(async () => {
    sim = await startMicrosoftSimulator();
    trustInThisProcess(sim.certificate);
  });
  afterAll(() => sim.close());

  it('is given up after its deadline, as no answer (retryable), and the next request is answered', async () => {
    const graph = client();
    sim.hangNext();
    const started = Date.now();
    const failure = await graph
      .api('/me/todo/lists')
      .get()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(failure).toBeInstanceOf(GraphError);
    expect((failure as GraphError).message).toContain('no answer within 200 ms');
    expect(asSideError(failure)).toMatchObject({
      kind: 'retryable',
      message: expect.stringContaining('Graph: no answer within 200 ms') as unknown,
    });
    const lists = (await graph.api('/me/todo/lists').get()) as { value: unknown[] };
    expect(lists.value.length).toBeGreaterThan(0);
  });

  it('fails a To Do write batch as retryable, with nothing written', async () => {
    const side = new TodoTasksSide(client(), { sleep: () => Promise.resolve() });
    await side.read(undefined, new Set()); // the list is known: the next request is the batch
    const before = sim.todo(USER).all().length;
    sim.hangNext();
    const results = await side.write([
      {
        op: 'create',
        side: 'microsoft',
        linkId: 'L-hang',
        fields: { title: 'Hang', description: '', dueDate: null, status: 'open', priority: 'normal' },
      },
    ]);
    expect(results).toEqual([expect.objectContaining({ ok: false, retryable: true })]);
    expect(sim.todo(USER).all()).toHaveLength(before);
  });
});

describe('a run meeting a Graph request that is never answered', () => {
  const BI: SyncSettings = { direction: 'bidirectional', conflictResolution: 'oro-wins' };

  it('ends retryable within its deadlines, and the next run brings both sides together once', async () => {
    const h = await startSyncHarness(ORO_OWNER, { graphTimeoutMs: 500 });
    try {
      h.oro.createTask(ORO_OWNER, { subject: 'Quote' });
      h.microsoft.todo(MS_USER).create({ title: 'Call' });
      for (const after of [0, 1, 2]) {
        // The read, then each later request of the run, in turn.
        h.microsoft.hangNext(1, after);
        const report = await h.run(BI).catch((error: unknown) => ({ status: 'thrown' as const, error }));
        expect(report.status).not.toBe('ok');
        h.advance(10 * 60_000);
      }
      for (let i = 0; i < 3; i++) {
        await h.run(BI);
        h.advance(10 * 60_000);
      }
      const titles = (xs: string[]) => [...xs].sort();
      expect(titles(h.oro.tasks(ORO_OWNER).map((t) => t.subject))).toEqual(['Call', 'Quote']);
      expect(
        titles(
          h.microsoft
            .todo(MS_USER)
            .all()
            .map((t) => t.title),
        ),
      ).toEqual(['Call', 'Quote']);
      expect(await h.links()).toHaveLength(2);
    } finally {
      await h.close();
    }
  });
});
