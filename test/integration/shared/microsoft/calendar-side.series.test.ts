import { CUSTOM_ZONE } from '../../../../dev/microsoft/calendar';
import type { EventFields } from '../../../../shared/sync/calendar/event-mapping';
import { ev, create, upserts, useGraphCalendar, patterns } from '../../../support/graph-calendar-side';

describe('Microsoft calendar side against the Graph simulator', () => {
  const t = useGraphCalendar();
  const { store, side } = t;
  const at = (dateTime: string, timeZone = 'UTC') => ({ dateTime, timeZone });

  it('leaves a series it cannot map alone and says why', async () => {
    const custom = store().create({
      subject: 'custom zone',
      start: at('2026-12-01T09:00:00', CUSTOM_ZONE),
      end: at('2026-12-01T10:00:00', CUSTOM_ZONE),
      recurrence: {
        pattern: { type: 'daily', interval: 1 },
        range: {
          type: 'numbered',
          startDate: '2026-12-01',
          numberOfOccurrences: 3,
          recurrenceTimeZone: CUSTOM_ZONE,
        },
      },
    });
    if ('error' in custom) {
      throw new Error(custom.error);
    }
    const s = side();
    await s.write([create(ev({ title: 'fine' }), 'U-1')]);
    const read = await s.read(undefined, new Set());
    expect(upserts(read.changes).map((u) => u.fields.title)).toEqual(['fine']);
    expect(read.unmapped).toEqual([
      { id: custom.id, reason: expect.stringContaining('tzone://Microsoft/Custom') as unknown },
    ]);
  });

  it('round-trips a series of each pattern kind', async () => {
    const s = side();
    const written = patterns.map(([name, recurrence, start]) =>
      ev({
        title: name,
        recurrence,
        start,
        end: new Date(Date.parse(start) + 1_800_000).toISOString().replace('.000Z', 'Z'),
      }),
    );
    const results = await s.write(written.map((f, i) => create(f, `S-${i}`)));
    expect(results.map((r) => r.ok)).toEqual(patterns.map(() => true));
    expect(
      store()
        .all()
        .every((e) => e.type === 'seriesMaster'),
    ).toBe(true);
    const read = await s.read(undefined, new Set());
    const items = upserts(read.changes);
    expect(items).toHaveLength(patterns.length);
    for (const f of written) {
      expect(items.find((i) => i.fields.title === f.title)?.fields).toEqual(f);
    }
    expect(new Set(items.map((i) => i.id))).toEqual(new Set(results.map((r) => (r.ok ? r.id : ''))));
  });

  it('writes moved and cancelled occurrences, then changes them, and reads them back the same', async () => {
    const s = side();
    const series = ev({
      title: 'standup',
      start: '2026-12-07T08:00:00Z',
      end: '2026-12-07T08:15:00Z',
      recurrence: {
        pattern: 'daily',
        interval: 1,
        start: '2026-12-07',
        end: { type: 'count', count: 10 },
        timeZone: 'Europe/Berlin',
      },
      exceptions: [
        {
          originalStart: '2026-12-08T08:00:00Z',
          cancelled: false,
          title: 'standup (late)',
          description: 'agenda',
          location: 'Room 2',
          start: '2026-12-08T13:00:00Z',
          end: '2026-12-08T13:15:00Z',
        },
        { originalStart: '2026-12-09T08:00:00Z', cancelled: true },
      ],
    });
    const [created] = await s.write([create(series, 'X-1')]);
    expect(created).toMatchObject({ ok: true });
    const id = created!.ok ? created!.id : '';
    const stored = store().get(id)!;
    expect([...stored.cancelled].map((ms) => new Date(ms).toISOString())).toEqual([
      '2026-12-09T08:00:00.000Z',
    ]);
    expect([...stored.exceptions.values()].map((x) => [x.subject, x.start])).toEqual([
      ['standup (late)', '2026-12-08T13:00:00Z'],
    ]);
    const first = await s.read(undefined, new Set([id]));
    expect(upserts(first.changes).map((u) => u.fields)).toEqual([series]);
    // The same create again (a crash before the link was saved): the same series, nothing doubled.
    const [again] = await side().write([create(series, 'X-1')]);
    expect(again).toMatchObject({ ok: true, id });
    expect(store().all()).toHaveLength(1);
    expect(store().get(id)!.exceptions.size).toBe(1);

    const changed = ev({
      ...series,
      exceptions: [
        { ...series.exceptions[0]!, title: 'standup (later)' } as EventFields['exceptions'][number],
        { originalStart: '2026-12-09T08:00:00Z', cancelled: true },
        { originalStart: '2026-12-11T08:00:00Z', cancelled: true },
      ],
    });
    const [updated] = await s.write([
      { op: 'update', side: 'microsoft', linkId: 'X-1', id, fields: changed, changed: ['exceptions'] },
    ]);
    expect(updated).toMatchObject({ ok: true, id });
    const second = await s.read(first.cursor, new Set([id]));
    expect(upserts(second.changes).map((u) => u.fields)).toEqual([changed]);

    // Graph cannot bring back a cancelled occurrence: the rest is written, the note says so,
    // and `held` is what the next read reports (so the link's base matches it).
    const [partial] = await s.write([
      {
        op: 'update',
        side: 'microsoft',
        linkId: 'X-1',
        id,
        fields: { ...changed, exceptions: changed.exceptions.slice(0, 2) },
        changed: ['exceptions'],
      },
    ]);
    expect(partial).toMatchObject({
      ok: true,
      id,
      note: expect.stringContaining(
        'cannot bring back a cancelled occurrence (2026-12-11T08:00:00Z)',
      ) as unknown,
      held: changed,
    });
    const third = await s.read(undefined, new Set([id]));
    expect(upserts(third.changes).map((u) => u.fields)).toEqual([changed]);
  });

  it('reports exceptions the user makes in Outlook as changes of their series', async () => {
    const s = side();
    const [created] = await s.write([
      create(
        ev({
          title: 'weekly',
          start: '2026-12-01T15:00:00Z',
          end: '2026-12-01T16:00:00Z',
          recurrence: {
            pattern: 'weekly',
            interval: 1,
            daysOfWeek: ['tuesday'],
            start: '2026-12-01',
            end: { type: 'none' },
            timeZone: 'UTC',
          },
        }),
        'W-1',
      ),
    ]);
    const id = created!.ok ? created!.id : '';
    const first = await s.read(undefined, new Set([id]));
    const [occ1, occ2] = store().instanceIds(id, '2026-12-01T00:00:00Z', '2026-12-10T00:00:00Z');
    expect(store().occurrenceId(id, '2026-12-08T15:00:00Z')).toBe(occ2);
    expect(store().occurrenceId(id, '2026-12-08T15:30:00Z')).toBeUndefined();
    store().update(occ1!, {
      subject: 'weekly (moved)',
      start: at('2026-12-02T15:00:00'),
      end: at('2026-12-02T16:00:00'),
    });
    const moved = await s.read(first.cursor, new Set([id]));
    expect(upserts(moved.changes)).toHaveLength(1);
    expect(upserts(moved.changes)[0]!.fields.exceptions).toEqual([
      expect.objectContaining({
        originalStart: '2026-12-01T15:00:00Z',
        title: 'weekly (moved)',
        start: '2026-12-02T15:00:00Z',
      }),
    ]);

    // A cancelled occurrence shows in the delta only as a removed instance id.
    store().remove(occ2!);
    expect(store().occurrenceId(id, '2026-12-08T15:00:00Z')).toBeUndefined();
    const cancelled = await s.read(moved.cursor, new Set([id]));
    expect(cancelled.changes).toEqual([
      {
        type: 'upsert',
        item: expect.objectContaining({
          id,
          fields: expect.objectContaining({
            exceptions: [
              expect.objectContaining({ originalStart: '2026-12-01T15:00:00Z' }),
              { originalStart: '2026-12-08T15:00:00Z', cancelled: true },
            ],
          }) as unknown,
        }) as unknown,
      },
    ]);
    expect(upserts(cancelled.changes)[0]!.version).not.toBe(upserts(moved.changes)[0]!.version);

    // Deleting the whole series: a deletion of the linked item.
    store().remove(id);
    const gone = await s.read(cancelled.cursor, new Set([id]));
    expect(gone.changes).toEqual([{ type: 'delete', id }]);
  });
});
