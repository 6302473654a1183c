import type { SyncSettings } from '../../../../shared/sync/model';
import type { CrashPoint } from '../../../../shared/sync/runner';
import { MS_USER, ORO_OWNER, startSyncHarness } from '../../../support/sync-harness';

const BI: SyncSettings = { direction: 'bidirectional', conflictResolution: 'oro-wins' };
/**
 * Table transactions of the first sync below (links packed in rows, link-groups.ts; the log):
 * the pending links of each Oro group, the final links with them, the rows they supersede
 * removed, the log. Checked by the last test.
 */
const RUN_TRANSACTIONS = 8;

/**
 * A first sync reads a side with no cursor: until the run saves one, a run after a crash
 * reads it in full again, and a full read sees every item. Links to what it found need
 * no "unconfirmed" flag, so the first sync saves no second pass of links after its cursor.
 */
describe('sync runner: a first sync from Microsoft to Oro', () => {
  it('saves its links in one pass after the pending ones: no confirming pass after the cursor', async () => {
    const h = await startSyncHarness();
    try {
      for (let i = 0; i < 150; i++) {
        h.microsoft.todo(MS_USER).create({ title: `Task ${i}` });
      }
      const report = await h.run(BI);
      expect(report.result.created).toBe(150);
      // One page read; the pending links of each Oro group (100, then 50) in one row each,
      // 1 transaction apiece; the final links, 2 transactions; and the 2 pending rows
      // removed once the final links are written, 1 transaction after each (was 2 more to
      // confirm, and before pending rows, 2 transactions of pending links).
      expect(h.lastLinkOperations()).toBe(7);
      expect((await h.links()).filter((l) => l.unconfirmed)).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('a task linked by a first sync that crashed before its cursor, then deleted in To Do, is deleted in Oro', async () => {
    const h = await startSyncHarness();
    try {
      h.microsoft.todo(MS_USER).create({ title: 'Call' });
      h.microsoft.todo(MS_USER).create({ title: 'Mail' });
      await expect(h.run(BI, 'after-links')).rejects.toThrow('after-links');
      h.advance(600_000);
      expect(await h.links()).toHaveLength(2);
      const call = h.microsoft
        .todo(MS_USER)
        .all()
        .find((t) => t.title === 'Call')!;
      h.microsoft.todo(MS_USER).remove(call.id);
      for (let i = 0; i < 2; i++) {
        await h.run(BI);
        h.advance(600_000);
      }
      expect(h.oro.tasks(ORO_OWNER).map((t) => t.subject)).toEqual(['Mail']);
      expect(
        h.microsoft
          .todo(MS_USER)
          .all()
          .map((t) => t.title),
      ).toEqual(['Mail']);
      expect(await h.links()).toHaveLength(1);
    } finally {
      await h.close();
    }
  });
});

/**
 * Oro writes go in groups of 100, 200, 400, then 500 (shared/sync/apply.ts): a group's final
 * links are saved while the group after next writes, with its pending links, not all after
 * the writes. A crash anywhere leaves each link either pending or final, never a duplicate.
 */
describe('sync runner: final links saved while the Oro writes go on', () => {
  const seed = (h: Awaited<ReturnType<typeof startSyncHarness>>) => {
    for (let i = 0; i < 350; i++) {
      h.microsoft.todo(MS_USER).create({ title: `Task ${i}` });
    }
  };

  it('a crash after the Oro writes finds the first groups linked for good, the last one pending', async () => {
    const h = await startSyncHarness();
    try {
      seed(h);
      await expect(h.run(BI, 'after-oro-writes')).rejects.toThrow('after-oro-writes');
      const links = await h.links();
      expect(links).toHaveLength(350);
      // Groups of 100, 200 and 50: the first two were linked during the writes of the next.
      expect(links.filter((l) => l.pending === undefined && l.oroId !== null)).toHaveLength(300);
      expect(links.filter((l) => l.pending?.side === 'oro' && l.oroId === null)).toHaveLength(50);
    } finally {
      await h.close();
    }
  });

  it.each<CrashPoint>(['after-pending-links', 'after-oro-writes', 'after-microsoft-writes', 'after-links'])(
    'a crash at %s: the next run ends with one Oro task per To Do task, every link final',
    async (point) => {
      const h = await startSyncHarness();
      try {
        seed(h);
        await expect(h.run(BI, point)).rejects.toThrow(point);
        h.advance(600_000);
        expect((await h.run(BI)).status).toBe('ok');
        const subjects = h.oro.tasks(ORO_OWNER).map((t) => t.subject);
        expect(subjects).toHaveLength(350);
        expect(new Set(subjects).size).toBe(350);
        const links = await h.links();
        expect(links).toHaveLength(350);
        expect(links.filter((l) => l.pending !== undefined || l.oroId === null)).toEqual([]);
        const oroIds = new Set(h.oro.tasks(ORO_OWNER).map((t) => t.id));
        expect(links.every((l) => oroIds.has(l.oroId!))).toBe(true);
      } finally {
        await h.close();
      }
    },
  );

  // The process dies between two of the run's table transactions (pending links, final links,
  // the superseded rows' removal, the log), the next one lost before or once carried out.
  it.each(Array.from({ length: 2 * RUN_TRANSACTIONS }, (_, i) => [i >> 1, i % 2 === 1] as const))(
    'a run that dies after %i table transactions (the next applied: %s): the next run ends with one Oro task per To Do task',
    async (after, applied) => {
      const h = await startSyncHarness();
      try {
        seed(h);
        h.crashTablesAfter(after, applied);
        await expect(h.run(BI)).rejects.toThrow('simulated crash');
        h.advance(600_000);
        let report = await h.run(BI);
        h.advance(600_000);
        // A run that found Oro tasks of the crashed one pending adopts them; one more is quiet.
        report = report.result.created > 0 ? await h.run(BI) : report;
        expect(report.status).toBe('ok');
        const subjects = h.oro.tasks(ORO_OWNER).map((t) => t.subject);
        expect(new Set(subjects).size).toBe(350);
        expect(subjects).toHaveLength(350);
        const links = await h.links();
        expect(links).toHaveLength(350);
        expect(links.filter((l) => l.pending !== undefined || l.oroId === null)).toEqual([]);
      } finally {
        await h.close();
      }
    },
  );

  it(`a first sync of 350 tasks makes ${RUN_TRANSACTIONS} table transactions: the cases above die after each`, async () => {
    const h = await startSyncHarness();
    try {
      seed(h);
      h.crashTablesAfter(RUN_TRANSACTIONS, true);
      await expect(h.run(BI)).resolves.toMatchObject({ status: 'ok' });
      // The last one was the run's: a crash armed for the one after it never fires.
      const again = await startSyncHarness();
      try {
        seed(again);
        again.crashTablesAfter(RUN_TRANSACTIONS - 1, true);
        await expect(again.run(BI)).rejects.toThrow('simulated crash');
      } finally {
        await again.close();
      }
    } finally {
      await h.close();
    }
  });
});
