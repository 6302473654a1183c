import { startOroSimulator } from '../../../dev/oro/simulator';
import type { Row, Invalid } from '../../support/oro-simulator-rows';
import { useOroRestSimulator } from '../../support/oro-rest';

/** The Oro simulator's calendar endpoints over real HTTP, as the adapter sees them. */
describe('Oro simulator: calendar events (REST), as stock Oro 6.1 answers them', () => {
  const t = useOroRestSimulator(Date.parse('2026-05-01T10:00:00Z'));
  const { call } = t;
  const REST = '/api/rest/latest';

  it("has no calendars in its JSON:API (stock Oro); REST calendars/default answers the caller's own", async () => {
    t.oro.calendar.defaultCalendar('7');
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
      calendar: t.oro.calendar.defaultCalendar('1'),
      owner: 1,
      calendarName: 'User 1',
    });
  });

  it('plays an instance that exposes calendars over JSON:API when asked to', async () => {
    const open = await startOroSimulator({ clock: () => t.clock, calendarsJsonApi: true });
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
    const calendar = t.oro.calendar.defaultCalendar('7');
    t.oro.calendar.setUser('7', { email: 'john@t.oro.example', name: 'John Doe' });
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
      organizerEmail: 'john@t.oro.example',
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
    const e = t.oro.calendar.createEvent('7', {
      title: 'A',
      description: 'kept',
      start: '2026-05-05T09:00:00Z',
      end: '2026-05-05T09:30:00Z',
    });
    t.clock += 60_000;
    const put = await call<Partial<Row>>('PUT', `${REST}/calendarevents/${e.id}`, {
      title: 'B',
      notifyAttendees: 'none',
    });
    expect(put.status).toBe(200);
    expect(put.body.id).toBeUndefined();
    expect(t.oro.calendar.event(e.id)).toMatchObject({
      title: 'B',
      description: 'kept',
      updatedAt: '2026-05-01T10:01:00+00:00',
    });
    const uid = await call('PUT', `${REST}/calendarevents/${e.id}`, { uid: 'other' });
    expect(uid.status).toBe(400);
    expect(t.oro.calendar.event(e.id)?.uid).toBe(e.uid);
    expect((await call('PUT', `${REST}/calendarevents/999999`, { title: 'x' })).status).toBe(404);
    expect(
      (await call('PUT', `${REST}/calendarevents/${e.id}`, { title: 'x' }, 'application/vnd.api+json'))
        .status,
    ).toBe(415);
  });

  it('refuses bad fields and recurrences with Oro form errors, changing nothing', async () => {
    const calendar = t.oro.calendar.defaultCalendar('9');
    const before = t.oro.calendar.events('9').length;
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
    expect(t.oro.calendar.events('9')).toHaveLength(before);
  });

  it('counts the notifications a write without notifyAttendees=none would send', async () => {
    const cal = t.oro.calendar.defaultCalendar('12');
    const before = t.oro.calendar.notifications();
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
    expect(t.oro.calendar.notifications()).toBe(before);
    const loud = await call<Row>('POST', `${REST}/calendarevents`, base);
    await call('PUT', `${REST}/calendarevents/${loud.body.id}`, { title: 'Meet 3' });
    await call('DELETE', `${REST}/calendarevents/${loud.body.id}`);
    expect(t.oro.calendar.notifications()).toBe(before + 3);
  });
});
