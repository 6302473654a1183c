import { toIana, toWindows, zonedDate, zonedToUtc } from './time-zones';

/**
 * Recurrence in the neutral model, and its mapping to Oro's `recurrence` and Graph's
 * `patternedRecurrence`, both ways. A pattern the other side cannot express comes back as
 * `{ unsupported }` with the reason, for the log, never as a silently different series.
 */

export const WEEKDAYS = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const INSTANCES = ['first', 'second', 'third', 'fourth', 'last'] as const;
export type Instance = (typeof INSTANCES)[number];

export interface Recurrence {
  pattern: 'daily' | 'weekly' | 'monthly' | 'monthnth' | 'yearly' | 'yearnth';
  /** In the pattern's own unit: days, weeks, months, or years. */
  interval: number;
  daysOfWeek?: Weekday[];
  dayOfMonth?: number;
  month?: number;
  instance?: Instance;
  /** First day of the series, in its time zone. */
  start: string;
  end: { type: 'none' } | { type: 'date'; date: string } | { type: 'count'; count: number };
  /** IANA. */
  timeZone: string;
}

export type Mapped<T> = { ok: T } | { unsupported: string };

// ---- Oro ------------------------------------------------------------------------

/** Oro's recurrence dictionary (REST API of calendar events). */
export interface OroRecurrence {
  recurrenceType: 'daily' | 'weekly' | 'monthly' | 'monthnth' | 'yearly' | 'yearnth';
  /** Days, weeks or months; yearly types count months (12, 24, …). */
  interval: number;
  instance?: number | null;
  dayOfWeek?: string[] | null;
  dayOfMonth?: number | null;
  monthOfYear?: number | null;
  startTime: string;
  endTime?: string | null;
  occurrences?: number | null;
  timeZone: string;
}

/**
 * Oro's "no end" as it may come back: endTime at its maximum date (Oro's
 * `Model\Recurrence::MAX_END_DATE`, what it computes as calculatedEndTime). Oro's own
 * client never sends it: a series without an end date has `endTime: null`.
 */
export const ORO_MAX_END = '9000-01-01T00:00:01+00:00';

/**
 * A date-time as Oro's own clients send it: whole seconds, `+00:00` (OroCalendarBundle's
 * `event-recurrence-plugin.js` formats with moment's `.tz('UTC').format()`; its functional
 * tests send `2016-10-14T22:00:00+00:00`).
 */
export const toOroDateTime = (value: string | number): string =>
  new Date(Math.floor(new Date(value).getTime() / 1000) * 1000).toISOString().replace('.000Z', '+00:00');
const ORO_INSTANCES: Record<number, Instance> = {
  1: 'first',
  2: 'second',
  3: 'third',
  4: 'fourth',
  5: 'last',
};

/**
 * `allDay`: an all-day series starts at midnight UTC on its first date (as Oro stores
 * all-day events), so that date is the UTC one, whatever the series' zone.
 */
export function fromOro(r: OroRecurrence, allDay = false): Mapped<Recurrence> {
  const timeZone = toIana(r.timeZone);
  if (!timeZone) {
    return { unsupported: `unknown time zone "${r.timeZone}"` };
  }
  const yearly = r.recurrenceType === 'yearly' || r.recurrenceType === 'yearnth';
  if (yearly && r.interval % 12 !== 0) {
    return { unsupported: `a yearly interval of ${r.interval} months` };
  }
  const days = (r.dayOfWeek ?? []).map((d) => d.toLowerCase());
  if (days.some((d) => !(WEEKDAYS as readonly string[]).includes(d))) {
    return { unsupported: `unknown week days ${days.join(', ')}` };
  }
  const out: Recurrence = {
    pattern: r.recurrenceType,
    interval: yearly ? r.interval / 12 : r.interval,
    start: allDay ? new Date(r.startTime).toISOString().slice(0, 10) : zonedDate(r.startTime, timeZone),
    end: r.occurrences
      ? { type: 'count', count: r.occurrences }
      : !r.endTime || Date.parse(r.endTime) >= Date.parse('9000-01-01T00:00:00Z')
        ? { type: 'none' }
        : { type: 'date', date: zonedDate(r.endTime, timeZone) },
    timeZone,
  };
  if (r.recurrenceType === 'weekly' || r.recurrenceType.endsWith('nth')) {
    out.daysOfWeek = days as Weekday[];
  }
  if ((r.recurrenceType === 'monthly' || r.recurrenceType === 'yearly') && r.dayOfMonth) {
    out.dayOfMonth = r.dayOfMonth;
  }
  if (yearly && r.monthOfYear) {
    out.month = r.monthOfYear;
  }
  if (r.recurrenceType.endsWith('nth')) {
    const instance = ORO_INSTANCES[r.instance ?? 0];
    if (!instance) {
      return { unsupported: `instance ${String(r.instance)}` };
    }
    out.instance = instance;
  }
  return { ok: stripUndefined(out) };
}

/**
 * The Oro recurrence of a series whose first occurrence starts at `seriesStartUtc`. Oro
 * takes one week day for "nth" patterns and years only as multiples of 12 months.
 */
export function toOro(r: Recurrence, seriesStartUtc: string): Mapped<OroRecurrence> {
  if (r.pattern.endsWith('nth') && (r.daysOfWeek?.length ?? 0) !== 1) {
    return {
      unsupported: `Oro's ${r.pattern} takes exactly one week day, not ${r.daysOfWeek?.join(', ') ?? 'none'}`,
    };
  }
  const yearly = r.pattern === 'yearly' || r.pattern === 'yearnth';
  const out: OroRecurrence = {
    recurrenceType: r.pattern,
    interval: yearly ? r.interval * 12 : r.interval,
    startTime: toOroDateTime(seriesStartUtc),
    // Oro's client (event-recurrence-model.js: `endTime: null`) sends no end date unless the
    // series ends on one; a count-ended or endless series has endTime null.
    endTime:
      r.end.type === 'date'
        ? toOroDateTime(zonedToUtc(`${r.end.date}T23:59:59`, r.timeZone).getTime())
        : null,
    timeZone: r.timeZone,
    ...(r.end.type === 'count' ? { occurrences: r.end.count } : {}),
  };
  if (r.daysOfWeek) {
    out.dayOfWeek = [...r.daysOfWeek];
  }
  if (r.dayOfMonth !== undefined) {
    out.dayOfMonth = r.dayOfMonth;
  }
  if (r.month !== undefined) {
    out.monthOfYear = r.month;
  }
  if (r.instance) {
    out.instance = INSTANCES.indexOf(r.instance) + 1;
  }
  return { ok: out };
}

// ---- Graph ----------------------------------------------------------------------

/** Graph's patternedRecurrence (responses add zero/empty fields; both are read). */
export interface GraphRecurrence {
  pattern: {
    type: 'daily' | 'weekly' | 'absoluteMonthly' | 'relativeMonthly' | 'absoluteYearly' | 'relativeYearly';
    interval: number;
    month?: number;
    dayOfMonth?: number;
    daysOfWeek?: string[];
    firstDayOfWeek?: string;
    index?: string;
  };
  range: {
    type: 'endDate' | 'noEnd' | 'numbered';
    startDate: string;
    endDate?: string;
    recurrenceTimeZone?: string;
    numberOfOccurrences?: number;
  };
}

const FROM_GRAPH: Record<GraphRecurrence['pattern']['type'], Recurrence['pattern']> = {
  daily: 'daily',
  weekly: 'weekly',
  absoluteMonthly: 'monthly',
  relativeMonthly: 'monthnth',
  absoluteYearly: 'yearly',
  relativeYearly: 'yearnth',
};
const TO_GRAPH = Object.fromEntries(Object.entries(FROM_GRAPH).map(([g, n]) => [n, g])) as Record<
  Recurrence['pattern'],
  GraphRecurrence['pattern']['type']
>;

/**
 * Every other (third…) week on several days depends on where a week starts. The neutral
 * model, like Oro (Model/Recurrence/WeeklyStrategy.php), starts weeks on Sunday; a Graph
 * series whose weeks start on another day and whose days fall on both sides of that day
 * groups them into other weeks, so its occurrences would differ: the reason, or undefined.
 */
function weeksSplitOtherwise(
  pattern: Recurrence['pattern'],
  interval: number,
  days: readonly string[],
  firstDayOfWeek: string | undefined,
): string | undefined {
  const start = (WEEKDAYS as readonly string[]).indexOf((firstDayOfWeek ?? 'sunday').toLowerCase());
  if (pattern !== 'weekly' || interval < 2 || start <= 0) {
    return undefined;
  }
  const at = days.map((d) => (WEEKDAYS as readonly string[]).indexOf(d));
  return at.some((i) => i < start) && at.some((i) => i >= start)
    ? `every ${interval} weeks on ${days.join(', ')} with weeks starting on ${String(firstDayOfWeek)} (Oro's weeks start on Sunday)`
    : undefined;
}

/** `eventZone`: the series' start time zone, used when the range names none. */
export function fromGraph(g: GraphRecurrence, eventZone: string): Mapped<Recurrence> {
  const zoneName = g.range.recurrenceTimeZone || eventZone;
  const timeZone = toIana(zoneName);
  if (!timeZone) {
    return { unsupported: `unknown time zone "${zoneName}"` };
  }
  const pattern = FROM_GRAPH[g.pattern.type];
  if (!pattern) {
    return { unsupported: `pattern type "${String(g.pattern.type)}"` };
  }
  const days = (g.pattern.daysOfWeek ?? []).map((d) => d.toLowerCase());
  const out: Recurrence = {
    pattern,
    interval: g.pattern.interval || 1,
    start: g.range.startDate,
    end:
      g.range.type === 'numbered'
        ? { type: 'count', count: g.range.numberOfOccurrences ?? 0 }
        : g.range.type === 'endDate' && g.range.endDate && !g.range.endDate.startsWith('0001-')
          ? { type: 'date', date: g.range.endDate }
          : { type: 'none' },
    timeZone,
  };
  if (pattern === 'weekly' || pattern.endsWith('nth')) {
    out.daysOfWeek = days as Weekday[];
  }
  const split = weeksSplitOtherwise(pattern, out.interval, days, g.pattern.firstDayOfWeek);
  if (split) {
    return { unsupported: split };
  }
  if ((pattern === 'monthly' || pattern === 'yearly') && g.pattern.dayOfMonth) {
    out.dayOfMonth = g.pattern.dayOfMonth;
  }
  if ((pattern === 'yearly' || pattern === 'yearnth') && g.pattern.month) {
    out.month = g.pattern.month;
  }
  if (pattern.endsWith('nth')) {
    const index = (g.pattern.index ?? 'first') as Instance;
    if (!INSTANCES.includes(index)) {
      return { unsupported: `index "${index}"` };
    }
    out.instance = index;
  }
  return { ok: stripUndefined(out) };
}

export function toGraph(r: Recurrence): GraphRecurrence {
  return {
    pattern: {
      type: TO_GRAPH[r.pattern],
      interval: r.interval,
      ...(r.month !== undefined ? { month: r.month } : {}),
      ...(r.dayOfMonth !== undefined ? { dayOfMonth: r.dayOfMonth } : {}),
      ...(r.daysOfWeek ? { daysOfWeek: [...r.daysOfWeek] } : {}),
      ...(r.pattern === 'weekly' ? { firstDayOfWeek: 'sunday' } : {}),
      ...(r.instance ? { index: r.instance } : {}),
    },
    range: {
      type: r.end.type === 'count' ? 'numbered' : r.end.type === 'date' ? 'endDate' : 'noEnd',
      startDate: r.start,
      ...(r.end.type === 'date' ? { endDate: r.end.date } : {}),
      ...(r.end.type === 'count' ? { numberOfOccurrences: r.end.count } : {}),
      recurrenceTimeZone: toWindows(r.timeZone),
    },
  };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
