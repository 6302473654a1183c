import type { Row, Invalid } from '../../support/oro-simulator-rows';
import { useOroRestSimulator } from '../../support/oro-rest';

/** The Oro simulator's calendar endpoints over real HTTP, as the adapter sees them. */
describe('Oro simulator: calendar events (REST), as stock Oro 6.1 answers them', () => {
  const t = useOroRestSimulator(Date.parse('2026-05-01T10:00:00Z'));
  const { call } = t;
  const REST = '/api/rest/latest';

  it('lists rows by updatedAt> (operator in place of =), page + limit and recurringEventId', async () => {
    const cal = t.oro.calendar.defaultCalendar('10');
    const old = t.oro.calendar.createEvent('10', {
      title: 'old',
      start: '2026-05-04T09:00:00Z',
      end: '2026-05-04T10:00:00Z',
    });
    t.clock += 10_000;
    const fresh = Array.from({ length: 3 }, (_, i) =>
      t.oro.calendar.createEvent('10', {
        title: `new ${i}`,
        start: '2026-05-04T09:00:00Z',
        end: '2026-05-04T10:00:00Z',
      }),
    );
    const since = encodeURIComponent(new Date(t.clock - 5_000).toISOString().replace('.000Z', '+00:00'));
    const all = await call<Row[]>(
      'GET',
      `${REST}/calendarevents?calendar=${cal}&page=1&limit=100&updatedAt%3E${since}`,
    );
    expect(all.status).toBe(200);
    expect(Array.isArray(all.body)).toBe(true);
    expect(all.body.map((e) => e.id).sort()).toEqual(fresh.map((e) => e.id).sort());
    const pages = [1, 2].map((page) =>
      call<Row[]>('GET', `${REST}/calendarevents?calendar=${cal}&limit=2&page=${page}`),
    );
    const [p1, p2] = await Promise.all(pages);
    expect(p1!.body).toHaveLength(2);
    expect(new Set([...p1!.body, ...p2!.body].map((e) => e.id))).toEqual(
      new Set([old.id, ...fresh.map((e) => e.id)]),
    );
    const paged = `${REST}/calendarevents?calendar=${cal}&page=1&limit=10`;
    expect((await call('GET', `${paged}&updatedAt%3Esoon`)).status).toBe(400);
    expect((await call('GET', `${paged}&colour=red`)).status).toBe(400);
    expect((await call('GET', `${REST}/calendarevents`)).status).toBe(400);
    // cgetAction: neither start/end nor page/limit is a 400; a calendar nobody owns lists nothing.
    const neither = await call<Invalid>('GET', `${REST}/calendarevents?calendar=${cal}`);
    expect(neither.status).toBe(400);
    expect(neither.body.message).toContain('"page" and "limit"');
    expect((await call('GET', `${REST}/calendarevents?calendar=999999&page=1&limit=10`)).body).toEqual([]);
  });

  it('expands series over start/end: occurrences repeat the series id, moved ones show, cancelled ones hide', async () => {
    const cal = t.oro.calendar.defaultCalendar('11');
    const series = t.oro.calendar.createEvent('11', {
      title: 'Standup',
      start: '2026-06-01T07:00:00Z',
      end: '2026-06-01T07:15:00Z',
      recurrence: {
        recurrenceType: 'weekly',
        interval: 1,
        dayOfWeek: ['monday', 'wednesday'],
        startTime: '2026-06-01T07:00:00Z',
        endTime: null,
        occurrences: 6,
        timeZone: 'Europe/Berlin',
      },
    });
    const moved = t.oro.calendar.createException(series.id, {
      originalStart: '2026-06-03T07:00:00Z',
      start: '2026-06-03T09:00:00Z',
      end: '2026-06-03T09:15:00Z',
      title: 'Standup (late)',
    });
    const cancelled = t.oro.calendar.createException(series.id, {
      originalStart: '2026-06-08T07:00:00Z',
      isCancelled: true,
    });
    const range = `start=${encodeURIComponent('2026-06-01T00:00:00Z')}&end=${encodeURIComponent('2026-07-01T00:00:00Z')}`;
    const res = await call('GET', `${REST}/calendarevents?calendar=${cal}&${range}`);
    const got = (res.body as { id: number; start: string }[])
      .map((e) => [e.id, e.start])
      .sort((a, b) => String(a[1]).localeCompare(String(b[1])));
    expect(got).toEqual([
      [series.id, '2026-06-01T07:00:00+00:00'],
      [moved.id, '2026-06-03T09:00:00+00:00'],
      [series.id, '2026-06-10T07:00:00+00:00'],
      [series.id, '2026-06-15T07:00:00+00:00'],
      [series.id, '2026-06-17T07:00:00+00:00'],
    ]);
    // CalendarEventRepository::addRecurringEventFilter: "… OR e.id = :recurringEventId" — the
    // series itself comes with its two exception rows.
    const exceptions = await call<Row[]>(
      'GET',
      `${REST}/calendarevents?calendar=${cal}&recurringEventId=${series.id}&page=1&limit=50`,
    );
    expect(exceptions.body.map((r) => r.id).sort((a, b) => a - b)).toEqual(
      [series.id, moved.id, cancelled.id].sort((a, b) => a - b),
    );
    expect(exceptions.body).toHaveLength(3);
    // An exception must sit on an occurrence of the pattern.
    const off = await call<Invalid>('POST', `${REST}/calendarevents`, {
      calendar: cal,
      title: 'x',
      start: '2026-06-02T07:00:00Z',
      end: '2026-06-02T07:15:00Z',
      recurringEventId: series.id,
      originalStart: '2026-06-02T07:00:00Z',
    });
    expect(off.body.errors.children.originalStart).toBeDefined();
    // A new pattern keeps the exceptions over the API unless updateExceptions is true
    // (CalendarEventApiHandler::allowUpdateExceptions; RecurringEventRecurrenceUpdateExceptionTest).
    const kept = await call('PUT', `${REST}/calendarevents/${series.id}`, {
      recurrence: { ...series.recurrence, occurrences: 5 },
      notifyAttendees: 'none',
    });
    expect(kept.status).toBe(200);
    expect(t.oro.calendar.events('11')).toHaveLength(3);
    const put = await call('PUT', `${REST}/calendarevents/${series.id}`, {
      recurrence: { ...series.recurrence, occurrences: 4 },
      updateExceptions: true,
      notifyAttendees: 'none',
    });
    expect(put.status).toBe(200);
    expect(t.oro.calendar.events('11')).toHaveLength(1);
    expect((await call('DELETE', `${REST}/calendarevents/${series.id}?notifyAttendees=none`)).status).toBe(
      204,
    );
    expect((await call('GET', `${REST}/calendarevents/${series.id}`)).status).toBe(404);
    expect((await call('DELETE', `${REST}/calendarevents/${series.id}`)).status).toBe(404);
  });

  it('lists none of a calendar its owner hid over start/end, and every row of it page by page', async () => {
    // UserCalendarProvider::getCalendarEvents: `c.id IN (:visibleIds)` over the visible
    // connections of CalendarPropertyProvider::getItemsVisibility, else `1 = 0`.
    const cal = t.oro.calendar.defaultCalendar('12');
    const e = t.oro.calendar.createEvent('12', {
      title: 'Hidden',
      start: '2026-06-01T07:00:00Z',
      end: '2026-06-01T08:00:00Z',
    });
    const range = `start=${encodeURIComponent('2026-06-01T00:00:00Z')}&end=${encodeURIComponent('2026-07-01T00:00:00Z')}`;
    const ids = async (query: string) =>
      (await call<Row[]>('GET', `${REST}/calendarevents?calendar=${cal}&${query}`)).body.map((r) => r.id);
    expect(await ids(range)).toEqual([e.id]);
    t.oro.calendar.setCalendarVisible('12', false);
    try {
      expect(await ids(range)).toEqual([]);
      expect(await ids('page=1&limit=10')).toEqual([e.id]);
    } finally {
      t.oro.calendar.setCalendarVisible('12', true);
    }
    expect(await ids(range)).toEqual([e.id]);
  });
});
