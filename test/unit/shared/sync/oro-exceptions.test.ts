import type { EventFields } from '../../../../shared/sync/calendar/event-mapping';
import {
  exceptionFromOro,
  exceptionsFromOro,
  exceptionWrites,
  neutralToOro,
  patternEnd,
  type OroExceptionRow,
} from '../../../../shared/sync/calendar/oro-exceptions';
import { isOccurrence, occurrencesBetween } from '../../../../shared/oro/calendar-occurrences';
import type { OroRecurrence } from '../../../../shared/sync/calendar/recurrence';

const series: EventFields = {
  title: 'Standup',
  description: 'daily sync',
  allDay: false,
  start: '2026-06-01T07:00:00Z',
  end: '2026-06-01T07:15:00Z',
  reminderMinutes: null,
  location: '',
  attendees: [],
  recurrence: {
    pattern: 'daily',
    interval: 1,
    start: '2026-06-01',
    end: { type: 'none' },
    timeZone: 'Europe/Berlin',
  },
  exceptions: [],
  organizer: null,
  showAs: 'busy',
};
const allDaySeries: EventFields = { ...series, allDay: true, start: '2026-06-01', end: '2026-06-03' };

const row = (fields: Partial<OroExceptionRow>): OroExceptionRow => ({
  id: 1,
  title: 'Standup',
  description: 'daily sync',
  start: '2026-06-02T07:00:00+00:00',
  end: '2026-06-02T07:15:00+00:00',
  allDay: false,
  originalStart: '2026-06-02T07:00:00+00:00',
  isCancelled: false,
  ...fields,
});

describe('Oro exceptions ⇄ neutral', () => {
  it('reads moved and cancelled rows keyed by the original start, sorted; a row equal to the pattern is none', () => {
    const rows = [
      row({ id: 3, originalStart: '2026-06-04T07:00:00+00:00', isCancelled: true }),
      row({
        id: 2,
        originalStart: '2026-06-03T07:00:00+00:00',
        start: '2026-06-03T09:00:00+00:00',
        end: '2026-06-03T09:30:00+00:00',
      }),
      row({ id: 1 }),
    ];
    expect(exceptionsFromOro(series, rows)).toEqual([
      {
        originalStart: '2026-06-03T07:00:00Z',
        cancelled: false,
        title: 'Standup',
        description: 'daily sync',
        start: '2026-06-03T09:00:00Z',
        end: '2026-06-03T09:30:00Z',
        location: '',
      },
      { originalStart: '2026-06-04T07:00:00Z', cancelled: true },
    ]);
    // Only the description differs: that is an exception.
    expect(exceptionFromOro(series, row({ description: null }))).toMatchObject({ description: '' });
  });

  it('keys all-day exceptions by date and keeps their exclusive end, with no zone shift', () => {
    const r = row({
      allDay: true,
      originalStart: '2026-06-05T00:00:00+00:00',
      start: '2026-06-06T00:00:00+00:00',
      end: '2026-06-08T00:00:00+00:00',
    });
    expect(exceptionFromOro(allDaySeries, r)).toMatchObject({
      originalStart: '2026-06-05',
      start: '2026-06-06',
      end: '2026-06-08',
    });
    expect(patternEnd(allDaySeries, '2026-06-05')).toBe('2026-06-07');
    expect(
      exceptionFromOro(allDaySeries, { ...r, start: r.originalStart, end: '2026-06-07T00:00:00+00:00' }),
    ).toBeNull();
    expect(neutralToOro('2026-06-05', true)).toBe('2026-06-05T00:00:00+00:00');
    expect(neutralToOro('2026-06-05T07:00:00Z', false)).toBe('2026-06-05T07:00:00+00:00');
  });

  it('diffs current rows against the wanted exceptions: create, update in place, delete, leave equal ones', () => {
    const current = [
      row({ id: 10, originalStart: '2026-06-02T07:00:00+00:00', isCancelled: true }),
      row({
        id: 11,
        originalStart: '2026-06-03T07:00:00+00:00',
        title: 'Moved',
        start: '2026-06-03T08:00:00+00:00',
        end: '2026-06-03T08:15:00+00:00',
      }),
      row({ id: 12, originalStart: '2026-06-04T07:00:00+00:00', title: 'Gone' }),
      row({ id: 13, originalStart: '2026-06-05T07:00:00+00:00' }), // repeats the pattern
    ];
    const wanted = exceptionsFromOro(series, current).flatMap((ex) =>
      ex.originalStart === '2026-06-04T07:00:00Z'
        ? []
        : ex.originalStart === '2026-06-03T07:00:00Z' && !ex.cancelled
          ? [{ ...ex, start: '2026-06-03T10:00:00Z', end: '2026-06-03T10:15:00Z' }]
          : [ex],
    );
    wanted.push({ originalStart: '2026-06-06T07:00:00Z', cancelled: true });
    expect(exceptionWrites(series, 99, current, wanted)).toEqual([
      {
        op: 'update',
        id: 11,
        originalStart: '2026-06-03T07:00:00Z',
        body: {
          isCancelled: false,
          title: 'Moved',
          description: 'daily sync',
          start: '2026-06-03T10:00:00+00:00',
          end: '2026-06-03T10:15:00+00:00',
          allDay: false,
        },
      },
      {
        op: 'create',
        originalStart: '2026-06-06T07:00:00Z',
        body: {
          recurringEventId: 99,
          originalStart: '2026-06-06T07:00:00+00:00',
          isCancelled: true,
          title: 'Standup',
          description: 'daily sync',
          start: '2026-06-06T07:00:00+00:00',
          end: '2026-06-06T07:15:00+00:00',
          allDay: false,
        },
      },
      { op: 'delete', id: 12, originalStart: '2026-06-04T07:00:00Z' },
    ]);
    expect(exceptionWrites(series, 99, current, exceptionsFromOro(series, current))).toEqual([]);
  });

  it('turns a cancelled row back into a moved one in place', () => {
    const current = [row({ id: 10, isCancelled: true })];
    const writes = exceptionWrites(series, 99, current, [
      {
        originalStart: '2026-06-02T07:00:00Z',
        cancelled: false,
        title: 'Back',
        description: '',
        start: '2026-06-02T07:00:00Z',
        end: '2026-06-02T07:15:00Z',
        location: '',
      },
    ]);
    expect(writes).toEqual([
      expect.objectContaining({
        op: 'update',
        id: 10,
        body: expect.objectContaining({ isCancelled: false, title: 'Back' }) as unknown,
      }),
    ]);
  });
});

describe('Oro series occurrences', () => {
  const rec = (r: Partial<OroRecurrence>): OroRecurrence => ({
    recurrenceType: 'daily',
    interval: 1,
    startTime: '2026-03-23T08:00:00Z',
    endTime: null,
    timeZone: 'Europe/Berlin',
    ...r,
  });
  const starts = (
    recurrence: OroRecurrence,
    from: string,
    to: string,
    allDay = false,
    start = '2026-03-23T08:00:00+00:00',
  ) =>
    occurrencesBetween(
      { start, end: new Date(Date.parse(start) + 3_600_000).toISOString(), allDay, recurrence },
      Date.parse(from),
      Date.parse(to),
    ).map((o) => new Date(o.start).toISOString().replace('.000Z', 'Z'));

  it('keeps the local time across a DST change (09:00 Berlin is 08:00Z, then 07:00Z)', () => {
    expect(
      starts(rec({ occurrences: 3, interval: 3 }), '2026-03-01T00:00:00Z', '2026-04-30T00:00:00Z'),
    ).toEqual(['2026-03-23T08:00:00Z', '2026-03-26T08:00:00Z', '2026-03-29T07:00:00Z']);
  });

  it('expands weekly days, monthly by day, the nth and last week day, yearly in months, and ends by date', () => {
    const start = '2026-01-05T08:00:00+00:00';
    const range = ['2026-01-01T00:00:00Z', '2027-12-31T00:00:00Z'] as const;
    expect(
      starts(
        rec({ recurrenceType: 'weekly', dayOfWeek: ['monday', 'thursday'], occurrences: 4, timeZone: 'UTC' }),
        ...range,
        false,
        start,
      ),
    ).toEqual([
      '2026-01-05T08:00:00Z',
      '2026-01-08T08:00:00Z',
      '2026-01-12T08:00:00Z',
      '2026-01-15T08:00:00Z',
    ]);
    expect(
      starts(
        rec({ recurrenceType: 'monthly', interval: 2, dayOfMonth: 5, occurrences: 3, timeZone: 'UTC' }),
        ...range,
        false,
        start,
      ),
    ).toEqual(['2026-01-05T08:00:00Z', '2026-03-05T08:00:00Z', '2026-05-05T08:00:00Z']);
    expect(
      starts(
        rec({
          recurrenceType: 'monthnth',
          instance: 5,
          dayOfWeek: ['friday'],
          occurrences: 2,
          timeZone: 'UTC',
        }),
        ...range,
        false,
        start,
      ),
    ).toEqual(['2026-01-30T08:00:00Z', '2026-02-27T08:00:00Z']);
    expect(
      starts(
        rec({
          recurrenceType: 'yearly',
          interval: 12,
          dayOfMonth: 5,
          monthOfYear: 1,
          timeZone: 'UTC',
          endTime: '2027-06-01T00:00:00Z',
        }),
        ...range,
        false,
        start,
      ),
    ).toEqual(['2026-01-05T08:00:00Z', '2027-01-05T08:00:00Z']);
    expect(
      starts(
        rec({
          recurrenceType: 'yearnth',
          interval: 12,
          instance: 2,
          dayOfWeek: ['monday'],
          monthOfYear: 1,
          occurrences: 2,
          timeZone: 'UTC',
        }),
        ...range,
        false,
        start,
      ),
    ).toEqual(['2026-01-12T08:00:00Z', '2027-01-11T08:00:00Z']);
  });

  it('knows which instants are occurrences', () => {
    const s = {
      start: '2026-03-23T08:00:00Z',
      end: '2026-03-23T09:00:00Z',
      allDay: false,
      recurrence: rec({ occurrences: 10 }),
    };
    expect(isOccurrence(s, Date.parse('2026-03-30T07:00:00Z'))).toBe(true);
    expect(isOccurrence(s, Date.parse('2026-03-30T08:00:00Z'))).toBe(false);
    expect(isOccurrence(s, Date.parse('2026-04-10T07:00:00Z'))).toBe(false); // past the tenth
  });
});
