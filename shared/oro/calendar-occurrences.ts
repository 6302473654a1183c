import { RRule, type Options, type Weekday as RRuleWeekday } from 'rrule';
import type { OroRecurrence } from '../sync/calendar/recurrence';
import { utcToZoned, zonedToUtc } from '../sync/calendar/time-zones';

/**
 * Occurrences of an Oro series, as Oro computes them: the pattern runs on the wall clock
 * of the recurrence's time zone (timed events keep their local time across DST changes),
 * all-day series on plain dates; every occurrence lasts as long as the first.
 */
export interface OroSeries {
  start: string;
  end: string;
  allDay: boolean;
  recurrence: OroRecurrence;
}

export interface Occurrence {
  start: number;
  end: number;
}

const DAYS: Record<string, RRuleWeekday> = {
  sunday: RRule.SU,
  monday: RRule.MO,
  tuesday: RRule.TU,
  wednesday: RRule.WE,
  thursday: RRule.TH,
  friday: RRule.FR,
  saturday: RRule.SA,
};
const FREQ = {
  daily: RRule.DAILY,
  weekly: RRule.WEEKLY,
  monthly: RRule.MONTHLY,
  monthnth: RRule.MONTHLY,
  yearly: RRule.YEARLY,
  yearnth: RRule.YEARLY,
} as const;
/** Wide enough for any zone's offset, so the wall-clock window never misses an occurrence. */
const ZONE_MARGIN_MS = 36 * 3_600_000;

const zoneOf = (s: OroSeries) => (s.allDay ? 'UTC' : s.recurrence.timeZone);
/** A wall-clock time as a UTC Date with the same fields: rrule works on those. */
const wall = (instant: string | number, zone: string) => new Date(`${utcToZoned(new Date(instant), zone)}Z`);
const fromWall = (d: Date, zone: string) => zonedToUtc(d.toISOString().slice(0, 19), zone).getTime();

function rule(s: OroSeries): RRule {
  const r = s.recurrence;
  const zone = zoneOf(s);
  const days = (r.dayOfWeek ?? []).flatMap((d) => {
    const day = DAYS[d.toLowerCase()];
    return day ? [day] : [];
  });
  const nth = r.recurrenceType.endsWith('nth');
  const options: Partial<Options> = {
    freq: FREQ[r.recurrenceType],
    interval: r.recurrenceType.startsWith('year') ? Math.max(1, r.interval / 12) : r.interval,
    dtstart: wall(s.start, zone),
  };
  if (r.recurrenceType === 'weekly') {
    options.byweekday = days;
    // Oro's weeks start on Sunday (Model/Recurrence/WeeklyStrategy.php moves the start to
    // day 0 of PHP's 'w'): every other week from a Monday takes the Sunday after it.
    options.wkst = RRule.SU;
  }
  if (nth) {
    options.byweekday = days.map((d) => d.nth(r.instance === 5 ? -1 : (r.instance ?? 1)));
  }
  if (r.recurrenceType === 'monthly' || r.recurrenceType === 'yearly') {
    options.bymonthday = r.dayOfMonth ?? null;
  }
  if (r.recurrenceType.startsWith('year')) {
    options.bymonth = r.monthOfYear ?? null;
  }
  if (r.occurrences) {
    options.count = r.occurrences;
  } else if (r.endTime) {
    options.until = wall(r.endTime, zone);
  }
  return new RRule(options);
}

/** Occurrences overlapping [fromMs, toMs), at most `limit` of them. */
export function occurrencesBetween(s: OroSeries, fromMs: number, toMs: number, limit = 10_000): Occurrence[] {
  const zone = zoneOf(s);
  const duration = Date.parse(s.end) - Date.parse(s.start);
  const out: Occurrence[] = [];
  rule(s).between(
    wall(fromMs - duration - ZONE_MARGIN_MS, zone),
    wall(toMs + ZONE_MARGIN_MS, zone),
    true,
    (date) => {
      const start = fromWall(date, zone);
      // A zero-length event still occupies its start instant.
      if (start < toMs && start + Math.max(duration, 1) > fromMs) {
        out.push({ start, end: start + duration });
      }
      return out.length < limit;
    },
  );
  return out;
}

/** Whether the pattern puts an occurrence at `startMs` (an exception must sit on one). */
export function isOccurrence(s: OroSeries, startMs: number): boolean {
  return occurrencesBetween(s, startMs, startMs + 1, 1).some((o) => o.start === startMs);
}
