import { createHash } from 'node:crypto';
import { z } from 'zod';
import { EVENTS, ReadNotes, type OroEventRows } from './calendar-rows';

/**
 * The calendar side's window listing: what one expanded start/end listing of the read
 * window tells a run, and when it says that nothing changed since the last full read, so
 * that an idle run costs this one Oro request (docs/oro-calendar-read.md).
 */

/**
 * A run whose window listing is the same as the last full read's skips the `updatedAt>`
 * listing, for at most this long: what the window listing cannot show (an exception row
 * edited, cancelled or added outside the window, of a series with occurrences inside it)
 * reaches the other side within half a day, as a deletion outside the window does.
 */
export const QUIET_RECHECK_MS = 12 * 3_600_000;

/** The window listing at the last full read, in the cursor: its span, a hash of the user's rows in it, and when. */
export const windowStamp = z.object({ start: z.string(), end: z.string(), hash: z.string(), at: z.string() });
export type WindowStamp = z.infer<typeof windowStamp>;

/** The window listing of one run, as the read uses it. */
export interface WindowListing {
  /** Its span (the read window moved in 30-day steps). */
  start: string;
  end: string;
  /** Singles and series with an occurrence in it (and ids of rows that could not be parsed). */
  ids: Set<string>;
  /** How many of the user's rows it has, and the newest `updatedAt` among them (ms). */
  own: number;
  newest: number;
  hash: string;
}

/**
 * The window listing (one expanded start/end listing over `span`, the read window moved
 * in 30-day steps by `syncWindowAt`, so that it stays the same from run to run): the ids
 * of the singles and series with an occurrence in it, and a hash of the user's rows in it.
 *
 * The listing runs every calendar provider: only the user provider's rows of this
 * calendar count (`calendarAlias` 'user'), not the API user's tasks (task ids, calendar
 * 1), system or public calendar events, nor another connected user's calendar. A
 * cancelled exception listed on its own (its occurrence is gone) shows nothing.
 *
 * What the hash sees (OroCalendarBundle `AbstractRecurrenceAwareCalendarProvider`,
 * `getExpandedRecurrences`): an occurrence is a copy of its series' row (its `updatedAt`
 * included) at the occurrence's start; an exception row replaces its occurrence, and a
 * cancelled one removes it; every row carries its `updatedAt`. So an edit of an event or
 * series, an exception added, moved, cancelled or restored, a deletion and a new event
 * in the window each change the listing.
 */
export async function listWindow(
  rows: OroEventRows,
  calendar: number,
  span: { start: string; end: string },
  notes: ReadNotes,
): Promise<WindowListing> {
  const { start, end } = span;
  const iso = (day: string) => encodeURIComponent(day.replace(/Z$/, '+00:00'));
  const res = await rows.get(`${EVENTS}?calendar=${calendar}&start=${iso(start)}&end=${iso(end)}`);
  // Rows it cannot parse are noted by the read that uses them, not here.
  const skipped = new ReadNotes();
  const ids = new Set<string>();
  const stamps: string[] = [];
  let newest = 0;
  for (const r of rows.parseRows(res.body, skipped)) {
    if ((r.calendarAlias ?? 'user') !== 'user' || (r.calendar ?? calendar) !== calendar) {
      continue;
    }
    if (!r.isCancelled) {
      ids.add(String(r.recurringEventId ?? r.id));
    }
    newest = Math.max(newest, Date.parse(r.updatedAt));
    stamps.push(
      [
        r.id,
        r.recurringEventId ?? '',
        r.originalStart ?? '',
        r.start,
        r.end,
        r.allDay,
        r.isCancelled ?? false,
        r.updatedAt,
      ]
        .map(String)
        .join('|'),
    );
  }
  for (const id of skipped.unreadable) {
    ids.add(id);
    stamps.push(`unreadable|${id}`);
  }
  for (const id of notes.unreadable) {
    ids.add(id);
  }
  const hash = createHash('sha256').update(stamps.sort().join('\n')).digest('base64url').slice(0, 22);
  return { start, end, ids, own: stamps.length, newest, hash };
}

/**
 * Whether nothing changed since the last full read: the window listing is the one that
 * read recorded (same span, same rows and update times), none of its rows is newer than
 * the watermark (a row updated within the settle time may still gain an update in the
 * same second), and the last full read is less than QUIET_RECHECK_MS old. A calendar
 * its owner hid in Oro's calendar view lists no row of its own
 * (`UserCalendarProvider::getCalendarEvents` selects only the visible connections of
 * `CalendarPropertyProvider::getItemsVisibility`, else `1 = 0`), so a listing without a
 * row of the user's says nothing: such a run reads on (an empty window costs two requests).
 */
export function quiet(
  listing: WindowListing,
  last: WindowStamp | undefined,
  watermark: string,
  now: number,
): boolean {
  return (
    last !== undefined &&
    last.start === listing.start &&
    last.end === listing.end &&
    last.hash === listing.hash &&
    listing.newest <= Date.parse(watermark) &&
    now - Date.parse(last.at) < QUIET_RECHECK_MS &&
    listing.own > 0
  );
}
