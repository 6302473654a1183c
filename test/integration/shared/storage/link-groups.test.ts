import { hashFields, type Link } from '../../../../shared/sync/model';
import { LinkRepository, linkPartition } from '../../../../shared/storage/link-repository';
import { GROUP_MARKER } from '../../../../shared/storage/link-groups';
import { createTableStore } from '../../../../shared/storage/tables';
import { odata } from '@azure/data-tables';
import { TableCrash, crashingTableStore } from '../../../support/crashing-tables';
import { testConnectionString, uniquePrefix } from '../../../support/storage';

/*
 * The links a save writes are packed many to a row (shared/storage/link-groups.ts): what a
 * listing returns must be what was saved last for each link, whatever rows hold it.
 */

type F = { title: string };

/** A link pending before its Oro create (as shared/sync/run-links.ts pendingLink makes it). */
const pending = (id: string, attempt?: string): Link<F> => ({
  linkId: id,
  oroId: null,
  microsoftId: `m-${id}`,
  oroVersion: null,
  microsoftVersion: 'mv',
  base: { title: id },
  baseHash: hashFields({ title: id }),
  pending: {
    side: 'oro',
    hash: hashFields({ title: id }),
    since: '2026-12-01T00:00:00.000Z',
    ...(attempt ? { attempt } : {}),
  },
});

/** The same link once its Oro create answered. */
const final = (id: string): Link<F> => {
  const { pending: _done, ...rest } = pending(id);
  return { ...rest, oroId: `o-${id}`, oroVersion: 'ov' };
};

describe('links packed in group rows (Azurite)', () => {
  const prefix = uniquePrefix();
  const tables = createTableStore(testConnectionString(), prefix);
  // The same tables, through a process that can die between two transactions.
  const crash = new TableCrash();
  const crashing = crashingTableStore(testConnectionString(), prefix, crash);
  afterEach(() => crash.heal());
  let user = 0;
  let userId = '';
  beforeEach(() => {
    userId = `u${++user}`;
  });

  /** The partition's row keys as stored, but the marker's (GROUP_MARKER). */
  const rowKeys = async (): Promise<string[]> => {
    await tables.ready();
    const keys: string[] = [];
    const pk = linkPartition(userId, 'tasks');
    for await (const e of tables
      .client('links')
      .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${pk}` } })) {
      if (e.rowKey !== GROUP_MARKER) {
        keys.push(e.rowKey!);
      }
    }
    return keys.sort();
  };
  /** What a new run reads. */
  const read = async (): Promise<Link<F>[]> =>
    (await new LinkRepository<F>(tables).list(userId, 'tasks')).sort((a, b) =>
      a.linkId.localeCompare(b.linkId),
    );
  const repo = async (store = tables): Promise<LinkRepository<F>> => {
    const r = new LinkRepository<F>(store);
    await r.list(userId, 'tasks');
    return r;
  };

  it('packs 500 new pending links in one row, read back as they were saved', async () => {
    const r = await repo();
    const links = Array.from({ length: 500 }, (_, i) => pending(`L${String(i).padStart(3, '0')}`));
    await r.save(userId, 'tasks', links, []);
    expect(r.operations).toBe(2); // the listing, one transaction
    expect(await rowKeys()).toEqual(['~p-000000000001']);
    expect(await read()).toEqual(links);
  });

  it('final links supersede their pending entries in a newer row; a row goes once none is left', async () => {
    const r = await repo();
    await r.save(userId, 'tasks', [pending('A'), pending('B'), pending('C')], []);
    await r.save(userId, 'tasks', [final('A'), final('B')], []);
    expect(await read()).toEqual([final('A'), final('B'), pending('C')]);
    // The row still holding C pending, and the one holding A and B final.
    expect(await rowKeys()).toEqual(['~p-000000000001', '~p-000000000002']);

    await r.save(userId, 'tasks', [final('C')], []);
    expect(await rowKeys()).toEqual(['~p-000000000002', '~p-000000000003']);
    expect(await read()).toEqual([final('A'), final('B'), final('C')]);
  });

  it('a first sync of 2,000 links writes a handful of rows, listed in one page', async () => {
    const r = await repo();
    const ids = Array.from({ length: 2_000 }, (_, i) => `F${String(i).padStart(4, '0')}`);
    await r.save(
      userId,
      'tasks',
      ids.map((id) => pending(id)),
      [],
    );
    await r.save(userId, 'tasks', ids.map(final), []);
    // A row per link would be 2,000 rows, 2 pages of 1,000, and 20 transactions a save.
    expect(r.operations).toBeLessThanOrEqual(1 + 2 + 3);
    expect((await rowKeys()).length).toBeLessThanOrEqual(2);
    const reader = new LinkRepository<F>(tables);
    expect(await reader.list(userId, 'tasks')).toEqual(ids.map(final));
    expect(reader.operations).toBe(1);
  });

  it('a link with a row of its own (saved before groups held final links) keeps it', async () => {
    // Such a row, as an earlier version wrote it.
    await tables.ready();
    const pk = linkPartition(userId, 'tasks');
    const old = final('R');
    await tables.client('links').createEntity({
      partitionKey: pk,
      rowKey: 'R',
      oroId: old.oroId!,
      microsoftId: old.microsoftId!,
      oroVersion: old.oroVersion!,
      microsoftVersion: old.microsoftVersion!,
      base: JSON.stringify(old.base),
      baseHash: old.baseHash,
      pending: '',
    });
    const r = await repo();
    const changed = { ...old, oroVersion: 'ov2' };
    await r.save(userId, 'tasks', [changed, final('S')], []);
    expect(await rowKeys()).toEqual(['R', '~p-000000000001']);
    expect(await read()).toEqual([changed, final('S')]);
  });

  it('a deleted pending link does not come back; the others stay pending', async () => {
    const r = await repo();
    await r.save(userId, 'tasks', [pending('A'), pending('B')], []);
    await r.save(userId, 'tasks', [], ['A']);
    expect(await read()).toEqual([pending('B')]);
    await r.save(userId, 'tasks', [], ['B']);
    expect(await rowKeys()).toEqual([]);
  });

  it('a deleted final link does not come back from the row that held it pending', async () => {
    const r = await repo();
    await r.save(userId, 'tasks', [pending('A'), pending('B')], []);
    await r.save(userId, 'tasks', [final('A')], []);
    // A later run deletes A (say its item was deleted on both sides).
    const later = await repo();
    await later.save(userId, 'tasks', [], ['A']);
    expect(await read()).toEqual([pending('B')]);
  });

  it("a later run's pending state of the same link wins over the earlier run's row", async () => {
    const first = await repo();
    await first.save(userId, 'tasks', [pending('A'), pending('B')], []);
    // The create of A failed; the next run retries it as a new attempt.
    const second = await repo();
    await second.save(userId, 'tasks', [pending('A', 'attempt-2')], []);
    expect(await read()).toEqual([pending('A', 'attempt-2'), pending('B')]);
    await second.save(userId, 'tasks', [final('B')], []);
    // Nothing of the first row is the latest any more: it is gone.
    expect((await rowKeys()).length).toBe(2);
    expect(await read()).toEqual([pending('A', 'attempt-2'), final('B')]);
  });

  it('a row mostly superseded keeps only its live entries', async () => {
    const r = await repo();
    const ids = Array.from({ length: 40 }, (_, i) => `C${String(i).padStart(2, '0')}`);
    await r.save(
      userId,
      'tasks',
      ids.map((id) => pending(id)),
      [],
    );
    // All but 10 created (the others' creates keep failing): the row holds those 10 only.
    await r.save(userId, 'tasks', ids.slice(10).map(final), []);
    const group = await tables
      .client('links')
      .getEntity<{ base: string }>(linkPartition(userId, 'tasks'), '~p-000000000001');
    expect((JSON.parse(group.base) as Link<F>[]).map((l) => l.linkId)).toEqual(ids.slice(0, 10));
    expect(await read()).toEqual([...ids.slice(0, 10).map((id) => pending(id)), ...ids.slice(10).map(final)]);
  });

  it('a row whose every entry another run superseded is removed by the next save', async () => {
    const first = await repo();
    await first.save(userId, 'tasks', [pending('A'), pending('B')], []);
    // A run that died before removing it: its final links written, the row left.
    const died = await repo(crashing);
    crash.crashAfter(1, false);
    await expect(died.save(userId, 'tasks', [final('A'), final('B')], [])).rejects.toThrow('simulated crash');
    crash.heal();
    expect((await rowKeys()).length).toBe(2);
    expect(await read()).toEqual([final('A'), final('B')]);

    const next = await repo();
    await next.save(userId, 'tasks', [final('C')], []);
    expect(await rowKeys()).toEqual(['~p-000000000002', '~p-000000000003']);
    expect(await read()).toEqual([final('A'), final('B'), final('C')]);
  });

  it('a deletion that dies between its rewrites never brings back an older state of the link', async () => {
    // A's state in 7 rows, each filled near its size limit (link-groups.ts MAX_GROUP_CHARS),
    // so that taking A out of all of them takes two transactions (3.5 MB each).
    const filler = (k: number, i: number) => ({
      ...final(`X${k}-${i}`),
      base: { title: 'x'.repeat(25_000) },
    });
    const states = Array.from({ length: 7 }, (_, k) => ({ ...final('A'), oroVersion: `v${k + 1}` }));
    for (const [k, state] of states.entries()) {
      const r = await repo();
      await r.save(userId, 'tasks', [state, ...Array.from({ length: 7 }, (_, i) => filler(k, i))], []);
    }
    const latest = states.at(-1)!;
    const stateOfA = async () => (await read()).find((l) => l.linkId === 'A');
    expect(await stateOfA()).toEqual(latest);
    for (const applied of [false, true]) {
      const deleting = await repo(crashing);
      crash.crashAfter(0, applied);
      await expect(deleting.save(userId, 'tasks', [], ['A'])).rejects.toThrow('simulated crash');
      crash.heal();
      // Gone, or as it was: never one of the states the older rows still hold.
      const after = await stateOfA();
      expect(after === undefined || after.oroVersion === latest.oroVersion).toBe(true);
    }
    const done = await repo();
    await done.save(userId, 'tasks', [], ['A']);
    expect(await stateOfA()).toBeUndefined();
  });

  it('of two runs that read the partition before either saved, only the first to save pending links goes on', async () => {
    // The marker row's create (no group yet: 409), then its conditional update (412).
    for (const [k, statusCode] of [
      [1, 409],
      [2, 412],
    ] as const) {
      const stale = await repo(); // a run that lost its lease while it waited
      const live = await repo();
      await live.save(userId, 'tasks', [pending(`A${k}`)], []);
      await expect(stale.save(userId, 'tasks', [pending(`B${k}`), final(`C${k}`)], [])).rejects.toMatchObject(
        {
          statusCode,
        },
      );
    }
    expect(await read()).toEqual([pending('A1'), pending('A2')]);
    // Each group takes the next number, across runs.
    expect(await rowKeys()).toEqual(['~p-000000000001', '~p-000000000002']);
  });

  it('keeps each transaction under 4 MiB (Azure Tables: "Performing entity group transactions")', async () => {
    const r = await repo();
    // 100 links of 25,000 characters each: 2.5 million characters, up to 7.5 MB as UTF-8.
    const big = Array.from({ length: 100 }, (_, i) => ({
      ...final(`B${i}`),
      base: { title: 'x'.repeat(25_000) },
    }));
    await r.save(userId, 'tasks', big, []);
    // 13 rows of at most 8 such links (200,000 characters), 5 to a transaction, the first alone with the marker.
    expect(r.operations).toBe(1 + 1 + 3);
    expect((await read()).length).toBe(100);
  });
});
