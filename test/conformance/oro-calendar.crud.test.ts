import { startOroSimulator, type OroSimulator } from '../../dev/oro/simulator';
import {
  type Json,
  REST,
  ORO_DATE,
  WRITE_KEYS,
  GET_KEYS,
  validationFailed,
} from '../support/oro-rest-conformance';
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
  let clock = Date.parse('2016-10-14T21:00:00Z');
  let oro: OroSimulator;
  let token = '';
  let calendar = 0;

  const call = restCaller(
    () => oro.url,
    () => token,
  );

  beforeAll(async () => {
    oro = await startOroSimulator({ clock: () => clock });
    oro.registerClient('sync', 'pw');
    oro.calendar.setUser('1', { email: 'foo_user_1@example.com', name: 'Billy Wilf' });
    calendar = oro.calendar.defaultCalendar('1');
    token = await clientToken(oro.url, 'sync', 'pw');
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
});
