import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OroCalendarSide } from '../../shared/oro/calendar-side';
import { OroClient, OroTokenCache } from '../../shared/oro/client';
import type { EventFields } from '../../shared/sync/calendar/event-mapping';
import { type Json, REST, validationFailed } from '../support/oro-rest-conformance';

/**
 * Conformance of the Oro calendar REST API: published request/response examples, our own
 * transcriptions of OroCalendarBundle's functional tests and source (each case names its
 * file), replayed against the simulator (dev/oro) and, served verbatim by a stand-in HTTP
 * server, against the adapter (shared/oro/calendar-side.ts).
 *
 * "Billy Wilf <foo_user_1@example.com>" is the fixtures' foo_user_1
 * (OroCalendarBundle Tests/Functional/DataFixtures/LoadUserData.php), who makes the calls.
 */

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
