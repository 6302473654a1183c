import {
  fromGraph,
  fromOro,
  ORO_MAX_END,
  toGraph,
  toOro,
  type GraphRecurrence,
  type OroRecurrence,
  type Recurrence,
} from '../../../../shared/sync/calendar/recurrence';

const ok = <T>(m: { ok: T } | { unsupported: string }): T => {
  if ('unsupported' in m) {
    throw new Error(`unexpectedly unsupported: ${m.unsupported}`);
  }
  return m.ok;
};

// A series starting Monday 2026-03-02, 09:00 in Berlin (08:00Z).
const START = '2026-03-02T08:00:00Z';
// What Oro's own client sends: whole seconds with +00:00, and no end date unless there is one
// (OroCalendarBundle Resources/public/js/calendar/event/recurrence/event-recurrence-model.js).
const base = { startTime: '2026-03-02T08:00:00+00:00', timeZone: 'Europe/Berlin', endTime: null };

/** One case per Oro recurrence type, with the neutral and Graph forms it must map to. */
const CASES: {
  name: string;
  oro: OroRecurrence;
  neutral: Recurrence;
  graphPattern: GraphRecurrence['pattern'];
}[] = [
  {
    name: 'daily, every 2 days',
    oro: { ...base, recurrenceType: 'daily', interval: 2 },
    neutral: {
      pattern: 'daily',
      interval: 2,
      start: '2026-03-02',
      end: { type: 'none' },
      timeZone: 'Europe/Berlin',
    },
    graphPattern: { type: 'daily', interval: 2 },
  },
  {
    name: 'weekly on Monday and Wednesday',
    oro: { ...base, recurrenceType: 'weekly', interval: 1, dayOfWeek: ['monday', 'wednesday'] },
    neutral: {
      pattern: 'weekly',
      interval: 1,
      daysOfWeek: ['monday', 'wednesday'],
      start: '2026-03-02',
      end: { type: 'none' },
      timeZone: 'Europe/Berlin',
    },
    graphPattern: {
      type: 'weekly',
      interval: 1,
      daysOfWeek: ['monday', 'wednesday'],
      firstDayOfWeek: 'sunday',
    },
  },
  {
    name: 'monthly on the 15th, every 3 months',
    oro: { ...base, recurrenceType: 'monthly', interval: 3, dayOfMonth: 15 },
    neutral: {
      pattern: 'monthly',
      interval: 3,
      dayOfMonth: 15,
      start: '2026-03-02',
      end: { type: 'none' },
      timeZone: 'Europe/Berlin',
    },
    graphPattern: { type: 'absoluteMonthly', interval: 3, dayOfMonth: 15 },
  },
  {
    name: 'monthly on the last Friday',
    oro: { ...base, recurrenceType: 'monthnth', interval: 1, instance: 5, dayOfWeek: ['friday'] },
    neutral: {
      pattern: 'monthnth',
      interval: 1,
      daysOfWeek: ['friday'],
      instance: 'last',
      start: '2026-03-02',
      end: { type: 'none' },
      timeZone: 'Europe/Berlin',
    },
    graphPattern: { type: 'relativeMonthly', interval: 1, daysOfWeek: ['friday'], index: 'last' },
  },
  {
    name: 'yearly on 24 December, every 2 years',
    oro: { ...base, recurrenceType: 'yearly', interval: 24, dayOfMonth: 24, monthOfYear: 12 },
    neutral: {
      pattern: 'yearly',
      interval: 2,
      dayOfMonth: 24,
      month: 12,
      start: '2026-03-02',
      end: { type: 'none' },
      timeZone: 'Europe/Berlin',
    },
    graphPattern: { type: 'absoluteYearly', interval: 2, dayOfMonth: 24, month: 12 },
  },
  {
    name: 'yearly on the second Tuesday of April',
    oro: {
      ...base,
      recurrenceType: 'yearnth',
      interval: 12,
      instance: 2,
      dayOfWeek: ['tuesday'],
      monthOfYear: 4,
    },
    neutral: {
      pattern: 'yearnth',
      interval: 1,
      daysOfWeek: ['tuesday'],
      month: 4,
      instance: 'second',
      start: '2026-03-02',
      end: { type: 'none' },
      timeZone: 'Europe/Berlin',
    },
    graphPattern: { type: 'relativeYearly', interval: 1, daysOfWeek: ['tuesday'], month: 4, index: 'second' },
  },
];

describe('recurrence mapping, every Oro type both ways', () => {
  it.each(CASES.map((c) => [c.name, c]))('%s', (_name, c) => {
    const neutral = ok(fromOro(c.oro));
    expect(neutral).toEqual(c.neutral);
    const graph = toGraph(neutral);
    expect(graph).toEqual({
      pattern: c.graphPattern,
      range: { type: 'noEnd', startDate: '2026-03-02', recurrenceTimeZone: 'W. Europe Standard Time' },
    });
    expect(ok(fromGraph(graph, 'UTC'))).toEqual(neutral);
    expect(ok(toOro(ok(fromGraph(graph, 'UTC')), START))).toEqual(c.oro);
  });
});

describe('recurrence ranges and zones', () => {
  it('reads Oro’s stored "no end" (9000-01-01) as no end', () => {
    expect(ok(fromOro({ ...base, recurrenceType: 'daily', interval: 1, endTime: ORO_MAX_END })).end).toEqual({
      type: 'none',
    });
  });

  it('ends after a number of occurrences', () => {
    const oro: OroRecurrence = { ...base, recurrenceType: 'daily', interval: 1, occurrences: 10 };
    const neutral = ok(fromOro(oro));
    expect(neutral.end).toEqual({ type: 'count', count: 10 });
    expect(toGraph(neutral).range).toMatchObject({ type: 'numbered', numberOfOccurrences: 10 });
    // Oro's client sends a count-ended series with endTime null, never its 9000-01-01 "no end".
    expect(ok(toOro(neutral, START))).toMatchObject({ occurrences: 10, endTime: null });
  });

  it('ends on a date in the series’ zone, the whole last day included', () => {
    const neutral = ok(
      fromOro({ ...base, recurrenceType: 'daily', interval: 1, endTime: '2026-03-31T21:59:59Z' }),
    );
    expect(neutral.end).toEqual({ type: 'date', date: '2026-03-31' });
    // 2026-03-31 23:59:59 in Berlin (CEST, +2)
    expect(ok(toOro(neutral, START)).endTime).toBe('2026-03-31T21:59:59+00:00');
    expect(toGraph(neutral).range).toMatchObject({ type: 'endDate', endDate: '2026-03-31' });
  });

  it('starts an all-day series on its own date, also in a zone west of UTC', () => {
    const allDay: OroRecurrence = {
      ...base,
      recurrenceType: 'weekly',
      interval: 1,
      dayOfWeek: ['friday'],
      startTime: '2026-05-15T00:00:00+00:00',
      timeZone: 'America/New_York',
    };
    const neutral = ok(fromOro(allDay, true));
    expect(neutral.start).toBe('2026-05-15');
    expect(ok(toOro(neutral, '2026-05-15T00:00:00Z')).startTime).toBe('2026-05-15T00:00:00+00:00');
    // A timed series at the same instant starts on the evening before, in New York.
    expect(ok(fromOro(allDay)).start).toBe('2026-05-14');
  });

  it('refuses a Graph series whose weeks start on another day than Oro’s when that changes its occurrences', () => {
    const every2 = (daysOfWeek: string[], firstDayOfWeek: string): GraphRecurrence => ({
      pattern: { type: 'weekly', interval: 2, daysOfWeek, firstDayOfWeek },
      range: { type: 'noEnd', startDate: '2026-03-02', recurrenceTimeZone: 'UTC' },
    });
    // Sunday and Monday fall into different Monday-started weeks, into the same Sunday-started one.
    expect(fromGraph(every2(['sunday', 'monday'], 'monday'), 'UTC')).toEqual({
      unsupported: expect.stringContaining("Oro's weeks start on Sunday") as unknown,
    });
    // Monday and Friday share a week either way; Sunday-started weeks are Oro's own.
    expect(ok(fromGraph(every2(['monday', 'friday'], 'monday'), 'UTC')).daysOfWeek).toEqual([
      'monday',
      'friday',
    ]);
    expect(ok(fromGraph(every2(['sunday', 'monday'], 'sunday'), 'UTC')).interval).toBe(2);
  });

  it('reads Graph’s filler fields as absent', () => {
    const filled: GraphRecurrence = {
      pattern: {
        type: 'daily',
        interval: 1,
        month: 0,
        dayOfMonth: 0,
        firstDayOfWeek: 'sunday',
        index: 'first',
      },
      range: {
        type: 'noEnd',
        startDate: '2026-03-02',
        endDate: '0001-01-01',
        recurrenceTimeZone: '',
        numberOfOccurrences: 0,
      },
    };
    expect(ok(fromGraph(filled, 'Pacific Standard Time'))).toEqual({
      pattern: 'daily',
      interval: 1,
      start: '2026-03-02',
      end: { type: 'none' },
      timeZone: 'America/Los_Angeles',
    });
  });

  it('reports what the other side cannot express instead of changing the series', () => {
    const firstWeekday: GraphRecurrence = {
      pattern: {
        type: 'relativeMonthly',
        interval: 1,
        daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
        index: 'first',
      },
      range: { type: 'noEnd', startDate: '2026-03-02', recurrenceTimeZone: 'UTC' },
    };
    expect(toOro(ok(fromGraph(firstWeekday, 'UTC')), START)).toEqual({
      unsupported: expect.stringContaining('exactly one week day') as unknown,
    });
    expect(
      fromOro({ ...base, recurrenceType: 'yearly', interval: 18, dayOfMonth: 1, monthOfYear: 1 }),
    ).toEqual({
      unsupported: 'a yearly interval of 18 months',
    });
    expect(
      fromGraph(
        { ...firstWeekday, range: { ...firstWeekday.range, recurrenceTimeZone: 'Mars Time' } },
        'UTC',
      ),
    ).toEqual({
      unsupported: 'unknown time zone "Mars Time"',
    });
  });

  it('keeps the local start day of a series that starts after midnight UTC elsewhere', () => {
    // 2026-03-02 01:00 in Tokyo is still 1 March in UTC.
    const neutral = ok(
      fromOro({
        recurrenceType: 'daily',
        interval: 1,
        startTime: '2026-03-01T16:00:00Z',
        timeZone: 'Asia/Tokyo',
      }),
    );
    expect(neutral.start).toBe('2026-03-02');
    expect(toGraph(neutral).range).toMatchObject({
      startDate: '2026-03-02',
      recurrenceTimeZone: 'Tokyo Standard Time',
    });
  });
});
