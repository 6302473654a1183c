import { occurrencesBetween } from '../../../../shared/oro/calendar-occurrences';

describe('Oro occurrences', () => {
  it('groups weekly days into weeks that start on Sunday, as Oro does', () => {
    // OroCalendarBundle Tests/Functional/ControllerRestApi/RecurringEventRecurrenceUpdateExceptionTest.php:
    // "Recurring event with occurrences: 2016-04-25, 2016-05-08, 2016-05-09, 2016-05-22".
    const starts = occurrencesBetween(
      {
        start: '2016-04-25T01:00:00+00:00',
        end: '2016-04-25T02:00:00+00:00',
        allDay: false,
        recurrence: {
          recurrenceType: 'weekly',
          interval: 2,
          dayOfWeek: ['sunday', 'monday'],
          startTime: '2016-04-25T01:00:00+00:00',
          occurrences: 4,
          endTime: '2016-06-10T01:00:00+00:00',
          timeZone: 'UTC',
        },
      },
      Date.parse('2016-04-01T00:00:00Z'),
      Date.parse('2016-07-01T00:00:00Z'),
    ).map((o) => new Date(o.start).toISOString().slice(0, 10));
    expect(starts).toEqual(['2016-04-25', '2016-05-08', '2016-05-09', '2016-05-22']);
  });
});
