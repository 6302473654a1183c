import { ScheduleRepository, type DueRow } from '../../../../shared/storage/schedule-repository';
import { createTableStore } from '../../../../shared/storage/tables';
import { testConnectionString, uniquePrefix } from '../../../support/storage';

async function allDue(repo: ScheduleRepository, from: string, through: string): Promise<DueRow[]> {
  const rows: DueRow[] = [];
  for await (const page of repo.due(from, through, 2)) {
    rows.push(...page);
  }
  return rows;
}
const keys = (rows: DueRow[]) => rows.map((r) => `${r.slot}/${r.userId}/${r.entity}`);

describe('schedule repository (Azurite)', () => {
  const fresh = () => new ScheduleRepository(createTableStore(testConnectionString(), uniquePrefix()));

  it('reads only the slots in the range, oldest first, in pages, never pointers or the cursor', async () => {
    const repo = fresh();
    await repo.place('u1', 'tasks', '202611241900');
    await repo.place('u2', 'tasks', '202611241901');
    await repo.place('u3', 'calendar', '202611241901');
    await repo.place('u4', 'tasks', '202611241902');
    await repo.place('u5', 'tasks', '202611241910');
    await repo.saveCursor({ through: '202611241859' });
    expect(keys(await allDue(repo, '202611241901', '202611241902'))).toEqual([
      '202611241901/u2/tasks',
      '202611241901/u3/calendar',
      '202611241902/u4/tasks',
    ]);
    expect(keys(await allDue(repo, '000000000000', '202611241909'))).toHaveLength(4);
  });

  it('keeps a user and entity in exactly one slot when moved, and moving twice is harmless', async () => {
    const repo = fresh();
    await repo.place('u1', 'tasks', '202611241900');
    await repo.place('u1', 'tasks', '202611241930');
    await repo.place('u1', 'tasks', '202611241930');
    expect(await repo.get('u1', 'tasks')).toMatchObject({ slot: '202611241930' });
    expect(keys(await allDue(repo, '000000000000', '209912312359'))).toEqual(['202611241930/u1/tasks']);
  });

  it('refuses a move at a stale ETag, and the timer can tell the leftover row is stale', async () => {
    const repo = fresh();
    await repo.place('u1', 'tasks', '202611241900');
    const seen = await repo.get('u1', 'tasks');
    await repo.place('u1', 'tasks', '202611241905'); // a reconnect moved it meanwhile
    await expect(
      repo.move({ userId: 'u1', entity: 'tasks', slot: '202611241900' }, seen!.etag, '202611241915'),
    ).rejects.toMatchObject({ code: 'precondition-failed' });
    expect(await repo.get('u1', 'tasks')).toMatchObject({ slot: '202611241905' });
    // the losing move wrote its new row first (crash-safe order); the pointer says it is not current
    const rows = await allDue(repo, '000000000000', '209912312359');
    expect(keys(rows)).toEqual(['202611241905/u1/tasks', '202611241915/u1/tasks']);
    const stale = rows.find((r) => r.slot === '202611241915')!;
    await repo.dropStale(stale);
    expect(keys(await allDue(repo, '000000000000', '209912312359'))).toEqual(['202611241905/u1/tasks']);
  });

  it('moves many rows in a few transactions; a row someone else moved meanwhile is left to them', async () => {
    const repo = fresh();
    for (const u of ['u1', 'u2', 'u3']) {
      await repo.place(u, 'tasks', '202611241900');
    }
    const rows = await allDue(repo, '202611241900', '202611241900');
    const etags = new Map<string, string>();
    for (const u of ['u1', 'u2', 'u3']) {
      etags.set(u, (await repo.get(u, 'tasks'))!.etag);
    }
    await repo.place('u1', 'tasks', '202611241930'); // a reconnect meanwhile
    const before = repo.counts.written;
    const moved = await repo.moveMany(
      rows.map((row) => ({
        row,
        pointerEtag: etags.get(row.userId)!,
        to: row.userId === 'u3' ? '202611241920' : '202611241915',
      })),
    );
    expect(moved).toEqual([false, true, true]);
    // 2 slot transactions + 3 pointers + 1 delete transaction
    expect(repo.counts.written - before).toBe(6);
    expect(await repo.get('u2', 'tasks')).toMatchObject({ slot: '202611241915' });
    expect(await repo.get('u1', 'tasks')).toMatchObject({ slot: '202611241930' });
    expect(keys(await allDue(repo, '000000000000', '209912312359'))).toEqual([
      '202611241915/u1/tasks', // the loser's new row: stale, dropped when it comes due
      '202611241915/u2/tasks',
      '202611241920/u3/tasks',
      '202611241930/u1/tasks',
    ]);
  });

  it('removes a user from the schedule, pointer and slot row, and again is a no-op', async () => {
    const repo = fresh();
    await repo.place('u1', 'tasks', '202611241900');
    await repo.place('u1', 'calendar', '202611241900');
    await repo.remove('u1', 'tasks');
    await repo.remove('u1', 'tasks');
    expect(await repo.get('u1', 'tasks')).toBeUndefined();
    expect(keys(await allDue(repo, '000000000000', '209912312359'))).toEqual(['202611241900/u1/calendar']);
  });

  it('writes the cursor only at the ETag it read: a second claimant loses', async () => {
    const repo = fresh();
    expect(await repo.cursor()).toEqual({});
    const created = await repo.saveCursor({ through: '202611241900' });
    await expect(repo.saveCursor({ through: '202611241901' })).rejects.toMatchObject({ code: 'conflict' });
    const read = await repo.cursor();
    const a = await repo.saveCursor({ ...read, lease: { owner: 'a', until: '2026-11-24T19:03:00Z' } });
    await expect(repo.saveCursor({ ...read, through: '202611241902' })).rejects.toMatchObject({
      code: 'precondition-failed',
    });
    expect(await repo.cursor()).toMatchObject({
      through: '202611241900',
      lease: { owner: 'a', until: '2026-11-24T19:03:00Z' },
      etag: a.etag,
    });
    expect(created.etag).not.toBe(a.etag);
  });

  it('refuses a slot that is not a minute', async () => {
    const repo = fresh();
    await expect(repo.place('u1', 'tasks', 'user:1')).rejects.toMatchObject({ code: 'validation' });
    expect(await repo.get('u1', 'tasks')).toBeUndefined();
  });
});
