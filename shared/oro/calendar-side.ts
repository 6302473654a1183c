import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_CALENDAR_WINDOW, syncWindowAt, type CalendarWindow } from '../sync/calendar/window';
import { completeOroFields, oroEventToFields, type EventFields } from '../sync/calendar/event-mapping';
import type { OroRecurrence } from '../sync/calendar/recurrence';
import { exceptionsFromOro } from '../sync/calendar/oro-exceptions';
import { hashFields, type Change, type Snapshot } from '../sync/model';
import type { Write } from '../sync/plan';
import type { ReadResult, SidePort, WriteResult } from '../sync/ports';
import { occurrencesBetween } from './calendar-occurrences';
import { listExceptionRows, liveExceptionRows } from './calendar-exceptions';
import { resolveCalendar } from './calendar-lookup';
import {
  each,
  exceptionRow,
  OroEventRows,
  PAGE_SIZE,
  ReadNotes,
  toOroEvent,
  type EventRow,
} from './calendar-rows';
import { listWindow, quiet, windowStamp } from './calendar-window';
import { OroCalendarWriter, WRITE_CONCURRENCY } from './calendar-write';
import type { OroClient } from './client';
import { SETTLE_MS } from './tasks-side';

export { oroRestErrorDetail } from './calendar-rows';
export { QUIET_RECHECK_MS } from './calendar-window';

/**
 * Linked events not seen in the window are checked one GET each up to this many; beyond
 * it, one listing of every row of the calendar is cheaper (500 rows a page).
 */
const MAX_DIRECT_CHECKS = 20;
const DAY_MS = 86_400_000;
/**
 * Linked events outside the window that were confirmed to exist are checked again only
 * after this long while that set stays the same: a deletion far in the past or future
 * reaches the other side within half a day, and an idle read stays at one request.
 */
export const OUTSIDE_RECHECK_MS = 12 * 3_600_000;

const cursorSchema = z.object({
  watermark: z.string().optional(),
  calendar: z.number().int().optional(),
  /** Linked events outside the window last confirmed to exist: a hash of their ids, and when. */
  outside: z.object({ hash: z.string(), at: z.string() }).optional(),
  /** The window listing of the last full read (calendar-window.ts). */
  window: windowStamp.optional(),
});
type Outside = { hash: string; at: string };
const hashIds = (ids: readonly string[]) =>
  createHash('sha256')
    .update([...ids].sort().join(','))
    .digest('base64url')
    .slice(0, 22);

/**
 * The events of one Oro user's calendar as a sync side, over the older REST API:
 * changes by an `updatedAt>` watermark (as for tasks), a series reported as one item with
 * its exception rows, deletions by a listing of the sync window plus a direct read of any
 * linked event not seen there. A run whose window listing is the last full read's reads
 * nothing more (one request: docs/oro-calendar-read.md). Every write says
 * `notifyAttendees=none`: attendees hear from Microsoft, or from the user, never from the
 * sync.
 */
export class OroCalendarSide implements SidePort<EventFields> {
  readonly side = 'oro' as const;
  /** What the last read could not use: skipped items, unreadable rows, notes for the run's log. */
  private notes = new ReadNotes();
  private readonly rows: OroEventRows;
  private readonly writer: OroCalendarWriter;
  /** The user's calendar: configured, else found over JSON:API. */
  private calendarId: number | undefined;
  private readonly configuredCalendar: number | undefined;
  private readonly window: CalendarWindow;
  private readonly now: () => Date;

  /**
   * `calendarId`: the user's Oro calendar (the `calendar.oroCalendarId` setting). Without
   * it the side looks the calendar up over JSON:API, which stock Oro does not offer: the
   * read then fails with a CalendarNotKnown naming the setting.
   */
  constructor(
    private readonly client: OroClient,
    private readonly userId: string,
    options: { window?: CalendarWindow; now?: () => Date; calendarId?: number | undefined } = {},
  ) {
    this.window = options.window ?? DEFAULT_CALENDAR_WINDOW;
    this.now = options.now ?? (() => new Date());
    this.configuredCalendar = options.calendarId;
    this.rows = new OroEventRows(client, () => this.notes);
    this.writer = new OroCalendarWriter(client, this.rows, () => this.calendar());
  }

  /** Why events of the last read were skipped or mapped with a loss, for the run's log. */
  get readNotes(): string[] {
    return this.notes.notes;
  }

  get requests(): number {
    return this.client.requests;
  }

  complete(fields: EventFields, base: EventFields): EventFields {
    return completeOroFields(fields, base);
  }

  async read(
    cursor: string | undefined,
    linkedIds: ReadonlySet<string>,
  ): Promise<ReadResult<EventFields> & { unmapped?: { id: string; reason: string }[] }> {
    this.notes = new ReadNotes();
    const state = cursorSchema.parse(cursor ? JSON.parse(cursor) : {});
    const calendar = await this.calendar();
    // Another calendar than the cursor's (the setting changed): everything is read again.
    const { watermark } = state.calendar === undefined || state.calendar === calendar ? state : {};
    const now = this.now().getTime();
    // The window listing comes first: whatever is committed after it changes the next one,
    // so a run that finds it as it was has missed nothing the `updatedAt>` listing after it
    // did not read. A read from scratch makes it too where links exist (the calendar is
    // unlikely to be empty), so that the next run can be a quiet one.
    const listing =
      watermark || linkedIds.size > 0
        ? await listWindow(this.rows, calendar, syncWindowAt(this.now(), this.window), this.notes)
        : undefined;
    if (listing && watermark && quiet(listing, state.window, watermark, now)) {
      const unseen = [...linkedIds].filter((id) => !listing.ids.has(id));
      const { deletes, outside } = await this.checkOutside(calendar, unseen, listing.ids, state.outside, now);
      return {
        changes: deletes,
        cursor: JSON.stringify({
          watermark,
          calendar,
          ...(outside ? { outside } : {}),
          window: state.window,
        }),
        full: false,
      };
    }
    const query = `calendar=${calendar}&limit=${PAGE_SIZE}${watermark ? `&updatedAt%3E${encodeURIComponent(watermark)}` : ''}`;
    const { rows, serverTime } = await this.rows.listRows(query);

    let latest = watermark ? Date.parse(watermark) : 0;
    for (const r of rows) {
      latest = Math.max(latest, Date.parse(r.updatedAt));
    }
    const masters = new Map<number, EventRow>();
    const exceptions = new Map<number, EventRow[]>();
    const series = new Set<number>();
    for (const r of rows) {
      if (r.recurringEventId) {
        series.add(r.recurringEventId);
        exceptions.set(r.recurringEventId, [...(exceptions.get(r.recurringEventId) ?? []), r]);
      } else {
        masters.set(r.id, r);
        if (r.recurrence) {
          series.add(r.id);
        }
      }
    }
    // A partial read saw only what changed: complete each series with its master and all its
    // exceptions; for many series, one listing of the calendar instead of one request each.
    if (watermark && series.size > MAX_DIRECT_CHECKS) {
      const complete = new Map<number, EventRow[]>([...series].map((id) => [id, []]));
      for (const r of await this.rows.listAll(`calendar=${calendar}&limit=${PAGE_SIZE}`)) {
        if (r.recurringEventId) {
          complete.get(r.recurringEventId)?.push(r);
        } else if (series.has(r.id)) {
          masters.set(r.id, r);
        }
      }
      for (const [id, rows] of complete) {
        exceptions.set(id, rows);
      }
    } else if (watermark) {
      await each([...series], WRITE_CONCURRENCY, async (id) => {
        if (!masters.has(id)) {
          const master = await this.rows.getEvent(id);
          if (master === 'gone' || master === 'unreadable') {
            return;
          }
          masters.set(id, master);
        }
        exceptions.set(id, await listExceptionRows(this.rows, calendar, id));
      });
    }

    const changes: Change<EventFields>[] = [];
    const seen = new Set<string>();
    for (const master of masters.values()) {
      seen.add(String(master.id));
      if (this.notes.unreadable.has(String(master.id))) {
        // Reporting the series without a row it could not read would change it on the other side.
        this.notes.skip(master.id, 'one of its exception rows could not be read');
        continue;
      }
      const item = this.snapshot(master, exceptions.get(master.id) ?? []);
      if (item) {
        changes.push({ type: 'upsert', item });
      }
    }

    // Seconds older than the settle time are final; a more recent one may still gain updates.
    const settled = Math.floor(((serverTime ?? Date.now()) - SETTLE_MS) / 1000) * 1000 - 1000;
    const next = latest > 0 ? new Date(Math.min(latest, settled)).toISOString() : undefined;
    for (const id of this.notes.unreadable) {
      seen.add(id);
    }
    // A full read listed every row; otherwise ask about linked events this read did not see.
    const unseen = [...linkedIds].filter((id) => !seen.has(id));
    let outside = watermark ? state.outside : undefined;
    if (!watermark) {
      for (const id of unseen) {
        changes.push({ type: 'delete', id });
      }
    } else if (unseen.length > 0 && listing) {
      const checked = await this.checkOutside(calendar, unseen, listing.ids, outside, now);
      changes.push(...checked.deletes);
      outside = checked.outside;
    }
    return {
      changes,
      cursor: JSON.stringify({
        ...(next ? { watermark: next } : {}),
        calendar,
        ...(outside ? { outside } : {}),
        ...(listing
          ? {
              window: {
                start: listing.start,
                end: listing.end,
                hash: listing.hash,
                at: new Date(now).toISOString(),
              },
            }
          : {}),
      }),
      full: !watermark,
      ...(this.notes.unmapped.length > 0 ? { unmapped: this.notes.unmapped } : {}),
    };
  }

  /**
   * Linked events a read did not see: those in the window listing exist; the rest (outside
   * the window) are checked directly, again only after OUTSIDE_RECHECK_MS while that set
   * stays the same.
   */
  private async checkOutside(
    calendar: number,
    unseen: readonly string[],
    inWindow: ReadonlySet<string>,
    outside: Outside | undefined,
    now: number,
  ): Promise<{ deletes: Change<EventFields>[]; outside: Outside | undefined }> {
    const rest = unseen.filter((id) => !inWindow.has(id));
    const fresh = outside?.hash === hashIds(rest) && now - Date.parse(outside.at) < OUTSIDE_RECHECK_MS;
    if (rest.length === 0 || fresh) {
      return { deletes: [], outside };
    }
    const existing = await this.existingIds(calendar, rest);
    const kept = rest.filter((id) => existing.has(id));
    return {
      deletes: rest.filter((id) => !existing.has(id)).map((id) => ({ type: 'delete', id })),
      outside: kept.length > 0 ? { hash: hashIds(kept), at: new Date(now).toISOString() } : undefined,
    };
  }

  /** One item: a single event, or a series with its exceptions; undefined when skipped. */
  private snapshot(master: EventRow, rows: readonly EventRow[]): Snapshot<EventFields> | undefined {
    const mapped = oroEventToFields(toOroEvent(master));
    if ('unsupported' in mapped) {
      this.notes.skip(master.id, mapped.unsupported);
      return undefined;
    }
    for (const note of mapped.notes) {
      this.readNotes.push(`Oro event ${master.id}: ${note}`);
    }
    const exceptionRows = liveExceptionRows(master, mapped.ok, rows, this.notes).map(exceptionRow);
    const fields: EventFields = { ...mapped.ok, exceptions: exceptionsFromOro(mapped.ok, exceptionRows) };
    if (!this.inWindow(master, fields)) {
      return undefined;
    }
    const stamps = [master, ...rows].map((r) => `${r.id}@${r.updatedAt}`).sort();
    const newest = Math.max(...[master, ...rows].map((r) => Date.parse(r.updatedAt)));
    return {
      id: String(master.id),
      version: `${createHash('sha256').update(stamps.join(',')).digest('base64url').slice(0, 16)}#${hashFields(fields)}`,
      fields,
      modifiedAt: new Date(newest).toISOString(),
      // The event's iCalendar UID (OroCalendarBundle CalendarEvent `uid`, doc.oroinc.com
      // bundles/platform/CalendarBundle/uid): our link id on events we created, and what a
      // first sync pairs with Graph's `iCalUId`.
      ...(master.uid ? { linkId: master.uid, uid: master.uid } : {}),
      ...(master.isOrganizer === false
        ? {
            readOnly: `the user attends this event; ${fields.organizer?.name || master.organizerEmail || 'someone else'} organizes it`,
          }
        : {}),
    };
  }

  private range(): { from: number; to: number } {
    const now = this.now().getTime();
    return { from: now - this.window.pastDays * DAY_MS, to: now + this.window.futureDays * DAY_MS };
  }

  /** Whether a single event overlaps the window, or a series has an occurrence (or a moved one) in it. */
  private inWindow(master: EventRow, fields: EventFields): boolean {
    const { from, to } = this.range();
    const overlaps = (start: number, end: number) => start < to && Math.max(end, start + 1) > from;
    if (!master.recurrence) {
      return overlaps(Date.parse(master.start), Date.parse(master.end));
    }
    const moved = fields.exceptions.some(
      (e) => !e.cancelled && overlaps(Date.parse(e.start), Date.parse(e.end)),
    );
    if (moved) {
      return true;
    }
    const cancelled = new Set(
      fields.exceptions.map((e) => Date.parse(e.originalStart)).filter((t) => !Number.isNaN(t)),
    );
    // The first occurrences that are not cancelled or moved away decide (a few are enough).
    return occurrencesBetween(
      {
        start: master.start,
        end: master.end,
        allDay: master.allDay,
        recurrence: master.recurrence as OroRecurrence,
      },
      from,
      to,
      cancelled.size + 1,
    ).some((o) => !cancelled.has(o.start));
  }

  /** Of `ids` (outside the window), those that still exist: direct reads, or one full listing when many. */
  private async existingIds(calendar: number, ids: readonly string[]): Promise<Set<string>> {
    // Not an Oro id: nothing to find, and nothing to delete.
    const existing = new Set(ids.filter((id) => !/^\d+$/.test(id)));
    const rest = ids.filter((id) => !existing.has(id));
    if (rest.length > MAX_DIRECT_CHECKS) {
      for (const r of await this.rows.listAll(`calendar=${calendar}&limit=${PAGE_SIZE}`)) {
        existing.add(String(r.recurringEventId ?? r.id));
      }
    } else {
      await each(rest, WRITE_CONCURRENCY, async (id) => {
        if ((await this.rows.getEvent(Number(id))) !== 'gone') {
          existing.add(id);
        }
      });
    }
    for (const id of this.notes.unreadable) {
      existing.add(id);
    }
    return existing;
  }

  /**
   * The user's calendar: the configured id, else looked up (where the instance allows).
   * A cursor's calendar is never reused: a cleared setting stops the sync, visibly.
   */
  private async calendar(): Promise<number> {
    this.calendarId ??= await resolveCalendar(this.client, this.userId, this.configuredCalendar);
    return this.calendarId;
  }

  /** One item per write (a series with its exception rows), a few at a time; results keep the order of `writes`. */
  write(writes: readonly Write<EventFields>[]): Promise<WriteResult<EventFields>[]> {
    return this.writer.write(writes);
  }
}
