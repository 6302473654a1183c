import {
  ScheduleRepository,
  shardOf,
  shardPartition,
  type DueRow,
} from '../../../../shared/storage/schedule-repository';
import { createTableStore, type TableStore } from '../../../../shared/storage/tables';
import { testConnectionString, uniquePrefix } from '../../../support/storage';

const END = '209912312359';

async function dueIn(repo: ScheduleRepository, shard: number, through: string): Promise<DueRow[]> {
  const rows: DueRow[] = [];
  for await (const page of repo.due(shard, through, 2)) {
    rows.push(...page);
  }
  return rows;
}

/** Every slot row of every shard, as "slot/user/entity". */
async function allSlots(repo: ScheduleRepository, through = END): Promise<string[]> {
  const out: string[] = [];
  for (let shard = 0; shard < (await repo.shards()); shard++) {
    out.push(...(await dueIn(repo, shard, through)).map((r) => `${r.slot}/${r.userId}/${r.entity}`));
  }
  return out.sort();
}

/** Every row of the schedule table, as partition/row key. */
async function everyRow(tables: TableStore): Promise<string[]> {
  const out: string[] = [];
  for await (const e of tables.client('schedule').listEntities()) {
    out.push(`${e.partitionKey}/${e.rowKey}`);
  }
  return out.sort();
}

describe('schedule repository (Azurite)', () => {
  const fresh = (shards = 4) => {
    const tables = createTableStore(testConnectionString(), uniquePrefix());
    return { tables, repo: new ScheduleRepository(tables, { shards }) };
  };

  it("reads one shard's rows due up to a minute, oldest first, in pages, with the user's own settings", async () => {
    const { repo } = fresh(1);
    await repo.place('u1', 'tasks', '202611241900', { organizationId: 'acme', intervalMinutes: 5 });
    await repo.place('u2', 'tasks', '202611241901', { enabled: false });
    await repo.place('u3', 'calendar', '202611241901', {});
    await repo.place('u4', 'tasks', '202611241902', {});
    await repo.place('u5', 'tasks', '202611241910', {});
    await repo.saveCursor({ through: '202611241859' });
    const rows = await dueIn(repo, 0, '202611241902');
    expect(rows.map((r) => `${r.slot}/${r.userId}/${r.entity}`)).toEqual([
      '202611241900/u1/tasks',
      '202611241901/u2/tasks',
      '202611241901/u3/calendar',
      '202611241902/u4/tasks',
    ]);
    expect(rows[0]).toMatchObject({ organizationId: 'acme', intervalMinutes: 5 });
    expect(rows[1]).toMatchObject({ enabled: false });
    expect(rows[1]).not.toHaveProperty('intervalMinutes');
  });

  it('keeps each user and entity in its own shard, one slot row and one entry per shard partition', async () => {
    const { repo, tables } = fresh(4);
    const users = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    for (const u of users) {
      await repo.place(u, 'tasks', '202611241900', {});
    }
    for (let shard = 0; shard < 4; shard++) {
      const mine = users.filter((u) => shardOf(u, 'tasks', 4) === shard);
      expect((await dueIn(repo, shard, END)).map((r) => r.userId)).toEqual(mine);
    }
    const rows = await everyRow(tables);
    for (const u of users) {
      const p = shardPartition(shardOf(u, 'tasks', 4));
      expect(rows).toContain(`${p}/e:${u}:tasks`);
      expect(rows.filter((r) => r.startsWith(`${p}/d:`) && r.includes(`:${u}:tasks:`))).toHaveLength(1);
    }
  });

  it('keeps a user and entity in exactly one slot when placed again, and placing twice is harmless', async () => {
    const { repo } = fresh();
    await repo.place('u1', 'tasks', '202611241900', {});
    await repo.place('u1', 'tasks', '202611241930', {});
    await repo.place('u1', 'tasks', '202611241930', {});
    expect(await repo.get('u1', 'tasks')).toMatchObject({ slot: '202611241930' });
    expect(await allSlots(repo)).toEqual(['202611241930/u1/tasks']);
  });

  it("updates a user's settings in place: the slot stays; unscheduled users are not added", async () => {
    const { repo } = fresh();
    await repo.place('u1', 'tasks', '202611241900', { organizationId: 'acme' });
    expect(
      await repo.update('u1', 'tasks', { organizationId: 'beta', intervalMinutes: 5, enabled: true }),
    ).toBe(true);
    expect(await repo.get('u1', 'tasks')).toMatchObject({
      slot: '202611241900',
      organizationId: 'beta',
      intervalMinutes: 5,
      enabled: true,
    });
    const [row] = await allSlotRows(repo);
    expect(row).toMatchObject({ slot: '202611241900', organizationId: 'beta', intervalMinutes: 5 });
    expect(await repo.update('u2', 'tasks', { intervalMinutes: 5 })).toBe(false);
    expect(await repo.get('u2', 'tasks')).toBeUndefined();
    expect(await allSlots(repo)).toEqual(['202611241900/u1/tasks']);
  });

  it('moves many rows in transactions; a row a user changed meanwhile is refused and keeps their change', async () => {
    const { repo } = fresh(1);
    for (const u of ['u1', 'u2', 'u3']) {
      await repo.place(u, 'tasks', '202611241900', {});
    }
    const rows = await dueIn(repo, 0, '202611241900');
    await repo.update('u1', 'tasks', { intervalMinutes: 5 }); // the user, between the read and the move
    await repo.place('u2', 'tasks', '202611241905', {}); // a reconnect
    const moved = await repo.moveMany(
      0,
      rows.map((row) => ({ row, to: '202611241915' })),
    );
    expect(moved).toEqual([false, false, true]);
    expect(await repo.get('u1', 'tasks')).toMatchObject({ slot: '202611241900', intervalMinutes: 5 });
    expect(await repo.get('u2', 'tasks')).toMatchObject({ slot: '202611241905' });
    expect(await repo.get('u3', 'tasks')).toMatchObject({ slot: '202611241915' });
    // nothing stale: one slot row per user
    expect(await allSlots(repo)).toEqual([
      '202611241900/u1/tasks',
      '202611241905/u2/tasks',
      '202611241915/u3/tasks',
    ]);
  });

  it('moves 100 rows in 4 transactions of at most 33 moves', async () => {
    const { repo } = fresh(1);
    const users = Array.from({ length: 100 }, (_, i) => `u${String(i).padStart(3, '0')}`);
    for (const u of users) {
      await repo.place(u, 'tasks', '202611241900', {});
    }
    const rows = await dueIn(repo, 0, '202611241900');
    const paced: number[] = [];
    const moved = await repo.moveMany(
      0,
      rows.map((row) => ({ row, to: '202611241930' })),
      (n) => {
        paced.push(n);
        return Promise.resolve();
      },
    );
    expect(moved.every(Boolean)).toBe(true);
    expect(paced).toEqual([99, 99, 99, 3]);
    expect(await dueIn(repo, 0, '202611241929')).toEqual([]);
    expect(await dueIn(repo, 0, '202611241930')).toHaveLength(100);
  });

  it('removes a user from the schedule, entry and slot row, and again is a no-op', async () => {
    const { repo } = fresh();
    await repo.place('u1', 'tasks', '202611241900', {});
    await repo.place('u1', 'calendar', '202611241900', {});
    await repo.remove('u1', 'tasks');
    await repo.remove('u1', 'tasks');
    expect(await repo.get('u1', 'tasks')).toBeUndefined();
    expect(await allSlots(repo)).toEqual(['202611241900/u1/calendar']);
  });

  it('fixes the shard count when first used: a later configuration does not strand rows', async () => {
    const { repo, tables } = fresh(4);
    await repo.place('u1', 'tasks', '202611241900', {});
    const reconfigured = new ScheduleRepository(tables, { shards: 16 });
    expect(await reconfigured.shards()).toBe(4);
    expect(await reconfigured.get('u1', 'tasks')).toMatchObject({ slot: '202611241900' });
  });

  it('writes the cursor only at the ETag it read: a second claimant loses', async () => {
    const { repo } = fresh();
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
    const { repo } = fresh();
    await expect(repo.place('u1', 'tasks', 'user:1', {})).rejects.toMatchObject({ code: 'validation' });
    expect(await repo.get('u1', 'tasks')).toBeUndefined();
  });
});

async function allSlotRows(repo: ScheduleRepository): Promise<DueRow[]> {
  const out: DueRow[] = [];
  for (let shard = 0; shard < (await repo.shards()); shard++) {
    out.push(...(await dueIn(repo, shard, END)));
  }
  return out;
}
