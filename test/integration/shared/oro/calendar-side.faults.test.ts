import { SideError } from '../../../../shared/sync/ports';
import { event, series, upserts, deletes, useOroCalendar } from '../../../support/oro-calendar-side';

describe('Oro calendar side against the Oro simulator', () => {
  const t = useOroCalendar();
  const { side, settle } = t;

  it('skips rows it cannot parse, with a note, and never takes them for deleted', async () => {
    const s = side('21');
    const single = t.oro.calendar.createEvent('21', {
      title: 'fine',
      start: '2026-05-12T09:00:00Z',
      end: '2026-05-12T10:00:00Z',
    });
    const master = t.oro.calendar.createEvent('21', {
      title: 'series',
      start: '2026-05-11T07:00:00Z',
      end: '2026-05-11T07:15:00Z',
      recurrence: {
        recurrenceType: 'daily',
        interval: 1,
        startTime: '2026-05-11T07:00:00Z',
        endTime: null,
        occurrences: 5,
        timeZone: 'UTC',
      },
    });
    const exception = t.oro.calendar.createException(master.id, {
      originalStart: '2026-05-12T07:00:00Z',
      title: 'moved',
    });
    const linked = new Set([String(single.id), String(master.id)]);
    const first = await s.read(undefined, linked);
    expect(upserts(first)).toHaveLength(2);
    settle();
    t.oro.calendar.editEvent(single.id, { allDay: 'yes' as never });
    t.oro.calendar.editEvent(exception.id, { title: 42 as never });
    const full = await s.read(undefined, linked);
    expect(full.changes).toEqual([]);
    expect(full.unmapped).toEqual([
      { id: String(single.id), reason: expect.stringContaining('allDay') as unknown },
      { id: String(master.id), reason: 'one of its exception rows could not be read' },
    ]);
    expect(s.readNotes).toHaveLength(3);
    expect(s.readNotes).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`${single.id} is not synced`),
        expect.stringContaining(`${exception.id} (an exception row) is not synced`),
        expect.stringContaining(`${master.id} is not synced: one of its exception rows`),
      ]),
    );
    const next = await s.read(first.cursor, linked);
    expect(deletes(next)).toEqual([]);
    expect(upserts(next)).toEqual([]);
  });

  it('refuses what Oro cannot hold and skips what it cannot map, saying why', async () => {
    const s = side('18');
    const [refused] = await s.write([
      {
        op: 'create',
        side: 'oro',
        linkId: 'U-1',
        fields: series({ pattern: 'monthnth', instance: 'first', daysOfWeek: ['monday', 'tuesday'] }),
      },
    ]);
    expect(refused).toMatchObject({
      ok: false,
      retryable: false,
      error: expect.stringContaining('one week day') as unknown,
    });
    expect(t.oro.calendar.events('18')).toEqual([]);
    // Written behind the API's back: a yearly interval Oro's own form would refuse.
    const odd = t.oro.calendar.createEvent('18', {
      title: 'every 18 months',
      start: '2026-05-11T07:00:00Z',
      end: '2026-05-11T08:00:00Z',
      recurrence: {
        recurrenceType: 'yearly',
        interval: 18,
        dayOfMonth: 11,
        monthOfYear: 5,
        startTime: '2026-05-11T07:00:00Z',
        endTime: null,
        timeZone: 'UTC',
      },
    });
    const read = await s.read(undefined, new Set());
    expect(read.changes).toEqual([]);
    expect(read.unmapped).toEqual([
      { id: String(odd.id), reason: expect.stringContaining('18 months') as unknown },
    ]);
    expect(s.readNotes).toEqual([expect.stringMatching(new RegExp(`${odd.id}.*18 months`))]);
  });

  it('turns faults into SideErrors or failed writes: 500, 429 with Retry-After, no answer', async () => {
    const s = side('19');
    await s.read(undefined, new Set()); // finds the calendar
    t.oro.failNext('error-500');
    await expect(s.read(undefined, new Set())).rejects.toMatchObject({
      name: 'SideError',
      retryable: true,
      status: 500,
    });
    t.sleeps.length = 0;
    t.oro.failNext('throttle-429');
    await expect(s.read(undefined, new Set())).resolves.toMatchObject({ full: true });
    expect(t.sleeps).toEqual([1000]);
    const slow = side('19', 300);
    await slow.read(undefined, new Set());
    t.oro.failNext('hang');
    const hung = slow.read(undefined, new Set());
    await expect(hung).rejects.toBeInstanceOf(SideError);
    await expect(hung).rejects.toThrow(/no answer within 300 ms/);
    t.oro.failNext('error-500');
    const [failed] = await s.write([{ op: 'create', side: 'oro', linkId: 'F-1', fields: event() }]);
    expect(failed).toMatchObject({ ok: false, retryable: true });
    expect(t.oro.calendar.events('19')).toEqual([]);
    const [gone] = await s.write([{ op: 'delete', side: 'oro', linkId: 'F-1', id: '987654' }]);
    expect(gone).toEqual({ ok: true, id: '987654', version: '' });
  });
});
