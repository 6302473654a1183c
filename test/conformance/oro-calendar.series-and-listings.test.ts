import { startOroSimulator, type OroSimulator } from '../../dev/oro/simulator';
import { type Json, REST, ORO_DATE } from '../support/oro-rest-conformance';
import { clientToken, restCaller } from '../support/oro-rest';

/**
 * Conformance of the Oro calendar REST API: published request/response examples, our own
 * transcriptions of OroCalendarBundle's functional tests and source (each case names its
 * file), replayed against the simulator (dev/oro) and, served verbatim by a stand-in HTTP
 * server, against the adapter (shared/oro/calendar-side.ts).
 *
 * "Billy Wilf <foo_user_1@example.com>" is the fixtures' foo_user_1
 * (OroCalendarBundle Tests/Functional/DataFixtures/LoadUserData.php), who makes the calls.
 */

describe('Oro calendar REST API: the simulator answers as the published examples', () => {
  const clock = Date.parse('2016-10-14T21:00:00Z');
  let oro: OroSimulator;
  let token = '';
  let calendar = 0;

  const call = restCaller(
    () => oro.url,
    () => token,
  );
  const list = async (query: string) => (await call('GET', `${REST}/calendarevents?${query}`)).body as Json[];

  beforeAll(async () => {
    oro = await startOroSimulator({ clock: () => clock });
    oro.registerClient('sync', 'pw');
    oro.calendar.setUser('1', { email: 'foo_user_1@example.com', name: 'Billy Wilf' });
    calendar = oro.calendar.defaultCalendar('1');
    token = await clientToken(oro.url, 'sync', 'pw');
  });
  afterAll(() => oro.close());

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
