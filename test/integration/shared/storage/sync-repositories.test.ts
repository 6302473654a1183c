import { hashFields, type Link } from '../../../../shared/sync/model';
import { LinkRepository } from '../../../../shared/storage/link-repository';
import { SyncLogRepository, type SyncLogEntry } from '../../../../shared/storage/sync-log-repository';
import { SyncStateRepository } from '../../../../shared/storage/sync-state-repository';
import { createTableStore } from '../../../../shared/storage/tables';
import { testConnectionString, uniquePrefix } from '../../../support/storage';

type F = { title: string };
const link = (i: number, title = `t${i}`): Link<F> => ({
  linkId: `L${i}`,
  oroId: `o${i}`,
  microsoftId: i % 2 ? `m${i}` : null,
  oroVersion: 'ov',
  microsoftVersion: null,
  base: { title },
  baseHash: hashFields({ title }),
  ...(i % 2
    ? {}
    : {
        pending: { side: 'microsoft' as const, hash: hashFields({ title }), since: '2026-01-01T00:00:00Z' },
      }),
});

describe('sync repositories (Azurite)', () => {
  const tables = createTableStore(testConnectionString(), uniquePrefix());

  it('saves 250 links in 1 transaction (packed in one row) and reads them back in one query', async () => {
    const repo = new LinkRepository<F>(tables);
    const links = Array.from({ length: 250 }, (_, i) => link(i));
    await repo.save('u1', 'tasks', links, []);
    // The row holding all 250 (link-groups.ts), with the groups' marker.
    expect(repo.operations).toBe(1);
    const reader = new LinkRepository<F>(tables);
    const read = await reader.list('u1', 'tasks');
    expect(reader.operations).toBe(1);
    expect(read.sort((a, b) => a.linkId.localeCompare(b.linkId))).toEqual(
      links.sort((a, b) => a.linkId.localeCompare(b.linkId)),
    );
  });

  it('refuses to overwrite links another run changed since they were read', async () => {
    const first = new LinkRepository<F>(tables);
    const second = new LinkRepository<F>(tables);
    await first.save('u2', 'tasks', [link(1)], []);
    await first.list('u2', 'tasks');
    await second.list('u2', 'tasks');
    await second.save('u2', 'tasks', [link(1, 'second')], []);
    await expect(first.save('u2', 'tasks', [link(1, 'first')], [])).rejects.toThrow();
    const [stored] = await new LinkRepository<F>(tables).list('u2', 'tasks');
    expect(stored?.base).toEqual({ title: 'second' });
  });

  it('updates and deletes links it read', async () => {
    const repo = new LinkRepository<F>(tables);
    await repo.save('u3', 'tasks', [link(1), link(3)], []);
    await repo.save('u3', 'tasks', [link(1, 'changed')], ['L3']);
    const read = await new LinkRepository<F>(tables).list('u3', 'tasks');
    expect(read.map((l) => [l.linkId, l.base.title])).toEqual([['L1', 'changed']]);
  });

  it('keeps a base larger than one table property (a long description), and a read-only side', async () => {
    const repo = new LinkRepository<F>(tables);
    // Non-ASCII on purpose: the property limit counts UTF-16, not characters of JSON.
    const long = `${'é'.repeat(70_000)}…end`;
    const big: Link<F> = {
      ...link(1, long),
      readOnly: { side: 'microsoft', reason: 'organized by someone else' },
    };
    await repo.save('u4', 'calendar', [big], []);
    const [read] = await new LinkRepository<F>(tables).list('u4', 'calendar');
    expect(read).toEqual(big);
    // Shrinking it again leaves no stale continuation behind.
    const reread = new LinkRepository<F>(tables);
    await reread.list('u4', 'calendar');
    await reread.save('u4', 'calendar', [link(1, 'short')], []);
    const [small] = await new LinkRepository<F>(tables).list('u4', 'calendar');
    expect(small?.base).toEqual({ title: 'short' });
    expect(small?.readOnly).toBeUndefined();
  });

  it('gives the lease to one run at a time, and back after it expires', async () => {
    const repo = new SyncStateRepository(tables);
    const now = new Date('2026-01-01T00:00:00Z');
    const results = await Promise.all([
      repo.acquire('u4', 'tasks', 'run-a', 60_000, now),
      repo.acquire('u4', 'tasks', 'run-b', 60_000, now),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(
      await repo.acquire('u4', 'tasks', 'run-c', 60_000, new Date(now.getTime() + 1000)),
    ).toBeUndefined();
    // Refused with the holder's lease end: a crashed holder's lease lapses then.
    expect(await repo.takeLease('u4', 'tasks', 'run-c', 60_000, new Date(now.getTime() + 1000))).toEqual({
      heldUntil: '2026-01-01T00:01:00.000Z',
    });
    const later = await repo.acquire('u4', 'tasks', 'run-c', 60_000, new Date(now.getTime() + 61_000));
    expect(later?.state.lease?.owner).toBe('run-c');
  });

  it('goes from queued (or waiting for a retry) to running in the one write that takes the lease', async () => {
    const repo = new SyncStateRepository(tables);
    const now = new Date('2026-01-01T00:00:00Z');
    const retry = { at: '2026-01-01T00:00:30.000Z', attempt: 1, reason: 'Oro answered 503' };
    await repo.markRetry('u6', 'tasks', retry, now);
    expect((await repo.get('u6', 'tasks'))?.state).toMatchObject({ queuedAt: now.toISOString(), retry });
    const leased = await repo.acquire('u6', 'tasks', 'run-a', 60_000, new Date(now.getTime() + 30_000));
    const stored = (await repo.get('u6', 'tasks'))?.state;
    expect(stored?.status).toBe('running');
    expect(stored?.queuedAt).toBeUndefined();
    expect(stored?.retry).toBeUndefined();
    expect(leased?.state.queuedAt).toBeUndefined();
  });

  it('fails a save by a run that lost its lease', async () => {
    const repo = new SyncStateRepository(tables);
    const now = new Date('2026-01-01T00:00:00Z');
    const a = await repo.acquire('u5', 'tasks', 'run-a', 1000, now);
    await repo.acquire('u5', 'tasks', 'run-b', 1000, new Date(now.getTime() + 5000));
    await expect(repo.save('u5', 'tasks', a!)).rejects.toMatchObject({ code: 'precondition-failed' });
  });

  it('lists the log newest first, filtered by entity', async () => {
    const repo = new SyncLogRepository(tables);
    const entry = (time: string, entity: 'tasks' | 'calendar'): SyncLogEntry => ({
      time,
      entity,
      action: 'create',
      direction: 'oro-to-microsoft',
      oroId: '1',
      microsoftId: null,
      outcome: 'ok',
    });
    await repo.append('u6', [
      entry('2026-01-01T00:00:01Z', 'tasks'),
      entry('2026-01-01T00:00:03Z', 'calendar'),
    ]);
    await repo.append('u6', [entry('2026-01-01T00:00:02Z', 'tasks')]);
    expect((await repo.list('u6', { limit: 10 })).map((e) => e.time)).toEqual([
      '2026-01-01T00:00:03Z',
      '2026-01-01T00:00:02Z',
      '2026-01-01T00:00:01Z',
    ]);
    expect((await repo.list('u6', { entity: 'tasks', limit: 1 })).map((e) => e.time)).toEqual([
      '2026-01-01T00:00:02Z',
    ]);
  });

  it('keeps 30 days of log: older entries go when a later run writes its own', async () => {
    const repo = new SyncLogRepository(tables);
    const entry = (time: string): SyncLogEntry => ({
      time,
      entity: 'tasks',
      action: 'update',
      direction: 'microsoft-to-oro',
      oroId: '1',
      microsoftId: 'm',
      outcome: 'ok',
    });
    const old = Array.from({ length: 120 }, (_, i) =>
      entry(`2026-01-01T00:${String(i % 60).padStart(2, '0')}:00Z`),
    );
    await repo.append('u7', old);
    await repo.append('u7', [entry('2026-01-20T00:00:00Z')]);
    expect(await repo.list('u7', { limit: 500 })).toHaveLength(121);
    await repo.append('u7', [entry('2026-02-05T00:00:00Z')]);
    expect((await repo.list('u7', { limit: 500 })).map((e) => e.time)).toEqual([
      '2026-02-05T00:00:00Z',
      '2026-01-20T00:00:00Z',
    ]);
  });

  it('packs the entries of one instant into few rows, listed in the order appended', async () => {
    const repo = new SyncLogRepository(tables);
    const entries = Array.from({ length: 1000 }, (_, i): SyncLogEntry => ({
      time: '2026-03-01T00:00:00.000Z',
      entity: 'tasks',
      action: 'create',
      direction: 'microsoft-to-oro',
      oroId: String(i),
      microsoftId: `m${i}`,
      outcome: 'ok',
      detail: 'new in To Do',
    }));
    await repo.append('u8', entries);
    let rows = 0;
    for await (const _row of tables
      .client('synclog')
      .listEntities({ queryOptions: { filter: "PartitionKey eq 'u8'" } })) {
      rows++;
    }
    // About 160 characters an entry, 30,000 a row: 6 rows, not 1,000.
    expect(rows).toBeLessThanOrEqual(10);
    expect((await repo.list('u8', { limit: 2000 })).map((e) => e.oroId)).toEqual(entries.map((e) => e.oroId));
    expect((await repo.list('u8', { limit: 3 })).map((e) => e.oroId)).toEqual(['0', '1', '2']);
  });

  it('still reads rows of one entry each, as written before entries were packed', async () => {
    const repo = new SyncLogRepository(tables);
    const old: SyncLogEntry = {
      time: '2026-03-01T00:00:00.000Z',
      entity: 'calendar',
      action: 'update',
      direction: 'oro-to-microsoft',
      oroId: '7',
      microsoftId: 'm7',
      outcome: 'ok',
    };
    await tables.client('synclog').createEntity({
      partitionKey: 'u9',
      rowKey: `${String(9_999_999_999_999 - Date.parse(old.time)).padStart(13, '0')}-000000-abcdef`,
      entry: JSON.stringify(old),
    });
    await repo.append('u9', [{ ...old, time: '2026-03-02T00:00:00.000Z', oroId: '8' }]);
    expect((await repo.list('u9', { limit: 10 })).map((e) => e.oroId)).toEqual(['8', '7']);
  });
});
