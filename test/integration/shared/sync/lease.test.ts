import { SyncStateRepository } from '../../../../shared/storage/sync-state-repository';
import type { Heartbeat } from '../../../../shared/sync/lease';
import type { SyncSettings } from '../../../../shared/sync/model';
import type { RunReport } from '../../../../shared/sync/runner';
import { MS_USER, ORO_OWNER, startSyncHarness, type SyncHarness } from '../../../support/sync-harness';

const BI: SyncSettings = { direction: 'bidirectional', conflictResolution: 'field-merge' };

/** The run's heartbeat, ticked by the test on the run clock instead of by real time. */
function manualHeartbeat() {
  const beat: { renew?: () => Promise<void>; everyMs?: number } = {};
  const heartbeat: Heartbeat = (renew, everyMs) => {
    beat.renew = renew;
    beat.everyMs = everyMs;
    return () => {
      delete beat.renew;
    };
  };
  return { heartbeat, beat };
}

describe('sync lease: short, renewed while the run lives', () => {
  let h: SyncHarness;
  beforeAll(async () => {
    h = await startSyncHarness();
  });
  afterAll(() => h.close());

  const titles = () =>
    h.microsoft
      .todo(MS_USER)
      .all()
      .map((t) => t.title)
      .sort();

  it("a crashed run's user syncs again about a minute later", async () => {
    h.oro.createTask(ORO_OWNER, { subject: 'Before the crash' });
    await expect(h.run(BI, 'after-read')).rejects.toThrow('after-read');
    // The host died: nothing renews the lease any more.
    h.advance(30_000);
    expect((await h.run(BI)).status).toBe('busy');
    h.advance(31_000);
    const report = await h.run(BI);
    expect(report).toMatchObject({ status: 'ok', result: { created: 1, errors: 0 } });
    expect(titles()).toEqual(['Before the crash']);
  });

  it('a long run keeps its lease: renewed on its heartbeat, a second run is turned away', async () => {
    h.oro.createTask(ORO_OWNER, { subject: 'Long run' });
    const { heartbeat, beat } = manualHeartbeat();
    let second: RunReport | undefined;
    const report = await h.run(BI, undefined, {
      heartbeat,
      during: async (point) => {
        if (point !== 'after-read') {
          return;
        }
        expect(beat.everyMs).toBeLessThanOrEqual(30_000);
        // Ten minutes of a slow run, renewed on every beat.
        for (let t = 0; t < 10 * 60_000; t += beat.everyMs ?? 20_000) {
          h.advance(beat.everyMs ?? 20_000);
          await beat.renew?.();
        }
        second = await h.run(BI);
      },
    });
    expect(second?.status).toBe('busy');
    expect(report).toMatchObject({ status: 'ok', result: { created: 1, errors: 0 } });
    expect(beat.renew).toBeUndefined(); // the heartbeat stopped with the run
    const state = await new SyncStateRepository(h.tables).get(ORO_OWNER, 'tasks');
    expect(state?.state.lease).toBeUndefined();
  });

  it('a run whose renewal lost the row to another run writes nothing more', async () => {
    h.oro.createTask(ORO_OWNER, { subject: 'Taken over' });
    const { heartbeat, beat } = manualHeartbeat();
    let other: RunReport | undefined;
    const run = h.run(BI, undefined, {
      heartbeat,
      during: async (point) => {
        if (point !== 'after-read') {
          return;
        }
        // Stalled past its lease (say, a long GC pause); another run takes over and syncs.
        h.advance(2 * 60_000);
        other = await h.run(BI);
        await beat.renew?.();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'LeaseLost' });
    expect(other).toMatchObject({ status: 'ok', result: { created: 1 } });
    // The stalled run did not create its copy again.
    expect(titles().filter((t) => t === 'Taken over')).toHaveLength(1);
    const state = await new SyncStateRepository(h.tables).get(ORO_OWNER, 'tasks');
    expect(state?.state.lease).toBeUndefined();
    expect(state?.state.status).toBe('idle');
  });
});
