import { createHash } from 'node:crypto';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import type { PrivateEvents } from '../settings/schema';
import type { EventFields } from '../sync/calendar/event-mapping';
import type { Change } from '../sync/model';
import { SideError, type ReadResult } from '../sync/ports';
import { DAY, eventDoc, readStep, safeJson, snapshot, type DeltaPage } from './calendar-documents';
import {
  graphAnswerClass,
  graphErrorClass,
  graphErrorMessage,
  type BatchResult,
  type BatchStep,
} from './graph-client';
import { feedError } from './folders';

/** What a calendar read needs of its side: Graph requests, counted there. */
export interface CalendarIo {
  batch(steps: readonly BatchStep[]): Promise<BatchResult[]>;
  deltaRound(first: string): Promise<DeltaPage[]>;
  /**
   * The calendar read and written: its calendarView/delta and where events are created
   * (`/me/calendarView/delta` and `/me/events` for the default calendar,
   * `/me/calendars/{id}/…` for a chosen one); items by id are `/me/events/{id}` in any.
   */
  readonly paths: CalendarPaths;
}

export interface CalendarPaths {
  delta: string;
  create: string;
  /** The chosen calendar's id (undefined: the default calendar). */
  chosen?: string | undefined;
}

/** The paths of the default calendar, or of the calendar chosen by id. */
export function calendarPaths(chosen: string | undefined): CalendarPaths {
  if (chosen === undefined) {
    return { delta: '/me/calendarView/delta', create: '/me/events' };
  }
  const calendar = `/me/calendars/${encodeURIComponent(chosen)}`;
  return { delta: `${calendar}/calendarView/delta`, create: `${calendar}/events`, chosen };
}

const cursorSchema = z.object({
  deltaLink: z.string().optional(),
  window: z.object({ start: z.string(), end: z.string() }),
  /** Short hashes of the series masters we have seen (a cancelled occurrence names none). */
  series: z.array(z.string()),
  /** The setting calendar.privateEvents the round was mapped under. */
  privateEvents: z.string().optional(),
  /** The chosen calendar the round reads (absent: the default calendar). */
  calendar: z.string().optional(),
});
type Cursor = z.infer<typeof cursorSchema>;

/**
 * Changes of the calendar since `cursor`: calendarView/delta over the window (idle: one
 * request), then the changed singles and the series masters of changed instances by id in
 * $batch (with exceptions, cancelled occurrences and our link id). A new window, no token,
 * or a token Graph no longer holds (decided by the error code: 410, or 400/404 with
 * `syncStateNotFound`…) starts a new round over `wanted`: a full read of the window.
 */
export async function readCalendar(
  io: CalendarIo,
  cursor: string | undefined,
  wanted: { start: string; end: string },
  linkedIds: ReadonlySet<string>,
  unconfirmed: ReadonlySet<string>,
  privateEvents: PrivateEvents = 'busy-only',
): Promise<{ result: ReadResult<EventFields>; notes: string[] }> {
  const notes: string[] = [];
  const saved = parseCursor(cursor);
  // The window moves in coarse steps (sync/calendar/window.ts): each move is a new round.
  // So does a change of calendar.privateEvents: the private events already read must be
  // mapped again (their versions carry the setting, so the plan sees them change).
  let full =
    !saved?.deltaLink ||
    saved.window.start !== wanted.start ||
    saved.window.end !== wanted.end ||
    saved.privateEvents !== privateEvents ||
    // A token of another calendar is no token of this one (a choice changed under a crash).
    saved.calendar !== io.paths.chosen;
  let window = full || !saved ? wanted : saved.window;
  let pages: DeltaPage[] | undefined;
  if (!full && saved?.deltaLink) {
    try {
      pages = await io.deltaRound(saved.deltaLink);
    } catch (error) {
      // A lost delta token: drop it and read the window again; links re-match by id and link id.
      if (!(error instanceof GraphError) || graphErrorClass(error) !== 'resync') {
        throw feedError(error, io.paths.chosen, 'calendar');
      }
      full = true;
      window = wanted;
    }
  }
  pages ??= await io
    .deltaRound(`${io.paths.delta}?startDateTime=${window.start}&endDateTime=${window.end}`)
    .catch((e: unknown) => {
      throw feedError(e, io.paths.chosen, 'calendar');
    });

  const singles = new Set<string>();
  const masters = new Set<string>();
  const removed = new Set<string>();
  // Singles whose delta item is the whole event: delta gives "the same properties you'd
  // normally get from a GET /calendarView" (learn.microsoft.com/graph/api/event-delta), all
  // but the extended properties a read by id expands (our link id, an invitation's
  // attendance), which only events we created carry, and every one we create carries a
  // transactionId. A single whose item says it has none (null) needs no read by id; one
  // that has one, or does not say, is read by id as before.
  const whole = new Map<string, unknown>();
  for (const page of pages) {
    for (const item of page.value) {
      whole.delete(item.id);
      if (item['@removed']) {
        removed.add(item.id);
      } else if (item.seriesMasterId) {
        masters.add(item.seriesMasterId);
      } else if (item.type === 'seriesMaster') {
        masters.add(item.id);
      } else {
        singles.add(item.id);
        if (item.transactionId === null && item.type === 'singleInstance') {
          whole.set(item.id, item);
        }
      }
    }
  }
  const knownSeries = new Set(full ? [] : (saved?.series ?? []));
  const check = new Set<string>();
  if (full) {
    // Linked items not in the window: gone, or only outside it. A direct read tells which.
    for (const id of linkedIds) {
      if (!singles.has(id) && !masters.has(id)) {
        check.add(id);
      }
    }
  } else {
    for (const id of removed) {
      if (linkedIds.has(id)) {
        check.add(id);
      }
    }
    // Our creates since the token: the feed may not mention one the user deleted again.
    for (const id of unconfirmed) {
      if (!singles.has(id) && !masters.has(id)) {
        check.add(id);
      }
    }
    // A removed occurrence (cancelled, moved out, or its series deleted) names no series:
    // re-read the linked series we know of.
    if ([...removed].some((id) => !linkedIds.has(id))) {
      for (const id of linkedIds) {
        if (!masters.has(id) && knownSeries.has(seriesKey(id))) {
          check.add(id);
        }
      }
    }
  }

  const ids = [...new Set([...singles, ...masters, ...check])];
  const read = ids.filter((id) => !whole.has(id));
  const readAnswers = new Map((await io.batch(read.map((id) => readStep(id)))).map((a, k) => [read[k]!, a]));
  const answers = ids.map((id) => {
    const item = whole.get(id);
    return item === undefined ? readAnswers.get(id)! : { id, status: 200, body: item, headers: {} };
  });
  const changes: Change<EventFields>[] = [];
  const unmapped: { id: string; reason: string }[] = [];
  const from = Date.parse(window.start);
  const to = Date.parse(window.end);
  answers.forEach((a, k) => {
    const id = ids[k]!;
    const kind = a.status === 200 ? undefined : graphAnswerClass(a);
    if (kind === 'gone') {
      knownSeries.delete(seriesKey(id));
      if (linkedIds.has(id)) {
        changes.push({ type: 'delete', id });
      }
      return;
    }
    if (kind) {
      throw new SideError(
        'microsoft',
        `Graph answered ${a.status} reading event ${id}: ${graphErrorMessage(a.body)}`,
        kind,
        a.status,
      );
    }
    const parsed = eventDoc.safeParse(a.body);
    if (!parsed.success) {
      unmapped.push({ id, reason: `Graph sent an event this sync cannot read: ${parsed.error.message}` });
      return;
    }
    const doc = parsed.data;
    if (doc.type !== 'seriesMaster' && doc.type !== 'singleInstance') {
      return;
    }
    if (doc.type === 'seriesMaster') {
      knownSeries.add(seriesKey(doc.id));
    }
    const mapped = snapshot(doc, privateEvents);
    if ('private' in mapped) {
      // Skipped: a copy made before (under another setting, or before it was made private)
      // is removed from Oro; the Outlook event itself is never touched.
      if (linkedIds.has(doc.id)) {
        changes.push({ type: 'delete', id: doc.id });
      } else {
        unmapped.push({ id: doc.id, reason: mapped.private });
      }
      return;
    }
    if ('unsupported' in mapped) {
      unmapped.push({ id: doc.id, reason: mapped.unsupported });
      return;
    }
    for (const note of mapped.notes) {
      notes.push(`event ${doc.id}: ${note}`);
    }
    // Items outside the window are not reported (nor are they deletions). What a full round
    // did not list has no time in the window; a re-read series is judged by its range.
    const seen = singles.has(id) || masters.has(id);
    if (!seen && (full || !inWindow(mapped.item.fields, from, to))) {
      return;
    }
    changes.push({ type: 'upsert', item: mapped.item });
  });

  const deltaLink = pages.at(-1)?.['@odata.deltaLink'];
  const next: Cursor = {
    ...(deltaLink ? { deltaLink } : {}),
    window,
    series: [...knownSeries].sort(),
    privateEvents,
    ...(io.paths.chosen === undefined ? {} : { calendar: io.paths.chosen }),
  };
  return {
    notes,
    result: { changes, cursor: JSON.stringify(next), full, ...(unmapped.length > 0 ? { unmapped } : {}) },
  };
}

/** Whether an item has any time in [from, to). A series counts by its range. */
function inWindow(f: EventFields, from: number, to: number): boolean {
  const ms = (v: string) => Date.parse(f.allDay || v.length === 10 ? `${v.slice(0, 10)}T00:00:00Z` : v);
  if (f.recurrence) {
    const r = f.recurrence;
    const ends = r.end.type === 'date' ? ms(r.end.date) + DAY : Infinity;
    return ms(r.start) < to && ends > from;
  }
  return ms(f.start) < to && ms(f.end) > from;
}

const seriesKey = (id: string) => createHash('sha256').update(id).digest('base64url').slice(0, 10);

function parseCursor(cursor: string | undefined): Cursor | undefined {
  if (!cursor) {
    return undefined;
  }
  const parsed = cursorSchema.safeParse(safeJson(cursor));
  return parsed.success ? parsed.data : undefined;
}
