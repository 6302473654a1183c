import type { EventException, EventFields } from './event-mapping';
import { toOroDateTime } from './recurrence';

/**
 * A series' exceptions between Oro (rows of their own with `recurringEventId`,
 * `originalStart` and `isCancelled`) and the neutral model (`EventFields.exceptions`, keyed
 * by `originalStart` in the form of `start`). A row that says what the pattern says is not
 * an exception on either side.
 */
export interface OroExceptionRow {
  id: number;
  title: string;
  description?: string | null;
  start: string;
  end: string;
  allDay: boolean;
  originalStart: string;
  isCancelled?: boolean | null;
}

export type OroExceptionWrite =
  | { op: 'create'; originalStart: string; body: Record<string, unknown> }
  | { op: 'update'; id: number; originalStart: string; body: Record<string, unknown> }
  | { op: 'delete'; id: number; originalStart: string };

const DAY_MS = 86_400_000;
const instant = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const dateMs = (date: string) => Date.parse(`${date}T00:00:00Z`);

/** An Oro date-time as a neutral start: an instant, or the date of an all-day event. */
export const oroToNeutralStart = (value: string, allDay: boolean): string =>
  allDay ? value.slice(0, 10) : instant(Date.parse(value));

/** An Oro all-day end at midnight is exclusive already; one later in the day is not (as in event-mapping). */
const oroToNeutralEnd = (value: string, allDay: boolean): string =>
  !allDay
    ? instant(Date.parse(value))
    : /T00:00:00/.test(value)
      ? value.slice(0, 10)
      : new Date(dateMs(value.slice(0, 10)) + DAY_MS).toISOString().slice(0, 10);

/** A neutral start or end as Oro writes it (whole seconds, +00:00; all-day at midnight UTC). */
export const neutralToOro = (value: string, allDay: boolean): string =>
  allDay ? `${value}T00:00:00+00:00` : toOroDateTime(value);

/** Where the pattern ends the occurrence that starts at `originalStart`: it lasts as long as the first. */
export function patternEnd(
  series: Pick<EventFields, 'allDay' | 'start' | 'end'>,
  originalStart: string,
): string {
  if (series.allDay) {
    return new Date(dateMs(originalStart) + dateMs(series.end) - dateMs(series.start))
      .toISOString()
      .slice(0, 10);
  }
  return instant(Date.parse(originalStart) + Date.parse(series.end) - Date.parse(series.start));
}

/** One row as a neutral exception; null when it says just what the pattern says. */
export function exceptionFromOro(series: EventFields, row: OroExceptionRow): EventException | null {
  const originalStart = oroToNeutralStart(row.originalStart, series.allDay);
  if (row.isCancelled) {
    return { originalStart, cancelled: true };
  }
  const ex: EventException = {
    originalStart,
    cancelled: false,
    title: row.title,
    description: row.description ?? '',
    start: oroToNeutralStart(row.start, series.allDay),
    end: oroToNeutralEnd(row.end, series.allDay),
    location: '',
  };
  return isPattern(series, ex) ? null : ex;
}

const EXCEPTION_KEYS = [
  'originalStart',
  'cancelled',
  'title',
  'description',
  'start',
  'end',
  'location',
] as const;
const sameException = (a: EventException | null, b: EventException): boolean =>
  a !== null &&
  EXCEPTION_KEYS.every((k) => (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k]);

const isPattern = (series: EventFields, ex: EventException): boolean =>
  !ex.cancelled &&
  ex.title === series.title &&
  ex.description === series.description &&
  ex.location === series.location &&
  ex.start === ex.originalStart &&
  ex.end === patternEnd(series, ex.originalStart);

/** A series' exception rows as the neutral, sorted list (one per original start). */
export function exceptionsFromOro(series: EventFields, rows: readonly OroExceptionRow[]): EventException[] {
  const byStart = new Map<string, EventException>();
  for (const row of rows) {
    const ex = exceptionFromOro(series, row);
    if (ex) {
      byStart.set(ex.originalStart, ex);
    }
  }
  return [...byStart.values()].sort((a, b) => a.originalStart.localeCompare(b.originalStart));
}

/** The Oro body of an exception row (`calendar` and `notifyAttendees` are the caller's). */
export function exceptionToOro(
  series: EventFields,
  seriesId: number,
  ex: EventException,
): Record<string, unknown> {
  const { allDay } = series;
  const moved = ex.cancelled
    ? {
        title: series.title,
        description: series.description,
        start: ex.originalStart,
        end: patternEnd(series, ex.originalStart),
      }
    : ex;
  return {
    recurringEventId: seriesId,
    originalStart: neutralToOro(ex.originalStart, allDay),
    isCancelled: ex.cancelled,
    title: moved.title,
    description: moved.description,
    start: neutralToOro(moved.start, allDay),
    end: neutralToOro(moved.end, allDay),
    allDay,
  };
}

/**
 * The row writes that turn a series' current exception rows into `wanted`: a row per
 * original start is created, updated in place or deleted. Rows that only repeat the pattern
 * are left alone (they change nothing a user sees).
 */
export function exceptionWrites(
  series: EventFields,
  seriesId: number,
  current: readonly OroExceptionRow[],
  wanted: readonly EventException[],
): OroExceptionWrite[] {
  const rows = new Map(current.map((r) => [oroToNeutralStart(r.originalStart, series.allDay), r]));
  const writes: OroExceptionWrite[] = [];
  for (const ex of wanted) {
    const row = rows.get(ex.originalStart);
    rows.delete(ex.originalStart);
    const body = exceptionToOro(series, seriesId, ex);
    if (!row) {
      writes.push({ op: 'create', originalStart: ex.originalStart, body });
      continue;
    }
    if (sameException(exceptionFromOro(series, row), ex)) {
      continue;
    }
    const { recurringEventId: _series, originalStart: _start, ...changes } = body;
    writes.push({ op: 'update', id: row.id, originalStart: ex.originalStart, body: changes });
  }
  for (const [originalStart, row] of rows) {
    if (exceptionFromOro(series, row) !== null) {
      writes.push({ op: 'delete', id: row.id, originalStart });
    }
  }
  return writes;
}
