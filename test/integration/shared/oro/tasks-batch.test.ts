import { startOroSimulator, type OroSimulator } from '../../../../dev/oro/simulator';
import { OroClient, OroTokenCache } from '../../../../shared/oro/client';
import { OroTasksSide } from '../../../../shared/oro/tasks-side';
import type { Write } from '../../../../shared/sync/plan';
import type { TaskFields } from '../../../../shared/sync/tasks/fields';
import type { SyncSettings } from '../../../../shared/sync/model';
import { MS_USER, ORO_OWNER, startSyncHarness } from '../../../support/sync-harness';

/**
 * The tasks side's use of Oro's Batch API (shared/oro/tasks-batch.ts; facts in
 * docs/oro-batch-api.md): batches of 100 where an Oro admin enabled `update_list` for tasks,
 * one request per task on stock Oro, with what the simulator counted as the measure.
 */

const fields = (title: string, status: TaskFields['status'] = 'open'): TaskFields => ({
  title,
  description: `about ${title}`,
  dueDate: '2026-06-01',
  status,
  priority: 'high',
});
const creates = (n: number, prefix = 'T'): Write<TaskFields>[] =>
  Array.from({ length: n }, (_, i) => ({
    op: 'create' as const,
    side: 'oro' as const,
    linkId: `L${i}`,
    fields: fields(`${prefix} ${i}`),
  }));

describe('Oro tasks side: the Batch API', () => {
  let oro: OroSimulator;
  let tokens: OroTokenCache;
  let polls = 0;
  const side = (owner = '7') =>
    new OroTasksSide(
      new OroClient({ baseUrl: oro.url, clientId: 'sync', clientSecret: 'pw' }, tokens, {
        sleep: () => Promise.resolve(),
      }),
      owner,
      {
        sleep: () => {
          polls++;
          return Promise.resolve();
        },
      },
    );
  const patches = () => oro.requestCounts()['PATCH /api/tasks'] ?? 0;
  const posts = () => oro.requestCounts()['POST /api/tasks'] ?? 0;

  // A fresh Oro instance per test (its own port): what the process learned of the last one
  // does not carry over.
  beforeEach(async () => {
    oro = await startOroSimulator({ taskWorkflow: false });
    oro.registerClient('sync', 'pw');
    tokens = new OroTokenCache();
    polls = 0;
  });
  afterEach(() => oro.close());

  it('writes N creates in ceil(N/100) requests where update_list is enabled, with the ids and versions Oro answered', async () => {
    oro.setTaskBatchApi({ mode: 'sync' });
    const writes = creates(250);
    const results = await side().write(writes);
    expect(patches()).toBe(3);
    expect(posts()).toBe(0);
    const stored = oro.tasks('7');
    expect(stored).toHaveLength(250);
    results.forEach((r, i) => {
      const task = stored.find((t) => t.subject === `T ${i}`)!;
      expect(r).toEqual({
        ok: true,
        id: task.id,
        version: expect.stringMatching(`^${task.updatedAt}#`) as unknown,
      });
    });
    // What a read says of them is what the writes said: no change on the next read.
    const read = await side().read(undefined, new Set());
    const versions = new Map(
      read.changes.map((c) => (c.type === 'upsert' ? [c.item.id, c.item.version] : ['', ''])),
    );
    for (const r of results) {
      expect(r.ok && versions.get(r.id)).toBe(r.ok && r.version);
    }
    // Updates and deletes of the same group still go one by one.
    const [first] = results;
    const mixed = await side().write([
      ...creates(2, 'More'),
      {
        op: 'update',
        side: 'oro',
        linkId: 'L0',
        id: first?.ok ? first.id : '',
        fields: fields('renamed'),
        changed: ['title'],
      },
    ]);
    expect(mixed.every((r) => r.ok)).toBe(true);
    expect(patches()).toBe(4);
    expect(oro.requestCounts()['PATCH /api/tasks/{id}']).toBe(1);
  });

  it('on stock Oro: one 405 the first time, then one request per task; an idle run or a lone create never asks', async () => {
    const s = side();
    await s.read(undefined, new Set());
    expect((await s.write(creates(1)))[0]).toMatchObject({ ok: true });
    expect(patches()).toBe(0);
    const first = await s.write(creates(3));
    expect(first.every((r) => r.ok)).toBe(true);
    expect(patches()).toBe(1);
    expect(posts()).toBe(4);
    // Remembered for this Oro instance, by every side of the process (another user too).
    await side('8').write(creates(5));
    expect(patches()).toBe(1);
    expect(posts()).toBe(9);
  });

  it('fails a refused record as Oro classifies it and writes the others in a second batch', async () => {
    oro.setTaskBatchApi({ mode: 'sync' });
    const writes = creates(4);
    writes[2] = { ...writes[2]!, fields: fields('   ') };
    const results = await side().write(writes);
    expect(results[2]).toEqual({
      ok: false,
      error: expect.stringContaining('not blank constraint') as unknown,
      kind: 'permanent',
      retryable: false,
      status: 400,
    });
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(oro.tasks('7')).toHaveLength(3);
    expect(patches()).toBe(2);
  });

  it('writes a task the workflow refuses a status for without it, with the note the one-by-one path gives', async () => {
    oro.setTaskBatchApi({ mode: 'sync' });
    oro.setTaskWorkflow(true);
    const writes = creates(3);
    writes[1] = { ...writes[1]!, fields: fields('Done in To Do', 'closed') };
    const results = await side().write(writes);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results[1]).toMatchObject({
      note: expect.stringContaining('Oro refused status "closed"') as unknown,
    });
    expect(oro.tasks('7').find((t) => t.subject === 'Done in To Do')?.status).toBe('open');
    expect(patches()).toBe(2);
  });

  it('splits to a lower limit an administrator set, and keeps it', async () => {
    oro.setTaskBatchApi({ mode: 'sync', syncLimit: 10 });
    expect((await side().write(creates(25))).every((r) => r.ok)).toBe(true);
    expect(patches()).toBe(4); // refused at 25, then 10 + 10 + 5
    oro.resetCounts();
    expect((await side().write(creates(25, 'U'))).every((r) => r.ok)).toBe(true);
    expect(patches()).toBe(3);
  });

  it('a queued (asynchronous) batch: followed to its end, each write retryable, one by one from then on', async () => {
    oro.setTaskBatchApi({ mode: 'async' });
    const results = await side().write(creates(3));
    expect(results.every((r) => !r.ok && r.retryable && r.status === 202)).toBe(true);
    expect(oro.tasks('7')).toHaveLength(3);
    expect(polls).toBe(1);
    expect(oro.requestCounts()['GET /api/asyncoperations/{id}']).toBe(1);
    await side().write(creates(2, 'U'));
    expect(patches()).toBe(1);
    expect(posts()).toBe(2);
  });

  it('a batch written but whose answer was lost: every write retryable', async () => {
    oro.setTaskBatchApi({ mode: 'sync' });
    oro.failNext('apply-then-drop');
    const results = await side().write(creates(3));
    expect(results.every((r) => !r.ok && r.retryable)).toBe(true);
    expect(oro.tasks('7')).toHaveLength(3); // made, though we never heard
  });
});

describe('sync runs with the Batch API', () => {
  const BI: SyncSettings = { direction: 'bidirectional', conflictResolution: 'oro-wins' };

  it('a batch whose answer was lost: the next run adopts the tasks it made, no duplicate', async () => {
    const h = await startSyncHarness();
    try {
      h.oro.setTaskBatchApi({ mode: 'sync' });
      for (let i = 0; i < 120; i++) {
        h.microsoft.todo(MS_USER).create({ title: `Task ${i}` });
      }
      // Armed once the pending links are saved: the next Oro request is the first batch.
      const first = await h.run(BI, undefined, {
        during: (point) => {
          if (point === 'after-pending-links') {
            h.oro.failNext('apply-then-drop');
          }
        },
      });
      expect(first.result.errors).toBe(100); // the first group of 100: one batch, its answer lost
      expect(h.oro.tasks(ORO_OWNER)).toHaveLength(120);
      h.advance(600_000);
      h.oro.resetCounts();
      await h.run(BI);
      expect(h.oro.tasks(ORO_OWNER)).toHaveLength(120);
      expect(h.oro.requestCounts()['POST /api/tasks'] ?? 0).toBe(0);
      expect(h.oro.requestCounts()['PATCH /api/tasks'] ?? 0).toBe(0);
      const links = await h.links();
      expect(links).toHaveLength(120);
      expect(links.filter((l) => l.pending)).toEqual([]);
      expect(new Set(links.map((l) => l.oroId)).size).toBe(120);
    } finally {
      await h.close();
    }
  });
});
