import type { SyncSettings } from '../../../../shared/sync/model';
import { SimulatedCrash, type CrashPoint } from '../../../../shared/sync/runner';
import { MS_USER, ORO_OWNER, startSyncHarness } from '../../../support/sync-harness';

const BI: SyncSettings = { direction: 'bidirectional', conflictResolution: 'oro-wins' };
const bounds = { maxWrites: 1, maxRunMs: 0, chunkWrites: 1 };

describe('bounded runs: the backlog of a run that died before its cursor', () => {
  it('an item it read, created and deleted in To Do since the saved cursor, is checked, not copied (found by the 1,000-run bounded property test, seed 530054402)', async () => {
    const h = await startSyncHarness(ORO_OWNER, { msTimeZone: 'UTC' });
    try {
      const todo = () => h.microsoft.todo(MS_USER);
      todo().create({ title: 'To Do 0' });
      todo().create({ title: 'To Do 1' });
      // A first run of 1 write: one task across, the other waits in the backlog.
      expect(await h.run(BI, undefined, { bounds })).toMatchObject({ continuation: { done: 1, planned: 2 } });
      h.advance(10 * 60_000);
      // A new To Do task; the next run puts it in the backlog and dies before its cursor.
      const call = todo().create({ title: 'Call' });
      await expect(
        h.run(BI, undefined, {
          bounds,
          during: (point: CrashPoint) => {
            if (point === 'after-backlog') {
              throw new SimulatedCrash(point);
            }
          },
        }),
      ).rejects.toThrow('after-backlog');
      h.advance(10 * 60_000);
      // Deleted again: the delta from the saved cursor never mentions it (no net change).
      todo().remove(call.id);
      for (let i = 0; i < 4; i++) {
        await h.run(BI, undefined, { bounds });
        h.advance(10 * 60_000);
      }
      expect(
        h.oro
          .tasks(ORO_OWNER)
          .map((t) => t.subject)
          .sort(),
      ).toEqual(['To Do 0', 'To Do 1']);
      const ids = new Set(
        todo()
          .all()
          .map((t) => t.id),
      );
      const links = await h.links();
      expect(links).toHaveLength(2);
      expect(links.every((l) => ids.has(l.microsoftId ?? ''))).toBe(true);
    } finally {
      await h.close();
    }
  });
});
