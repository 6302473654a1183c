import { LINK_PROPERTY } from '../../../../shared/microsoft/calendar-side';
import type { EventFields } from '../../../../shared/sync/calendar/event-mapping';
import type { Write } from '../../../../shared/sync/plan';
import {
  NOW,
  DAY,
  ev,
  create,
  upserts,
  deletes,
  useGraphCalendar,
  patterns,
} from '../../../support/graph-calendar-side';

describe('Microsoft calendar side against the Graph simulator', () => {
  const t = useGraphCalendar();
  const { store, side } = t;
  const at = (dateTime: string, timeZone = 'UTC') => ({ dateTime, timeZone });

  it("reads by id only the singles that carry a transactionId: the user's own come whole in the delta", async () => {
    const s = side();
    for (let i = 0; i < 60; i++) {
      store().create({
        subject: `user ${i}`,
        body: { contentType: 'text', content: `notes ${i}` },
        start: at(`2026-12-0${1 + (i % 9)}T09:00:00`),
        end: at(`2026-12-0${1 + (i % 9)}T10:00:00`),
      });
    }
    expect((await s.write([create(ev({ title: 'ours' }), 'L-ours')]))[0]!.ok).toBe(true);
    t.sim.resetCounts();
    const read = await s.read(undefined, new Set());
    // One $batch for our own event (its link id rides on an extended property), not 4 for all 61.
    expect(t.sim.requestCounts()['POST /v1.0/$batch']).toBe(1);
    const byTitle = new Map(upserts(read.changes).map((u) => [u.fields.title, u]));
    expect(byTitle.size).toBe(61);
    expect(byTitle.get('ours')).toMatchObject({ linkId: 'L-ours' });
    expect(byTitle.get('user 7')?.fields).toMatchObject({
      description: 'notes 7',
      start: '2026-12-08T09:00:00Z',
    });
    expect(byTitle.get('user 7')?.linkId).toBeUndefined();
  });

  it('round-trips single events, timed and all-day, and reads events made in other zones', async () => {
    const s = side();
    const written = [
      ev({ title: 'timed', location: 'Room 7' }),
      ev({ title: 'all day', allDay: true, start: '2026-12-24', end: '2026-12-27', reminderMinutes: null }),
    ];
    const results = await s.write(written.map((f, i) => create(f, `L-${i}`)));
    expect(results.every((r) => r.ok)).toBe(true);
    store().create({
      subject: 'tokyo',
      start: at('2026-12-02T09:00:00', 'Tokyo Standard Time'),
      end: at('2026-12-02T10:00:00', 'Tokyo Standard Time'),
    });
    store().create({
      subject: 'seattle',
      start: at('2026-12-02T09:00:00', 'Pacific Standard Time'),
      end: at('2026-12-02T10:00:00', 'Pacific Standard Time'),
      isReminderOn: false,
    });
    store().create({
      subject: 'holiday in Berlin',
      isAllDay: true,
      start: at('2026-12-31T00:00:00', 'W. Europe Standard Time'),
      end: at('2027-01-01T00:00:00', 'W. Europe Standard Time'),
    });
    const read = await s.read(undefined, new Set());
    expect(read.full).toBe(true);
    const byTitle = new Map(upserts(read.changes).map((u) => [u.fields.title, u]));
    expect(byTitle.get('timed')).toMatchObject({ linkId: 'L-0', fields: written[0] });
    expect(byTitle.get('all day')).toMatchObject({ linkId: 'L-1', fields: written[1] });
    expect(byTitle.get('tokyo')?.fields).toMatchObject({
      start: '2026-12-02T00:00:00Z',
      end: '2026-12-02T01:00:00Z',
    });
    expect(byTitle.get('seattle')?.fields).toMatchObject({
      start: '2026-12-02T17:00:00Z',
      reminderMinutes: null,
    });
    expect(byTitle.get('holiday in Berlin')?.fields).toMatchObject({
      allDay: true,
      start: '2026-12-31',
      end: '2027-01-01',
    });
    expect(byTitle.get('seattle')?.linkId).toBeUndefined();
    expect(byTitle.size).toBe(5);
    // What a write answers is the version the next read reports, so our own write is no news.
    expect(results[0]).toMatchObject({ ok: true, version: byTitle.get('timed')?.version });
  });

  it('refuses a write without its id or fields and sends nothing', async () => {
    const s = side();
    const results = await s.write([
      { op: 'update', side: 'microsoft', linkId: 'B-1', fields: ev() },
      { op: 'delete', side: 'microsoft', linkId: 'B-2' },
      { op: 'create', side: 'microsoft', linkId: 'B-3' },
    ]);
    expect(results).toEqual([
      { ok: false, error: 'a update without its event id', kind: 'permanent', retryable: false },
      { ok: false, error: 'a delete without its event id', kind: 'permanent', retryable: false },
      { ok: false, error: 'a create without its fields', kind: 'permanent', retryable: false },
    ]);
    expect(s.requests).toBe(0);
    expect(store().all()).toEqual([]);
  });

  it('reads 120 events and 3 series in one delta page per 25 instances plus one batch per 20 items', async () => {
    const s = side();
    const singles = Array.from({ length: 120 }, (_, i) =>
      create(
        ev({
          title: `s${i}`,
          start: `2026-12-0${1 + (i % 9)}T09:00:00Z`,
          end: `2026-12-0${1 + (i % 9)}T10:00:00Z`,
        }),
        `N-${i}`,
      ),
    );
    const series = patterns.slice(0, 3).map(([name, recurrence, start], i) =>
      create(
        ev({
          title: name,
          recurrence,
          start,
          end: new Date(Date.parse(start) + 1_800_000).toISOString().replace('.000Z', 'Z'),
        }),
        `R-${i}`,
      ),
    );
    const written = await s.write([...singles, ...series]);
    expect(written.every((r) => r.ok)).toBe(true);
    expect(s.requests).toBe(Math.ceil(123 / 20));
    const reader = side();
    const read = await reader.read(undefined, new Set());
    expect(upserts(read.changes)).toHaveLength(123);
    // 120 singles + occurrences of 3 series in the window, 25 a page; then 123 items by id, 20 a batch.
    const occurrences = store()
      .all()
      .filter((e) => e.type === 'seriesMaster')
      .reduce(
        (n, e) => n + store().instanceIds(e.id, '2026-10-25T00:00:00Z', '2027-11-24T00:00:00Z').length,
        0,
      );
    expect(reader.requests).toBe(Math.ceil((120 + occurrences) / 25) + Math.ceil(123 / 20));
  });

  it('costs one request when nothing changed', async () => {
    const s = side();
    await s.write([create(ev(), 'I-1'), create(ev({ title: 'b' }), 'I-2')]);
    const first = await s.read(undefined, new Set());
    const idle = side();
    const quiet = await idle.read(first.cursor, new Set(upserts(first.changes).map((u) => u.id)));
    expect(quiet.changes).toEqual([]);
    expect(idle.requests).toBe(1);
  });

  it('does not take an event that left the window for a deletion, but reports a real one', async () => {
    const s = side();
    const results = await s.write([
      create(ev({ title: 'stays', start: '2026-10-26T09:00:00Z', end: '2026-10-26T10:00:00Z' }), 'O-1'),
      create(ev({ title: 'moves' }), 'O-2'),
      create(ev({ title: 'deleted' }), 'O-3'),
      create(ev({ title: 'deleted later' }), 'O-4'),
      create(
        ev({
          title: 'past series',
          start: '2026-09-01T09:00:00Z',
          end: '2026-09-01T10:00:00Z',
          recurrence: {
            pattern: 'daily',
            interval: 1,
            start: '2026-09-01',
            end: { type: 'count', count: 3 },
            timeZone: 'UTC',
          },
        }),
        'O-5',
      ),
    ]);
    const [early, moving, deleted, later, past] = results.map((r) => (r.ok ? r.id : ''));
    const linked = new Set([early!, moving!, deleted!, later!, past!]);
    const first = await s.read(undefined, linked);
    // The series before the window: linked, still there, neither reported nor deleted.
    expect(upserts(first.changes).map((u) => u.fields.title)).toEqual(
      expect.arrayContaining(['stays', 'moves', 'deleted', 'deleted later']),
    );
    expect(first.changes).toHaveLength(4);

    store().update(moving!, { start: at('2028-03-01T09:00:00'), end: at('2028-03-01T10:00:00') });
    store().remove(deleted!);
    const next = await s.read(first.cursor, linked);
    expect(next.full).toBe(false);
    expect(next.changes).toEqual([{ type: 'delete', id: deleted }]);

    // Three days on, the window has not moved (it moves in 30-day steps): still the same round.
    t.now = NOW + 3 * DAY;
    const before = s.requests;
    const idle = await s.read(next.cursor, linked);
    expect(idle).toMatchObject({ full: false, changes: [] });
    expect(s.requests - before).toBe(1);
    expect(JSON.parse(idle.cursor)).toMatchObject({ window: { start: '2026-10-04T00:00:00Z' } });

    // Ten days on, the window has stepped past the early event: a new round, no deletion.
    t.now = NOW + 10 * DAY;
    store().remove(later!);
    const moved = await s.read(idle.cursor, new Set([early!, moving!, later!]));
    expect(moved.full).toBe(true);
    expect(moved.changes).toEqual([{ type: 'delete', id: later }]);
    expect(JSON.parse(moved.cursor)).toMatchObject({
      window: { start: '2026-11-03T00:00:00Z', end: '2028-01-02T00:00:00Z' },
    });
  });

  it('adopts the link id of an event created before a crash, and a retried create makes no duplicate', async () => {
    const s = side();
    const write = create(ev({ title: 'crash' }), 'C-1');
    const [one] = await s.write([write]);
    // The run crashed before saving its link; the retry and the next read both find the first copy.
    const [two] = await side().write([write]);
    expect(two).toMatchObject({ ok: true, id: one!.ok ? one!.id : 'x' });
    expect(
      store()
        .all()
        .filter((e) => e.subject === 'crash'),
    ).toHaveLength(1);
    expect(store().all()[0]!.extendedProperties).toEqual([{ id: LINK_PROPERTY, value: 'C-1' }]);
    const read = await side().read(undefined, new Set());
    expect(upserts(read.changes)).toEqual([
      expect.objectContaining({ linkId: 'C-1', id: one!.ok ? one!.id : 'x' }),
    ]);
  });

  it('re-creates an event the user deleted with a new transactionId; a retry of that re-create makes no duplicate', async () => {
    const s = side();
    const [made] = await s.write([create(ev({ title: 'comes back' }), 'R-1')]);
    const id = made?.ok ? made.id : '';
    store().remove(id);
    // The engine names the attempt: the id of the event this create replaces.
    const recreate: Write<EventFields> = { ...create(ev({ title: 'comes back' }), 'R-1'), attempt: id };
    const [again] = await s.write([recreate]);
    const newId = again?.ok ? again.id : '';
    expect(newId).not.toBe(id);
    expect(store().get(newId)).toMatchObject({ subject: 'comes back' });
    const [retried] = await s.write([recreate]);
    expect(retried).toMatchObject({ ok: true, id: newId });
    expect(
      store()
        .all()
        .filter((e) => e.subject === 'comes back'),
    ).toHaveLength(1);
  });

  it('re-reads the window after a lost delta token (410) without inventing deletions', async () => {
    const s = side();
    const results = await s.write([
      create(ev({ title: 'kept' }), 'G-1'),
      create(ev({ title: 'gone' }), 'G-2'),
    ]);
    const [kept, gone] = results.map((r) => (r.ok ? r.id : ''));
    const first = await s.read(undefined, new Set([kept!, gone!]));
    store().expireDeltaTokens();
    store().remove(gone!);
    const next = await s.read(first.cursor, new Set([kept!, gone!]));
    expect(next.full).toBe(true);
    expect(deletes(next.changes)).toEqual([{ type: 'delete', id: gone }]);
    expect(upserts(next.changes)).toEqual([expect.objectContaining({ id: kept, linkId: 'G-1' })]);
  });
});
