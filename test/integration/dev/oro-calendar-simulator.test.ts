import { startOroSimulator, type OroSimulator } from '../../../dev/oro/simulator';

/** The part of a created row (or a PUT's answer) these tests read. */
interface Row {
  id: number;
  uid: string;
}
/** FOSRestBundle's form error tree, as Oro answers a 400. */
interface FormErrors {
  errors?: string[];
  children: Record<string, FormErrors>;
}
interface Invalid {
  message: string;
  errors: FormErrors;
}

/** The Oro simulator's calendar endpoints over real HTTP, as the adapter sees them. */
describe('Oro simulator: calendar events (REST), as stock Oro 6.1 answers them', () => {
  let oro: OroSimulator;
  let clock = Date.parse('2026-05-01T10:00:00Z');
  let token = '';
  const REST = '/api/rest/latest';

  const call = async <T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    type = 'application/json',
  ) => {
    const res = await fetch(`${oro.url}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'Content-Type': type }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      body: (text ? JSON.parse(text) : undefined) as T,
    };
  };

  beforeAll(async () => {
    oro = await startOroSimulator({ clock: () => clock });
    oro.registerClient('sync', 'pw');
  });
  // Tests move the simulator's clock; a fresh token each time keeps requests authorized.
  beforeEach(async () => {
    const res = await fetch(`${oro.url}/oauth2-token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'sync', client_secret: 'pw' }),
    });
    token = ((await res.json()) as { access_token: string }).access_token;
  });
  afterAll(() => oro.close());

  it("has no calendars in its JSON:API (stock Oro); REST calendars/default answers the caller's own", async () => {
    oro.calendar.defaultCalendar('7');
    // OroCalendarBundle Resources/config/oro/api.yml has Calendar commented out: Oro's
    // answer for a resource that is not accessible (oroinc/platform ApiBundle tests).
    const found = await call('GET', '/api/calendars?filter%5Bowner%5D=7');
    expect(found.status).toBe(404);
    expect(found.type).toContain('application/vnd.api+json');
    expect(found.body).toEqual({
      errors: [
        {
          status: '404',
          title: 'resource not accessible exception',
          detail: 'The resource is not accessible.',
        },
      ],
    });
    // CalendarController::getDefaultAction: the calling user's calendar only.
    const own = await call('GET', `${REST}/calendars/default`);
    expect(own.body).toEqual({
      calendar: oro.calendar.defaultCalendar('1'),
      owner: 1,
      calendarName: 'User 1',
    });
  });

  it('plays an instance that exposes calendars over JSON:API when asked to', async () => {
    const open = await startOroSimulator({ clock: () => clock, calendarsJsonApi: true });
    try {
      open.registerClient('sync', 'pw');
      const res = await fetch(`${open.url}/oauth2-token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'sync',
          client_secret: 'pw',
        }),
      });
      const bearer = ((await res.json()) as { access_token: string }).access_token;
      const cal = open.calendar.defaultCalendar('7');
      open.calendar.defaultCalendar('8');
      const found = await fetch(`${open.url}/api/calendars?filter%5Bowner%5D=7`, {
        headers: { Authorization: `Bearer ${bearer}` },
      });
      expect(found.status).toBe(200);
      expect(((await found.json()) as { data: unknown[] }).data).toEqual([
        expect.objectContaining({
          type: 'calendars',
          id: String(cal),
          relationships: { owner: { data: { type: 'users', id: '7' } } },
        }),
      ]);
    } finally {
      await open.close();
    }
  });

  it('creates with or without a uid, answers id, uid, invitation and organizer fields, and refuses a used uid', async () => {
    const calendar = oro.calendar.defaultCalendar('7');
    oro.calendar.setUser('7', { email: 'john@oro.example', name: 'John Doe' });
    const body = {
      calendar,
      title: 'Review',
      start: '2026-05-04T09:00:00Z',
      end: '2026-05-04T10:00:00Z',
      allDay: false,
      uid: 'link-1',
      notifyAttendees: 'none',
    };
    const created = await call<Row>('POST', `${REST}/calendarevents`, body);
    expect(created.status).toBe(201);
    // BasicCrudTest::getResponseArray
    expect(created.body).toEqual({
      id: expect.any(Number) as unknown,
      uid: 'link-1',
      invitationStatus: 'none',
      editableInvitationStatus: false,
      organizerEmail: 'john@oro.example',
      organizerDisplayName: 'John Doe',
      organizerUserId: 7,
    });
    const again = await call('POST', `${REST}/calendarevents`, body);
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({
      code: 400,
      message: 'Validation Failed',
      errors: { children: { uid: { errors: ['This value is already used.'] } } },
    });
    const generated = await call<Row>('POST', `${REST}/calendarevents`, { ...body, uid: undefined });
    expect(generated.body.uid).toMatch(/^[0-9a-f-]{36}$/);

    const read = await call('GET', `${REST}/calendarevents/${created.body.id}`);
    expect(read.body).toMatchObject({
      id: created.body.id,
      calendar,
      start: '2026-05-04T09:00:00+00:00',
      end: '2026-05-04T10:00:00+00:00',
      createdAt: '2026-05-01T10:00:00+00:00',
      recurringEventId: null,
      isCancelled: false,
    });
    // A single event has no recurrence key at all (BasicCrudTest's GET key set).
    expect(read.body).not.toHaveProperty('recurrence');
  });

  it('PUT merges the fields it is given, answers 200 without the id, and keeps the uid', async () => {
    const e = oro.calendar.createEvent('7', {
      title: 'A',
      description: 'kept',
      start: '2026-05-05T09:00:00Z',
      end: '2026-05-05T09:30:00Z',
    });
    clock += 60_000;
    const put = await call<Partial<Row>>('PUT', `${REST}/calendarevents/${e.id}`, {
      title: 'B',
      notifyAttendees: 'none',
    });
    expect(put.status).toBe(200);
    expect(put.body.id).toBeUndefined();
    expect(oro.calendar.event(e.id)).toMatchObject({
      title: 'B',
      description: 'kept',
      updatedAt: '2026-05-01T10:01:00+00:00',
    });
    const uid = await call('PUT', `${REST}/calendarevents/${e.id}`, { uid: 'other' });
    expect(uid.status).toBe(400);
    expect(oro.calendar.event(e.id)?.uid).toBe(e.uid);
    expect((await call('PUT', `${REST}/calendarevents/999999`, { title: 'x' })).status).toBe(404);
    expect(
      (await call('PUT', `${REST}/calendarevents/${e.id}`, { title: 'x' }, 'application/vnd.api+json'))
        .status,
    ).toBe(415);
  });

  it('refuses bad fields and recurrences with Oro form errors, changing nothing', async () => {
    const calendar = oro.calendar.defaultCalendar('9');
    const before = oro.calendar.events('9').length;
    const base = {
      calendar,
      title: 'R',
      start: '2026-05-04T09:00:00Z',
      end: '2026-05-04T10:00:00Z',
      allDay: false,
    };
    const cases: [unknown, string][] = [
      [
        {
          ...base,
          recurrence: { recurrenceType: 'hourly', interval: 1, startTime: base.start, timeZone: 'UTC' },
        },
        'recurrenceType',
      ],
      [
        {
          ...base,
          recurrence: {
            recurrenceType: 'weekly',
            interval: 1,
            dayOfWeek: [],
            startTime: base.start,
            timeZone: 'UTC',
          },
        },
        'dayOfWeek',
      ],
      [
        {
          ...base,
          recurrence: {
            recurrenceType: 'yearly',
            interval: 5,
            dayOfMonth: 4,
            monthOfYear: 5,
            startTime: base.start,
            timeZone: 'UTC',
          },
        },
        'interval',
      ],
      [
        {
          ...base,
          recurrence: {
            recurrenceType: 'monthnth',
            interval: 1,
            instance: 7,
            dayOfWeek: ['monday'],
            startTime: base.start,
            timeZone: 'UTC',
          },
        },
        'instance',
      ],
      [
        {
          ...base,
          recurrence: { recurrenceType: 'daily', interval: 1, startTime: base.start, timeZone: 'Mars/Base' },
        },
        'timeZone',
      ],
    ];
    for (const [body, field] of cases) {
      const res = await call<Invalid>('POST', `${REST}/calendarevents`, body);
      expect(res.status).toBe(400);
      expect(res.body.errors.children.recurrence!.children[field]!.errors).toHaveLength(1);
    }
    const blank = await call<Invalid>('POST', `${REST}/calendarevents`, { ...base, title: ' ' });
    expect(blank.body.errors.children.title).toEqual({ errors: ['This value should not be blank.'] });
    const extra = await call<Invalid>('POST', `${REST}/calendarevents`, { ...base, colour: 'red' });
    expect(extra.body.errors.children.colour).toBeDefined();
    const backwards = await call('POST', `${REST}/calendarevents`, { ...base, end: '2026-05-04T08:00:00Z' });
    expect(backwards.status).toBe(400);
    expect(oro.calendar.events('9')).toHaveLength(before);
  });

  it('lists rows by updatedAt> (operator in place of =), page + limit and recurringEventId', async () => {
    const cal = oro.calendar.defaultCalendar('10');
    const old = oro.calendar.createEvent('10', {
      title: 'old',
      start: '2026-05-04T09:00:00Z',
      end: '2026-05-04T10:00:00Z',
    });
    clock += 10_000;
    const fresh = Array.from({ length: 3 }, (_, i) =>
      oro.calendar.createEvent('10', {
        title: `new ${i}`,
        start: '2026-05-04T09:00:00Z',
        end: '2026-05-04T10:00:00Z',
      }),
    );
    const since = encodeURIComponent(new Date(clock - 5_000).toISOString().replace('.000Z', '+00:00'));
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
    const cal = oro.calendar.defaultCalendar('11');
    const series = oro.calendar.createEvent('11', {
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
    const moved = oro.calendar.createException(series.id, {
      originalStart: '2026-06-03T07:00:00Z',
      start: '2026-06-03T09:00:00Z',
      end: '2026-06-03T09:15:00Z',
      title: 'Standup (late)',
    });
    const cancelled = oro.calendar.createException(series.id, {
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
    expect(oro.calendar.events('11')).toHaveLength(3);
    const put = await call('PUT', `${REST}/calendarevents/${series.id}`, {
      recurrence: { ...series.recurrence, occurrences: 4 },
      updateExceptions: true,
      notifyAttendees: 'none',
    });
    expect(put.status).toBe(200);
    expect(oro.calendar.events('11')).toHaveLength(1);
    expect((await call('DELETE', `${REST}/calendarevents/${series.id}?notifyAttendees=none`)).status).toBe(
      204,
    );
    expect((await call('GET', `${REST}/calendarevents/${series.id}`)).status).toBe(404);
    expect((await call('DELETE', `${REST}/calendarevents/${series.id}`)).status).toBe(404);
  });

  it('lists none of a calendar its owner hid over start/end, and every row of it page by page', async () => {
    // UserCalendarProvider::getCalendarEvents: `c.id IN (:visibleIds)` over the visible
    // connections of CalendarPropertyProvider::getItemsVisibility, else `1 = 0`.
    const cal = oro.calendar.defaultCalendar('12');
    const e = oro.calendar.createEvent('12', {
      title: 'Hidden',
      start: '2026-06-01T07:00:00Z',
      end: '2026-06-01T08:00:00Z',
    });
    const range = `start=${encodeURIComponent('2026-06-01T00:00:00Z')}&end=${encodeURIComponent('2026-07-01T00:00:00Z')}`;
    const ids = async (query: string) =>
      (await call<Row[]>('GET', `${REST}/calendarevents?calendar=${cal}&${query}`)).body.map((r) => r.id);
    expect(await ids(range)).toEqual([e.id]);
    oro.calendar.setCalendarVisible('12', false);
    try {
      expect(await ids(range)).toEqual([]);
      expect(await ids('page=1&limit=10')).toEqual([e.id]);
    } finally {
      oro.calendar.setCalendarVisible('12', true);
    }
    expect(await ids(range)).toEqual([e.id]);
  });

  it('counts the notifications a write without notifyAttendees=none would send', async () => {
    const cal = oro.calendar.defaultCalendar('12');
    const before = oro.calendar.notifications();
    const attendees = [{ displayName: 'Ann', email: 'ann@example.com', type: 'required' }];
    const base = {
      calendar: cal,
      title: 'Meet',
      start: '2026-05-04T09:00:00Z',
      end: '2026-05-04T10:00:00Z',
      allDay: false,
      attendees,
    };
    const quiet = await call<Row>('POST', `${REST}/calendarevents`, { ...base, notifyAttendees: 'none' });
    await call('PUT', `${REST}/calendarevents/${quiet.body.id}`, {
      title: 'Meet 2',
      notifyAttendees: 'none',
    });
    await call('DELETE', `${REST}/calendarevents/${quiet.body.id}?notifyAttendees=none`);
    expect(oro.calendar.notifications()).toBe(before);
    const loud = await call<Row>('POST', `${REST}/calendarevents`, base);
    await call('PUT', `${REST}/calendarevents/${loud.body.id}`, { title: 'Meet 3' });
    await call('DELETE', `${REST}/calendarevents/${loud.body.id}`);
    expect(oro.calendar.notifications()).toBe(before + 3);
  });
});
