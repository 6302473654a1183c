import { WEEKDAYS, type Recurrence } from '../../shared/sync/calendar/recurrence';
import { utcToZoned, zonedDate, zonedToUtc } from '../../shared/sync/calendar/time-zones';
import {
  DAY,
  endMs,
  instanceId,
  seriesRecurrence,
  startMs,
  zoneOf,
  type Instance,
  type SimEvent,
} from './calendar-model';

/**
 * A series expanded as Exchange does: in the series' own time zone, so an occurrence keeps
 * its local time across DST; exceptions stand in for their occurrences and cancelled ones
 * are left out.
 */

const FAR = Date.parse('3000-01-01T00:00:00Z');

/**
 * Instances of `e` overlapping [from, to): the event itself, or a series' occurrences
 * (exceptions in place of theirs, cancelled ones left out). `byOriginal` selects
 * occurrences by their original start instead, cancelled ones excluded still.
 */
export function expand(e: SimEvent, from: number, to: number, byOriginal = false): Instance[] {
  if (e.type === 'singleInstance') {
    const s = startMs(e);
    const en = endMs(e);
    if (!(s < to && en > from)) {
      return [];
    }
    const day = (v: string) => v.slice(0, 10);
    return [
      {
        id: e.id,
        event: e,
        start: e.isAllDay ? day(e.start.dateTime) : s,
        end: e.isAllDay ? day(e.end.dateTime) : en,
        version: String(e.seq),
      },
    ];
  }
  const r = seriesRecurrence(e);
  if (!r) {
    return [];
  }
  const zone = r.timeZone;
  const eventZone = zoneOf(e.start.timeZone) ?? zone;
  const masterStart = zonedToUtc(e.start.dateTime, eventZone).getTime();
  const duration = zonedToUtc(e.end.dateTime, zoneOf(e.end.timeZone) ?? eventZone).getTime() - masterStart;
  const timeOfDay = utcToZoned(new Date(masterStart), zone).slice(11, 19);
  const allDayDays = Math.round(
    (Date.parse(`${e.end.dateTime.slice(0, 10)}T00:00:00Z`) -
      Date.parse(`${e.start.dateTime.slice(0, 10)}T00:00:00Z`)) /
      DAY,
  );
  // Moved exceptions may land far from their original start: look a little wider.
  const slack = 366 * DAY;
  const untilDate = zonedDate(new Date(Math.min(to + slack + Math.abs(duration), FAR)), zone);
  const out: Instance[] = [];
  for (const date of occurrenceDates(r, untilDate)) {
    const original = zonedToUtc(`${date}T${e.isAllDay ? '00:00:00' : timeOfDay}`, zone).getTime();
    if (original < from - slack - Math.abs(duration) && !byOriginal) {
      continue;
    }
    if (e.cancelled.has(original)) {
      continue;
    }
    const x = e.exceptions.get(original);
    const start: number | string = x
      ? e.isAllDay
        ? x.start
        : Date.parse(x.start)
      : e.isAllDay
        ? date
        : original;
    const end: number | string = x
      ? e.isAllDay
        ? x.end
        : Date.parse(x.end)
      : e.isAllDay
        ? addDays(date, allDayDays)
        : original + duration;
    const startAt = typeof start === 'number' ? start : zonedToUtc(`${start}T00:00:00`, zone).getTime();
    const endAt = typeof end === 'number' ? end : zonedToUtc(`${end}T00:00:00`, zone).getTime();
    const hit = byOriginal ? original >= from && original < to : startAt < to && endAt > from;
    if (!hit) {
      continue;
    }
    out.push({
      id: instanceId(e.id, original),
      event: e,
      ...(x ? { exception: x } : {}),
      originalStart: original,
      start,
      end,
      version: `${e.seq}/${x?.seq ?? 0}`,
    });
  }
  return out;
}

const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
const weekday = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();
const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const ymd = (y: number, m: number, d: number) =>
  `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

/** The `instance`-th of the given week days in a month, or undefined. */
function nthDay(y: number, m: number, days: readonly number[], instance: string): string | undefined {
  const matching: string[] = [];
  for (let d = 1; d <= daysInMonth(y, m); d++) {
    const date = ymd(y, m, d);
    if (days.includes(weekday(date))) {
      matching.push(date);
    }
  }
  const at = ['first', 'second', 'third', 'fourth'].indexOf(instance);
  return instance === 'last' ? matching.at(-1) : matching[at];
}

/**
 * The local dates a recurrence falls on, from its start up to `until` (inclusive), its
 * end (date or count) honoured. Months without the day of an absolute pattern are skipped.
 */
export function occurrenceDates(r: Recurrence, until: string): string[] {
  const out: string[] = [];
  const last = r.end.type === 'date' && r.end.date < until ? r.end.date : until;
  const limit = r.end.type === 'count' ? r.end.count : Infinity;
  const days = (r.daysOfWeek ?? []).map((d) => WEEKDAYS.indexOf(d)).sort((a, b) => a - b);
  const [sy, sm] = [Number(r.start.slice(0, 4)), Number(r.start.slice(5, 7))];
  const take = (date: string | undefined): boolean => {
    if (!date || date < r.start) {
      return true;
    }
    if (date > last || out.length >= limit) {
      return false;
    }
    out.push(date);
    return true;
  };
  const interval = Math.max(1, r.interval);
  for (let k = 0; k < 200_000; k++) {
    let dates: (string | undefined)[] = [];
    let periodStart: string;
    switch (r.pattern) {
      case 'daily':
        periodStart = addDays(r.start, k * interval);
        dates = [periodStart];
        break;
      case 'weekly': {
        periodStart = addDays(addDays(r.start, -weekday(r.start)), k * 7 * interval);
        const ps = periodStart;
        dates = days.map((d) => addDays(ps, d));
        break;
      }
      case 'monthly':
      case 'monthnth': {
        const months = sm - 1 + k * interval;
        const y = sy + Math.floor(months / 12);
        const m = (months % 12) + 1;
        periodStart = ymd(y, m, 1);
        if (r.pattern === 'monthly') {
          const d = r.dayOfMonth ?? Number(r.start.slice(8, 10));
          dates = [d <= daysInMonth(y, m) ? ymd(y, m, d) : undefined];
        } else {
          dates = [nthDay(y, m, days, r.instance ?? 'first')];
        }
        break;
      }
      case 'yearly':
      case 'yearnth': {
        const y = sy + k * interval;
        const m = r.month ?? sm;
        periodStart = ymd(y, 1, 1);
        if (r.pattern === 'yearly') {
          const d = r.dayOfMonth ?? Number(r.start.slice(8, 10));
          dates = [d <= daysInMonth(y, m) ? ymd(y, m, d) : undefined];
        } else {
          dates = [nthDay(y, m, days, r.instance ?? 'first')];
        }
        break;
      }
    }
    if (periodStart > last || out.length >= limit) {
      break;
    }
    for (const d of dates) {
      if (!take(d)) {
        return out;
      }
    }
  }
  return out;
}
