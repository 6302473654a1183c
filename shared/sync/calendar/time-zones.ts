import { findIana, findWindows } from 'windows-iana';

/**
 * Time zones between Graph (Windows or IANA names) and Oro (IANA), and wall-clock ⇄ UTC
 * conversion through Intl, so series keep their local time across DST changes.
 */

const isIana = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/** The IANA name of a Graph zone (Windows or IANA); undefined when unknown. */
export function toIana(zone: string): string | undefined {
  if (zone === 'UTC' || zone === 'tzone://Microsoft/Utc') {
    return 'UTC';
  }
  const windows = findIana(zone)[0];
  if (windows) {
    return windows;
  }
  return isIana(zone) ? zone : undefined;
}

/** The Windows name Graph prefers for an IANA zone; the IANA name itself when none maps. */
export function toWindows(iana: string): string {
  if (iana === 'UTC' || iana === 'Etc/UTC') {
    return 'UTC';
  }
  return findWindows(iana)[0] ?? iana;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/**
 * Zones that are UTC itself: their wall clock is the instant (to the second, as the
 * formatter shows it), with no formatter. Graph answers in UTC unless asked for another
 * zone, so most conversions are these, and `formatToParts` was most of a calendar read's
 * time (BENCHMARKS.md).
 */
const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/Universal', 'Etc/Zulu', 'Universal', 'Zulu']);

/** The wall clock in `zone` at an instant, as epoch ms of the same fields in UTC. */
function wallClockMs(utcMs: number, zone: string): number {
  if (UTC_ZONES.has(zone)) {
    return Math.floor(utcMs / 1000) * 1000;
  }
  const parts = Object.fromEntries(
    formatter(zone)
      .formatToParts(new Date(utcMs))
      .map((p) => [p.type, p.value]),
  );
  return Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
}

const offsetMs = (utcMs: number, zone: string): number =>
  wallClockMs(utcMs, zone) - Math.floor(utcMs / 1000) * 1000;

/**
 * A local date-time in `zone` ("2026-03-29T02:30:00", fractions allowed) as an instant.
 * A time skipped by a DST jump moves forward by the jump; a repeated one takes the first.
 */
export function zonedToUtc(local: string, zone: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(local);
  if (!m) {
    throw new RangeError(`not a local date-time: ${local}`);
  }
  const wall = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6] ?? 0),
  );
  // The offsets a day before and after bracket any transition near this wall time.
  const before = wall - offsetMs(wall - 86_400_000, zone);
  const after = wall - offsetMs(wall + 86_400_000, zone);
  const shown = [before, after].filter((t) => wallClockMs(t, zone) === wall);
  // Repeated (fall back): the earlier instant. Skipped (spring forward): the offset before the jump.
  return new Date(shown.length > 0 ? Math.min(...shown) : before);
}

/** The wall clock of an instant in `zone`, as "YYYY-MM-DDTHH:mm:ss". */
export function utcToZoned(instant: Date | string, zone: string): string {
  const ms = typeof instant === 'string' ? Date.parse(instant) : instant.getTime();
  return new Date(wallClockMs(ms, zone)).toISOString().slice(0, 19);
}

/** The calendar date of an instant in `zone`. */
export const zonedDate = (instant: Date | string, zone: string): string =>
  utcToZoned(instant, zone).slice(0, 10);
