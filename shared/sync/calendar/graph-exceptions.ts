import { graphEventToFields, type EventException, type EventFields, type GraphEvent } from './event-mapping';
import { toWindows, utcToZoned, zonedDate, zonedToUtc } from './time-zones';

/**
 * A Graph series' exceptions ⇄ the neutral `exceptions` of its item. Graph keeps moved or
 * changed occurrences as `exceptionOccurrences` (each with the instant the pattern put it
 * at, `originalStart`) and cancelled ones as `cancelledOccurrences` strings
 * ("OID.{masterId}.{yyyy-MM-dd}", the local date in the series' zone).
 */

export interface GraphInstance extends GraphEvent {
  originalStart?: string | null;
  type?: string;
  isCancelled?: boolean;
}

export interface GraphSeriesMaster extends GraphEvent {
  exceptionOccurrences?: GraphInstance[] | null;
  cancelledOccurrences?: string[] | null;
}

const instant = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const dayDiff = (a: string, b: string) =>
  Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);

/** Where the pattern puts the occurrence that starts at `originalStart`: its start and end. */
export function patternOccurrence(
  series: EventFields,
  originalStart: string,
): { start: string; end: string } {
  if (series.allDay) {
    return { start: originalStart, end: addDays(originalStart, dayDiff(series.start, series.end)) };
  }
  const duration = Date.parse(series.end) - Date.parse(series.start);
  return { start: originalStart, end: instant(Date.parse(originalStart) + duration) };
}

/** The neutral key of a Graph `originalStart` instant: the instant, or its date in the series' zone. */
export function originalStartKey(series: EventFields, graphOriginalStart: string): string {
  const zone = series.recurrence?.timeZone ?? 'UTC';
  return series.allDay ? zonedDate(graphOriginalStart, zone) : instant(Date.parse(graphOriginalStart));
}

export interface ReadExceptions {
  exceptions: EventException[];
  /** Graph instance id of each exception by neutral original start (cancelled ones have none). */
  ids: Map<string, string>;
  notes: string[];
}

/**
 * The neutral exceptions of a series master read with `$expand=exceptionOccurrences` and
 * `$select=…,cancelledOccurrences`. `series` is the master already mapped. An exception
 * that equals its pattern occurrence is not one (Graph keeps an occurrence patched back).
 */
export function readGraphExceptions(master: GraphSeriesMaster, series: EventFields): ReadExceptions {
  const out = new Map<string, EventException>();
  const ids = new Map<string, string>();
  const notes: string[] = [];
  if (!series.recurrence) {
    return { exceptions: [], ids, notes };
  }
  const zone = series.recurrence.timeZone;
  const timeOfDay = utcToZoned(series.allDay ? `${series.start}T00:00:00Z` : series.start, zone).slice(
    11,
    19,
  );
  for (const x of master.exceptionOccurrences ?? []) {
    if (!x.originalStart) {
      continue;
    }
    const key = originalStartKey(series, x.originalStart);
    if (x.isCancelled) {
      out.set(key, { originalStart: key, cancelled: true });
      continue;
    }
    const mapped = graphEventToFields({ ...x, isAllDay: series.allDay, recurrence: null });
    if ('unsupported' in mapped) {
      notes.push(`occurrence of ${key}: ${mapped.unsupported}`);
      continue;
    }
    const f = mapped.ok;
    const exception: EventException = {
      originalStart: key,
      cancelled: false,
      title: f.title,
      description: f.description,
      start: f.start,
      end: f.end,
      location: f.location,
    };
    ids.set(key, x.id);
    if (!isPatternOccurrence(series, exception)) {
      out.set(key, exception);
    }
  }
  for (const c of master.cancelledOccurrences ?? []) {
    const date = /\.(\d{4}-\d{2}-\d{2})$/.exec(c)?.[1];
    if (!date) {
      notes.push(`unreadable cancelled occurrence "${c}"`);
      continue;
    }
    const key = series.allDay ? date : instant(zonedToUtc(`${date}T${timeOfDay}`, zone).getTime());
    out.set(key, { originalStart: key, cancelled: true });
  }
  const exceptions = [...out.values()].sort((a, b) => a.originalStart.localeCompare(b.originalStart));
  return { exceptions, ids, notes };
}

/** True when an exception only repeats what the pattern gives (so it is not an exception). */
export function isPatternOccurrence(series: EventFields, x: EventException): boolean {
  if (x.cancelled) {
    return false;
  }
  const at = patternOccurrence(series, x.originalStart);
  return (
    x.start === at.start &&
    x.end === at.end &&
    x.title === series.title &&
    x.description === series.description &&
    x.location === series.location
  );
}

/** The PATCH body that turns an occurrence into `x`, times in the series' zone. */
export function exceptionToGraph(series: EventFields, x: Extract<EventException, { cancelled: false }>) {
  const zone = series.recurrence?.timeZone ?? 'UTC';
  const at = (v: string) =>
    series.allDay
      ? { dateTime: `${v}T00:00:00.0000000`, timeZone: toWindows(zone) }
      : { dateTime: `${utcToZoned(v, zone)}.0000000`, timeZone: toWindows(zone) };
  return {
    subject: x.title,
    body: { contentType: 'text', content: x.description },
    location: { displayName: x.location },
    start: at(x.start),
    end: at(x.end),
  };
}

export interface ExceptionPlan {
  /** Occurrences to patch into these exceptions (new or changed). */
  patch: Extract<EventException, { cancelled: false }>[];
  /** Occurrences to cancel (by original start). */
  cancel: string[];
  /** Exceptions to patch back to the pattern (they are exceptions no more). */
  revert: string[];
  /** What Graph cannot do: a cancelled occurrence does not come back. */
  impossible: string[];
}

/** What to do on Graph to go from `current` exceptions to `wanted` ones. */
export function planExceptions(
  current: readonly EventException[],
  wanted: readonly EventException[],
): ExceptionPlan {
  const now = new Map(current.map((x) => [x.originalStart, x]));
  const next = new Map(wanted.map((x) => [x.originalStart, x]));
  const plan: ExceptionPlan = { patch: [], cancel: [], revert: [], impossible: [] };
  for (const [key, want] of next) {
    const have = now.get(key);
    if (want.cancelled) {
      if (!have?.cancelled) {
        plan.cancel.push(key);
      }
    } else if (have?.cancelled) {
      plan.impossible.push(key);
    } else if (!have || !sameException(have, want)) {
      plan.patch.push(want);
    }
  }
  for (const [key, have] of now) {
    if (next.has(key)) {
      continue;
    }
    if (have.cancelled) {
      plan.impossible.push(key);
    } else {
      plan.revert.push(key);
    }
  }
  return plan;
}

const sameException = (a: EventException, b: EventException): boolean =>
  !a.cancelled &&
  !b.cancelled &&
  a.title === b.title &&
  a.description === b.description &&
  a.start === b.start &&
  a.end === b.end &&
  a.location === b.location;

/**
 * `SidePort.keeps` for Outlook: an occurrence cancelled there stays cancelled in `wanted`
 * where `wanted` says of it what `base` said (the winner of a conflict did not touch it).
 * Only while the series keeps its shape: a new pattern or time brings new occurrences.
 */
export function keepCancelledOccurrences(
  current: EventFields,
  wanted: EventFields,
  base: EventFields,
): EventFields {
  const sameShape = (a: EventFields, b: EventFields) =>
    a.start === b.start &&
    a.end === b.end &&
    a.allDay === b.allDay &&
    JSON.stringify(a.recurrence) === JSON.stringify(b.recurrence);
  if (!wanted.recurrence || !sameShape(current, wanted) || !sameShape(base, wanted)) {
    return wanted;
  }
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const inWanted = new Map(wanted.exceptions.map((x) => [x.originalStart, x]));
  const inBase = new Map(base.exceptions.map((x) => [x.originalStart, x]));
  const kept = current.exceptions.filter(
    (x) =>
      x.cancelled &&
      !inWanted.get(x.originalStart)?.cancelled &&
      same(inWanted.get(x.originalStart), inBase.get(x.originalStart)),
  );
  if (kept.length === 0) {
    return wanted;
  }
  const keys = new Set(kept.map((x) => x.originalStart));
  const exceptions = [...wanted.exceptions.filter((x) => !keys.has(x.originalStart)), ...kept].sort((a, b) =>
    a.originalStart.localeCompare(b.originalStart),
  );
  return { ...wanted, exceptions };
}
