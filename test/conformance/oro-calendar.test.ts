import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startOroSimulator, type OroSimulator } from '../../dev/oro/simulator';
import { OroCalendarSide } from '../../shared/oro/calendar-side';
import { OroClient, OroTokenCache } from '../../shared/oro/client';
import type { EventFields } from '../../shared/sync/calendar/event-mapping';

/**
 * Conformance of the Oro calendar REST API: published request/response examples, our own
 * transcriptions of OroCalendarBundle's functional tests and source (each case names its
 * file), replayed against the simulator (dev/oro) and, served verbatim by a stand-in HTTP
 * server, against the adapter (shared/oro/calendar-side.ts).
 *
 * "Billy Wilf <foo_user_1@example.com>" is the fixtures' foo_user_1
 * (OroCalendarBundle Tests/Functional/DataFixtures/LoadUserData.php), who makes the calls.
 */

const REST = '/api/rest/latest';
const ORO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/;
/** BasicCrudTest::getResponseArray: what POST answers (PUT: the same without `id`). */
const WRITE_KEYS = [
  'editableInvitationStatus',
  'id',
  'invitationStatus',
  'organizerDisplayName',
  'organizerEmail',
  'organizerUserId',
  'uid',
];
/** BasicCrudTest::testCreateRegularCalendarEventWithMinimalRequiredData, step 2: GET of a single event. */
const GET_KEYS = [
  'allDay',
  'attendees',
  'backgroundColor',
  'calendar',
  'createdAt',
  'description',
  'editable',
  'editableInvitationStatus',
  'end',
  'id',
  'invitationStatus',
  'isCancelled',
  'isOrganizer',
  'organizerDisplayName',
  'organizerEmail',
  'organizerUserId',
  'originalStart',
  'parentEventId',
  'recurringEventId',
  'removable',
  'start',
  'title',
  'uid',
  'updatedAt',
];
const FORM_CHILDREN = [
  'allDay',
  'attendees',
  'backgroundColor',
  'calendar',
  'calendarAlias',
  'createdAt',
  'contexts',
  'description',
  'end',
  'id',
  'uid',
  'isCancelled',
  'notifyAttendees',
  'originalStart',
  'recurrence',
  'recurringEventId',
  'reminders',
  'start',
  'title',
  'updateExceptions',
  'organizerDisplayName',
  'organizerEmail',
];
const RECURRENCE_CHILDREN = [
  'dayOfMonth',
  'dayOfWeek',
  'endTime',
  'instance',
  'interval',
  'monthOfYear',
  'occurrences',
  'recurrenceType',
  'startTime',
  'timeZone',
];
/** ValidationFailedTest::getValidationFailedResponse: every child listed, errors where refused. */
function validationFailed(children: Record<string, string[]>, recurrence: Record<string, string[]> = {}) {
  const all: Record<string, unknown> = Object.fromEntries(
    FORM_CHILDREN.map((k) => [k, children[k] ? { errors: children[k] } : []]),
  );
  all.recurrence = {
    children: Object.fromEntries(
      RECURRENCE_CHILDREN.map((k) => [k, recurrence[k] ? { errors: recurrence[k] } : []]),
    ),
  };
  return { code: 400, message: 'Validation Failed', errors: { children: all } };
}

type Json = Record<string, unknown>;

describe('Oro calendar REST API: the simulator answers as the published examples', () => {
  let clock = Date.parse('2016-10-14T21:00:00Z');
  let oro: OroSimulator;
  let token = '';
  let calendar = 0;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${oro.url}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      body: (text ? JSON.parse(text) : undefined) as unknown,
    };
  };
  const list = async (query: string) => (await call('GET', `${REST}/calendarevents?${query}`)).body as Json[];

  beforeAll(async () => {
    oro = await startOroSimulator({ clock: () => clock });
    oro.registerClient('sync', 'pw');
    oro.calendar.setUser('1', { email: 'foo_user_1@example.com', name: 'Billy Wilf' });
    calendar = oro.calendar.defaultCalendar('1');
    const res = await fetch(`${oro.url}/oauth2-token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'sync', client_secret: 'pw' }),
    });
    token = ((await res.json()) as { access_token: string }).access_token;
  });
  afterAll(() => oro.close());

  it('BasicCrudTest.php, testCreateRegularCalendarEventWithMinimalRequiredData: POST and GET key sets, formats', async () => {
    const created = await call('POST', `${REST}/calendarevents`, {
      title: 'Regular event',
      start: '2016-10-14T22:00:00+00:00',
      end: '2016-10-14T23:00:00+00:00',
      createdAt: '2016-10-14T21:00:00+00:00',
      updatedAt: '2016-10-14T21:30:00+00:00',
      calendar,
      allDay: false,
    });
    expect(created.status).toBe(201);
    expect(created.type).toContain('application/json');
    const post = created.body as Json;
    expect(Object.keys(post).sort()).toEqual(WRITE_KEYS);
    expect(post).toMatchObject({
      id: expect.any(Number) as unknown,
      invitationStatus: 'none',
      editableInvitationStatus: false,
      organizerDisplayName: 'Billy Wilf',
      organizerEmail: 'foo_user_1@example.com',
    });
    expect(Number.isInteger(post.id)).toBe(true);

    const read = await call('GET', `${REST}/calendarevents/${String(post.id)}`);
    expect(read.status).toBe(200);
    const got = read.body as Json;
    expect(Object.keys(got).sort()).toEqual(GET_KEYS);
    expect(got).toMatchObject({
      id: post.id,
      uid: post.uid,
      calendar,
      parentEventId: null,
      title: 'Regular event',
      description: null,
      start: '2016-10-14T22:00:00+00:00',
      end: '2016-10-14T23:00:00+00:00',
      allDay: false,
      attendees: [],
      editable: true,
      editableInvitationStatus: false,
      removable: true,
      backgroundColor: null,
      invitationStatus: 'none',
      recurringEventId: null,
      originalStart: null,
      isCancelled: false,
      createdAt: '2016-10-14T21:00:00+00:00',
    });
    expect(got.updatedAt).toMatch(ORO_DATE);
  });

  it('BasicCrudTest.php, testUpdateRecurrenceDataOfRecurringCalendarEventChangesUpdatedAtField: PUT answers without the id', async () => {
    const recurrence = {
      timeZone: 'UTC',
      recurrenceType: 'daily',
      interval: 1,
      startTime: '2016-10-14T22:00:00+00:00',
      occurrences: 4,
    };
    const created = await call('POST', `${REST}/calendarevents`, {
      title: 'Recurring event',
      start: '2016-10-14T22:00:00+00:00',
      end: '2016-10-14T23:00:00+00:00',
      calendar,
      allDay: false,
      recurrence,
    });
    expect(created.status).toBe(201);
    const id = (created.body as Json).id as number;
    const before = ((await call('GET', `${REST}/calendarevents/${id}`)).body as Json).updatedAt as string;
    clock += 1000; // "Wait for 1 second."
    const put = await call('PUT', `${REST}/calendarevents/${id}`, {
      recurrence: { ...recurrence, interval: 2 },
    });
    expect(put.status).toBe(200);
    expect(Object.keys(put.body as Json).sort()).toEqual(WRITE_KEYS.filter((k) => k !== 'id'));
    const after = (await call('GET', `${REST}/calendarevents/${id}`)).body as Json;
    expect(Date.parse(after.updatedAt as string) - Date.parse(before)).toBeGreaterThanOrEqual(1000);
    // A series' GET carries its recurrence (RestCalendarEventWithRecurrentEventTest.php:
    // `$result['recurrence']['id']`), the zone spelt as UserCalendarEventNormalizer::serializeRecurrence does.
    expect(after.recurrence).toMatchObject({
      id: expect.any(Number) as unknown,
      recurrenceType: 'daily',
      interval: 2,
      startTime: '2016-10-14T22:00:00+00:00',
      occurrences: 4,
      timezone: 'UTC',
    });
  });

  it('BasicCrudTest.php, testCheckIfCalendarIdIsValidated: a create without calendar lands in the caller’s', async () => {
    const res = await call('POST', `${REST}/calendarevents`, {
      title: 'Event withouth calendar set',
      start: '2016-10-14T22:00:00+00:00',
      end: '2016-10-14T23:00:00+00:00',
      allDay: false,
    });
    expect(res.status).toBe(201);
    expect(oro.calendar.event((res.body as Json).id as number)?.calendar).toBe(calendar);
  });

  it('ValidationFailedTest.php, testNotifyAttendeesValidationRejectRequestIfNotificationStrategyIsUnknown: the whole form-error document', async () => {
    const res = await call('POST', `${REST}/calendarevents`, {
      title: 'Recurring event',
      start: '2016-10-14T22:00:00+00:00',
      end: '2016-10-14T23:00:00+00:00',
      recurrence: [],
      notifyAttendees: 'unknown_notification_strategy',
      calendar,
    });
    expect(res.status).toBe(400);
    expect(res.type).toContain('application/json');
    expect(res.body).toEqual(
      validationFailed({ notifyAttendees: ['The value you selected is not a valid choice.'] }),
    );
  });

  const startTime = '2016-10-14T22:00:00+00:00';
  it.each([
    [
      'recurrenceType is invalid',
      { interval: 1, startTime, timeZone: 'UTC', recurrenceType: 'unknown' },
      { recurrenceType: ['The selected choice is invalid.'] },
    ],
    [
      'endTime greater then startTime',
      {
        recurrenceType: 'daily',
        timeZone: 'UTC',
        interval: 1,
        startTime,
        endTime: '2016-10-13T22:00:00+00:00',
      },
      { endTime: [`This value should be ${startTime} or more.`] },
    ],
    [
      'endTime has wrong type',
      { recurrenceType: 'daily', timeZone: 'UTC', interval: 1, startTime, endTime: 'string' },
      { endTime: ['Please enter a valid date and time.'] },
    ],
    [
      'occurrences is too big',
      { recurrenceType: 'daily', timeZone: 'UTC', interval: 1, startTime, occurrences: 1000 },
      { occurrences: ['This value should be between 1 and 999.'] },
    ],
    [
      'interval is too big for daily recurrence type',
      { recurrenceType: 'daily', timeZone: 'UTC', interval: 100, startTime },
      { interval: ['This value should be 99 or less.'] },
    ],
    [
      'interval is not multiple of 12 for yearly recurrence type',
      { recurrenceType: 'yearly', dayOfMonth: 1, monthOfYear: 1, timeZone: 'UTC', interval: 1, startTime },
      { interval: ['This value should be a multiple of 12.'] },
    ],
    [
      'timeZone is invalid',
      { recurrenceType: 'daily', interval: 1, startTime, timeZone: 'unknown' },
      { timeZone: ['Please select a valid timezone.'] },
    ],
  ])(
    'AbstractValidationErrorTestCase.php, recurrenceValidationFailedDataProvider "%s" (ValidationFailedTest.php)',
    async (_name, recurrence, errors) => {
      const res = await call('POST', `${REST}/calendarevents`, {
        title: 'Recurring event',
        start: '2016-10-14T22:00:00+00:00',
        end: '2016-10-14T23:00:00+00:00',
        recurrence,
        calendar,
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(validationFailed({}, errors));
    },
  );

  /** Recurring event with occurrences 2016-04-25, 05-08, 05-09, 05-22; a cancelled and a changed exception. */
  async function seriesWithExceptions() {
    const eventData = {
      title: 'Test Recurring Event',
      description: 'Test Recurring Event Description',
      allDay: false,
      calendar,
      start: '2016-04-25T01:00:00+00:00',
      end: '2016-04-25T02:00:00+00:00',
      recurrence: {
        timeZone: 'UTC',
        recurrenceType: 'weekly',
        interval: 2,
        dayOfWeek: ['sunday', 'monday'],
        startTime: '2016-04-25T01:00:00+00:00',
        occurrences: 4,
        endTime: '2016-06-10T01:00:00+00:00',
      },
      notifyAttendees: 'all',
    };
    const series = (await call('POST', `${REST}/calendarevents`, eventData)).body as { id: number };
    const cancelled = (
      await call('POST', `${REST}/calendarevents`, {
        isCancelled: true,
        title: 'Test Recurring Event',
        description: 'Test Recurring Event Description',
        allDay: false,
        calendar,
        start: '2016-05-09T01:00:00+00:00',
        end: '2016-05-09T02:00:00+00:00',
        recurringEventId: series.id,
        originalStart: '2016-05-09T01:00:00+00:00',
      })
    ).body as { id: number };
    const changed = (
      await call('POST', `${REST}/calendarevents`, {
        title: 'Test Recurring Event Changed',
        description: 'Test Recurring Event Description',
        allDay: false,
        calendar,
        start: '2016-05-22T03:00:00+00:00',
        end: '2016-05-22T05:00:00+00:00',
        recurringEventId: series.id,
        originalStart: '2016-05-22T01:00:00+00:00',
      })
    ).body as { id: number };
    return { eventData, series: series.id, cancelled: cancelled.id, changed: changed.id };
  }
  const RANGE = `calendar=%C&start=2016-04-01T01:00:00%2B00:00&end=2016-06-01T01:00:00%2B00:00&subordinate=true`;
  const base = {
    title: 'Test Recurring Event',
    description: 'Test Recurring Event Description',
    allDay: false,
  };

  it('RecurringEventRecurrenceUpdateExceptionTest.php, testRemoveRecurringEventRecurrenceDoesntClearExceptionsWhenUpdateExceptionIsFalse: orphaned exceptions are listed on their own', async () => {
    const s = await seriesWithExceptions();
    const range = RANGE.replace('%C', String(calendar));
    // Step 4: the cancelled exception hides its occurrence, the changed one replaces its own.
    expect(await list(range)).toEqual([
      expect.objectContaining({
        id: s.series,
        ...base,
        calendar,
        start: '2016-04-25T01:00:00+00:00',
        end: '2016-04-25T02:00:00+00:00',
      }),
      expect.objectContaining({
        id: s.series,
        ...base,
        calendar,
        start: '2016-05-08T01:00:00+00:00',
        end: '2016-05-08T02:00:00+00:00',
      }),
      expect.objectContaining({
        id: s.changed,
        isCancelled: false,
        ...base,
        title: 'Test Recurring Event Changed',
        calendar,
        recurringEventId: s.series,
        originalStart: '2016-05-22T01:00:00+00:00',
        start: '2016-05-22T03:00:00+00:00',
        end: '2016-05-22T05:00:00+00:00',
      }),
    ]);
    // Step 5: the recurrence removed, updateExceptions false.
    const put = await call('PUT', `${REST}/calendarevents/${s.series}`, {
      ...s.eventData,
      recurrence: null,
      updateExceptions: false,
    });
    expect(put.status).toBe(200);
    // Step 6: the single event, and both exceptions as items of their own, the cancelled one included.
    expect(await list(range)).toEqual([
      expect.objectContaining({
        id: s.series,
        ...base,
        calendar,
        start: '2016-04-25T01:00:00+00:00',
        end: '2016-04-25T02:00:00+00:00',
      }),
      expect.objectContaining({
        id: s.cancelled,
        isCancelled: true,
        ...base,
        calendar,
        recurringEventId: s.series,
        originalStart: '2016-05-09T01:00:00+00:00',
        start: '2016-05-09T01:00:00+00:00',
        end: '2016-05-09T02:00:00+00:00',
      }),
      expect.objectContaining({ id: s.changed, isCancelled: false, recurringEventId: s.series }),
    ]);
    // Every row of a start/end listing is the user provider's (CalendarManager::getCalendarEvents).
    expect((await list(range)).every((r) => r.calendarAlias === 'user')).toBe(true);
  });

  it('RecurringEventRecurrenceUpdateExceptionTest.php, testUpdateRecurringEventRecurrenceClearsExceptionsWhenUpdateExceptionsIsTrue', async () => {
    const s = await seriesWithExceptions();
    const put = await call('PUT', `${REST}/calendarevents/${s.series}`, {
      ...s.eventData,
      recurrence: { ...s.eventData.recurrence, occurrences: 3, endTime: null },
      updateExceptions: true,
    });
    expect(put.status).toBe(200);
    const rows = (await list(RANGE.replace('%C', String(calendar)))).filter(
      (r) => r.id === s.series || r.recurringEventId === s.series,
    );
    expect(rows.map((r) => [r.id, r.start])).toEqual([
      [s.series, '2016-04-25T01:00:00+00:00'],
      [s.series, '2016-05-08T01:00:00+00:00'],
      [s.series, '2016-05-09T01:00:00+00:00'],
    ]);
    expect(oro.calendar.event(s.cancelled)).toBeUndefined();
    expect(oro.calendar.event(s.changed)).toBeUndefined();
  });

  it('CalendarEventController.php cgetAction and CalendarEventRepository::addRecurringEventFilter: recurringEventId lists the series too; paging needs page and limit', async () => {
    const s = await seriesWithExceptions();
    const rows = await list(`calendar=${calendar}&page=1&limit=10&recurringEventId=${s.series}`);
    expect(rows.map((r) => r.id).sort((a, b) => Number(a) - Number(b))).toEqual([
      s.series,
      s.cancelled,
      s.changed,
    ]);
    // List rows name the recurrence's zone timeZone (applyItemRecurrence of recurrence* columns).
    expect(rows.find((r) => r.id === s.series)?.recurrence).toMatchObject({
      timeZone: 'UTC',
      recurrenceType: 'weekly',
    });
    const neither = await call('GET', `${REST}/calendarevents?calendar=${calendar}`);
    expect(neither.status).toBe(400);
    expect(neither.body).toEqual({
      code: 400,
      message:
        'Time interval ("start" and "end") or paging ("page" and "limit") parameters should be specified.',
    });
  });

  it('OroCRMTaskBundle TaskCalendarProvider.php and TaskCalendarNormalizer.php: the caller’s tasks join a start/end listing', async () => {
    const task = oro.createTask('1', {
      subject: 'Call back',
      description: null,
      dueDate: '2016-10-20T10:00:00Z',
    });
    oro.createTask('2', { subject: 'Someone else’s', dueDate: '2016-10-20T10:00:00Z' });
    const rows = await list(`calendar=${calendar}&start=2016-10-01T00:00:00Z&end=2016-11-01T00:00:00Z`);
    const tasks = rows.filter((r) => r.calendarAlias === 'tasks');
    expect(tasks).toEqual([
      {
        calendar: 1,
        id: Number(task.id),
        title: 'Call back',
        description: null,
        start: '2016-10-20T10:00:00+00:00',
        end: '2016-10-20T10:30:00+00:00',
        allDay: false,
        createdAt: expect.stringMatching(ORO_DATE) as unknown,
        updatedAt: expect.stringMatching(ORO_DATE) as unknown,
        editable: false,
        removable: false,
        calendarAlias: 'tasks',
      },
    ]);
  });

  it('Resources/config/oro/api.yml (Calendar commented out) and CalendarController.php getDefaultAction', async () => {
    const jsonApi = await call('GET', '/api/calendars?filter%5Bowner%5D=2');
    expect(jsonApi.status).toBe(404);
    expect(jsonApi.type).toContain('application/vnd.api+json');
    expect(jsonApi.body).toEqual({
      errors: [
        {
          status: '404',
          title: 'resource not accessible exception',
          detail: 'The resource is not accessible.',
        },
      ],
    });
    const own = await call('GET', `${REST}/calendars/default`);
    expect(own.body).toEqual({ calendar, owner: 1, calendarName: 'Billy Wilf' });
  });
});

/**
 * The adapter against the same published documents, served verbatim by a stand-in HTTP
 * server: what it reads from them and what it sends.
 */
describe('Oro calendar REST API: the adapter reads and writes as the published examples', () => {
  const CAL = 12;
  /** Answers by "METHOD path?query" (query as sent); requests are recorded. */
  let routes = new Map<string, { status: number; body?: unknown }>();
  const requests: { method: string; url: string; body: unknown }[] = [];
  let base = '';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const url = req.url ?? '/';
      const json = (req.headers['content-type'] ?? '').includes('json');
      requests.push({
        method: req.method ?? 'GET',
        url,
        body: raw && json ? (JSON.parse(raw) as unknown) : raw,
      });
      if (url === '/oauth2-token') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ token_type: 'Bearer', expires_in: 3600, access_token: 't' }));
        return;
      }
      const path = decodeURIComponent(url.split('&page=')[0]!.replace(/&limit=\d+/, ''));
      const hit = routes.get(`${req.method} ${path}`) ?? routes.get(`${req.method} ${url.split('?')[0]}*`);
      res.writeHead(hit?.status ?? 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(hit?.body ?? { code: 404, message: 'Not Found' }));
    });
  });
  const side = () =>
    new OroCalendarSide(
      new OroClient({ baseUrl: base, clientId: 'c', clientSecret: 's' }, new OroTokenCache(), {
        timeoutMs: 3_000,
      }),
      '34',
      {
        calendarId: CAL,
        now: () => new Date('2016-05-01T00:00:00Z'),
        window: { pastDays: 30, futureDays: 60 },
      },
    );

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, resolve));
    base = `http://localhost:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    routes = new Map();
    requests.length = 0;
  });

  /** A list row of the series of RecurringEventRecurrenceUpdateExceptionTest.php (repository columns). */
  const seriesRow = {
    id: 7,
    uid: 'b0e4ab72-5f3c-4f43-a3c5-57c3ab3c5a01',
    title: 'Test Recurring Event',
    description: 'Test Recurring Event Description',
    start: '2016-04-25T01:00:00+00:00',
    end: '2016-04-25T02:00:00+00:00',
    allDay: false,
    backgroundColor: null,
    createdAt: '2016-04-20T10:00:00+00:00',
    updatedAt: '2016-04-20T10:00:00+00:00',
    originalStart: null,
    recurringEventId: null,
    isCancelled: false,
    isOrganizer: true,
    organizerEmail: 'foo_user_1@example.com',
    organizerDisplayName: 'Billy Wilf',
    organizerUserId: 34,
    invitationStatus: 'none',
    parentEventId: null,
    calendar: CAL,
    attendees: [],
    editable: true,
    removable: true,
    editableInvitationStatus: false,
    recurrence: {
      recurrenceType: 'weekly',
      interval: 2,
      dayOfWeek: ['sunday', 'monday'],
      dayOfMonth: null,
      monthOfYear: null,
      startTime: '2016-04-25T01:00:00+00:00',
      endTime: '2016-06-10T01:00:00+00:00',
      occurrences: 4,
      instance: null,
      id: 3,
      timeZone: 'UTC',
    },
  };
  const changedRow = {
    ...seriesRow,
    id: 9,
    uid: 'b0e4ab72-5f3c-4f43-a3c5-57c3ab3c5a09',
    title: 'Test Recurring Event Changed',
    start: '2016-05-22T03:00:00+00:00',
    end: '2016-05-22T05:00:00+00:00',
    updatedAt: '2016-04-21T10:00:00+00:00',
    originalStart: '2016-05-22T01:00:00+00:00',
    recurringEventId: 7,
    recurrence: undefined,
  };

  it('completes a changed series from GET (recurrence "timezone") and its listing (the series row included)', async () => {
    const { recurrence, ...single } = seriesRow;
    const { timeZone, ...rest } = recurrence;
    // UserCalendarEventNormalizer::serializeRecurrence spells the zone "timezone".
    routes.set(`GET ${REST}/calendarevents/7`, {
      status: 200,
      body: { ...single, recurrence: { ...rest, timezone: timeZone } },
    });
    routes.set(`GET ${REST}/calendarevents?calendar=${CAL}&updatedAt>2016-04-21T00:00:00Z`, {
      status: 200,
      body: [changedRow],
    });
    routes.set(`GET ${REST}/calendarevents?calendar=${CAL}&recurringEventId=7`, {
      status: 200,
      body: [seriesRow, changedRow],
    });
    // The window listing (start/end) that a read with a watermark makes first.
    routes.set(`GET ${REST}/calendarevents*`, { status: 200, body: [] });
    const read = await side().read(
      JSON.stringify({ watermark: '2016-04-21T00:00:00Z', calendar: CAL }),
      new Set(),
    );
    const item = read.changes.find((c) => c.type === 'upsert');
    expect(item?.type === 'upsert' && item.item.id).toBe('7');
    const fields = (item as { item: { fields: EventFields } }).item.fields;
    expect(fields.recurrence).toMatchObject({
      pattern: 'weekly',
      interval: 2,
      timeZone: 'UTC',
      end: { type: 'count', count: 4 },
    });
    // The series row of the listing is not an exception at its own start.
    expect(fields.exceptions).toEqual([
      expect.objectContaining({
        originalStart: '2016-05-22T01:00:00Z',
        cancelled: false,
        start: '2016-05-22T03:00:00Z',
      }),
    ]);
  });

  it('reads a start/end listing of several providers and an orphan: a deletion under a task id is still seen', async () => {
    routes.set(`GET ${REST}/calendarevents?calendar=${CAL}&updatedAt>2016-04-21T00:00:00Z`, {
      status: 200,
      body: [],
    });
    // CalendarManager::getCalendarEvents: the user's rows, then the task provider's (id 5, calendar 1).
    routes.set(`GET ${REST}/calendarevents*`, {
      status: 200,
      body: [
        { ...seriesRow, calendarAlias: 'user' },
        {
          ...changedRow,
          id: 8,
          isCancelled: true,
          originalStart: '2016-05-09T01:00:00+00:00',
          calendarAlias: 'user',
        },
        {
          calendar: 1,
          id: 5,
          title: 'Call back',
          description: null,
          start: '2016-05-02T10:00:00+00:00',
          end: '2016-05-02T10:30:00+00:00',
          allDay: false,
          createdAt: '2016-04-20T10:00:00+00:00',
          updatedAt: '2016-04-20T10:00:00+00:00',
          editable: false,
          removable: false,
          calendarAlias: 'tasks',
        },
      ],
    });
    const read = await side().read(
      JSON.stringify({ watermark: '2016-04-21T00:00:00Z', calendar: CAL }),
      new Set(['5', '7']),
    );
    // Event 5 of the user's calendar is gone (404 on GET); the task with id 5 does not hide that.
    expect(read.changes).toEqual([{ type: 'delete', id: '5' }]);
  });

  it('makes one request while the start/end listing stays as the last full read saw it, and reads changes when it does not', async () => {
    routes.set(`GET ${REST}/calendarevents?calendar=${CAL}&updatedAt>2016-04-21T00:00:00Z`, {
      status: 200,
      body: [],
    });
    // AbstractRecurrenceAwareCalendarProvider::getExpandedRecurrences: occurrences are copies
    // of the series row at their start (its updatedAt included); the task provider's row.
    const occurrence = (start: string, end: string) => ({ ...seriesRow, start, end, calendarAlias: 'user' });
    const listing = [
      occurrence('2016-04-25T01:00:00+00:00', '2016-04-25T02:00:00+00:00'),
      occurrence('2016-05-09T01:00:00+00:00', '2016-05-09T02:00:00+00:00'),
      {
        calendar: 1,
        id: 5,
        title: 'Call back',
        start: '2016-05-02T10:00:00+00:00',
        end: '2016-05-02T10:30:00+00:00',
        allDay: false,
        updatedAt: '2016-04-30T10:00:00+00:00',
        calendarAlias: 'tasks',
      },
    ];
    routes.set(`GET ${REST}/calendarevents*`, { status: 200, body: listing });
    const linked = new Set(['7']);
    const full = await side().read(
      JSON.stringify({ watermark: '2016-04-21T00:00:00Z', calendar: CAL }),
      linked,
    );
    expect(full.changes).toEqual([]);
    expect(requests.filter((r) => r.url !== '/oauth2-token')).toHaveLength(2);

    requests.length = 0;
    const idle = await side().read(full.cursor, linked);
    expect(idle.changes).toEqual([]);
    expect(requests.filter((r) => r.url !== '/oauth2-token').map((r) => r.url)).toEqual([
      expect.stringMatching(/calendarevents\?calendar=12&start=.*&end=/),
    ]);

    // A cancelled exception row hides its occurrence: the listing changes, the run reads on.
    routes.set(`GET ${REST}/calendarevents*`, { status: 200, body: [listing[0], listing[2]] });
    requests.length = 0;
    await side().read(idle.cursor, linked);
    const urls = requests.filter((r) => r.url !== '/oauth2-token').map((r) => r.url);
    expect(urls.slice(0, 2)).toEqual([
      expect.stringMatching(/&start=/),
      expect.stringMatching(/&updatedAt%3E/),
    ]);
  });

  it('sends what Oro’s clients send: +00:00 whole seconds, endTime null for a count; reads a 201 and a form error', async () => {
    // The answer of BasicCrudTest.php::getResponseArray.
    routes.set(`POST ${REST}/calendarevents*`, {
      status: 201,
      body: {
        id: 41,
        uid: 'link-1',
        invitationStatus: 'none',
        editableInvitationStatus: false,
        organizerDisplayName: 'Billy Wilf',
        organizerEmail: 'foo_user_1@example.com',
        organizerUserId: 34,
      },
    });
    const fields: EventFields = {
      title: 'Standup',
      description: '',
      allDay: false,
      start: '2016-05-02T07:00:00.000Z',
      end: '2016-05-02T07:15:00.000Z',
      reminderMinutes: null,
      location: '',
      attendees: [],
      recurrence: {
        pattern: 'daily',
        interval: 1,
        start: '2016-05-02',
        end: { type: 'count', count: 4 },
        timeZone: 'UTC',
      },
      exceptions: [],
      organizer: null,
      showAs: 'busy',
    };
    const [ok] = await side().write([{ op: 'create', side: 'oro', linkId: 'link-1', fields }]);
    expect(ok).toMatchObject({ ok: true, id: '41' });
    const sent = requests.find((r) => r.method === 'POST' && r.url.startsWith(`${REST}/calendarevents`))
      ?.body as Json;
    expect(sent).toMatchObject({
      calendar: CAL,
      uid: 'link-1',
      start: '2016-05-02T07:00:00+00:00',
      end: '2016-05-02T07:15:00+00:00',
      notifyAttendees: 'none',
      recurrence: { startTime: '2016-05-02T07:00:00+00:00', endTime: null, occurrences: 4, timeZone: 'UTC' },
    });

    // ValidationFailedTest.php's document, as the answer to a write.
    routes.set(`POST ${REST}/calendarevents*`, {
      status: 400,
      body: validationFailed({ notifyAttendees: ['The value you selected is not a valid choice.'] }),
    });
    const [refused] = await side().write([{ op: 'create', side: 'oro', linkId: 'link-2', fields }]);
    expect(refused).toEqual({
      ok: false,
      error: 'Oro answered 400: notifyAttendees: The value you selected is not a valid choice.',
      kind: 'permanent',
      retryable: false,
      status: 400,
    });
  });
});
