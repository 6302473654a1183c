import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_CALENDAR_WINDOW, type CalendarWindow } from '../sync/calendar/window';
import {
  completeOroFields,
  fieldsToOroEvent,
  oroEventToFields,
  type EventFields,
  type OroEvent,
} from '../sync/calendar/event-mapping';
import type { OroRecurrence } from '../sync/calendar/recurrence';
import { exceptionsFromOro, exceptionWrites, type OroExceptionRow } from '../sync/calendar/oro-exceptions';
import { hashFields, type Change, type Snapshot } from '../sync/model';
import type { Write } from '../sync/plan';
import { SideError, writeFailure, type ReadResult, type SidePort, type WriteResult } from '../sync/ports';
import { occurrencesBetween } from './calendar-occurrences';
import { oroAnswerClass, type OroClient, type OroResponse } from './client';
import type { ErrorClass } from '../errors/classify';
import { SETTLE_MS } from './tasks-side';

const EVENTS = '/api/rest/latest/calendarevents';
const PAGE_SIZE = 500;
/** Parallel writes to Oro: enough to hide latency, few enough not to load one user's Oro. */
const WRITE_CONCURRENCY = 4;
/**
 * Linked events not seen in the window are checked one GET each up to this many; beyond
 * it, one listing of every row of the calendar is cheaper (500 rows a page).
 */
const MAX_DIRECT_CHECKS = 20;
/** Fields whose change can touch a series' exception rows. */
const SERIES_SHAPE = new Set(['exceptions', 'recurrence', 'start', 'end', 'allDay']);
const DAY_MS = 86_400_000;
/**
 * Linked events outside the window that were confirmed to exist are checked again only
 * after this long while that set stays the same: a deletion far in the past or future
 * reaches the other side within half a day, and an idle read stays at two requests.
 */
export const OUTSIDE_RECHECK_MS = 12 * 3_600_000;

const date = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'not a date');
const recurrence = z
  .object({
    recurrenceType: z.enum(['daily', 'weekly', 'monthly', 'monthnth', 'yearly', 'yearnth']),
    interval: z.number().int().positive(),
    instance: z.number().int().nullable().optional(),
    dayOfWeek: z.array(z.string()).nullable().optional(),
    dayOfMonth: z.number().int().nullable().optional(),
    monthOfYear: z.number().int().nullable().optional(),
    startTime: date,
    endTime: date.nullable().optional(),
    occurrences: z.number().int().nullable().optional(),
    timeZone: z.string(),
  })
  .loose();
const eventRow = z
  .object({
    id: z.number().int(),
    uid: z.string().nullable().optional(),
    title: z.string().nullable().optional(),
    description: z.string().nullable().optional(),
    start: date,
    end: date,
    allDay: z.boolean(),
    reminders: z
      .array(
        z.object({
          method: z.string(),
          interval: z.object({ number: z.number(), unit: z.enum(['M', 'H', 'D', 'W']) }),
        }),
      )
      .nullable()
      .optional(),
    attendees: z
      .array(
        z
          .object({
            displayName: z.string().nullable().optional(),
            email: z.string().nullable().optional(),
            status: z.string().nullable().optional(),
            type: z.string().nullable().optional(),
          })
          .loose(),
      )
      .nullable()
      .optional(),
    recurrence: recurrence.nullable().optional(),
    recurringEventId: z.number().int().nullable().optional(),
    originalStart: date.nullable().optional(),
    isCancelled: z.boolean().nullable().optional(),
    isOrganizer: z.boolean().nullable().optional(),
    organizerEmail: z.string().nullable().optional(),
    organizerDisplayName: z.string().nullable().optional(),
    updatedAt: date,
  })
  .loose();
type EventRow = z.infer<typeof eventRow>;
const created = z.object({ id: z.number().int() }).loose();
const calendarList = z.object({ data: z.array(z.object({ id: z.string() })) });
const cursorSchema = z.object({
  watermark: z.string().optional(),
  calendar: z.number().int().optional(),
  /** Linked events outside the window last confirmed to exist: a hash of their ids, and when. */
  outside: z.object({ hash: z.string(), at: z.string() }).optional(),
});
const hashIds = (ids: readonly string[]) =>
  createHash('sha256')
    .update([...ids].sort().join(','))
    .digest('base64url')
    .slice(0, 22);

/** The older REST API's form errors, flattened ("recurrence.interval: This value …"). */
export function oroRestErrorDetail(body: unknown): string {
  const out: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (typeof node !== 'object' || node === null) {
      return;
    }
    const n = node as { errors?: unknown; children?: Record<string, unknown> };
    if (Array.isArray(n.errors)) {
      for (const e of n.errors) {
        out.push(path ? `${path}: ${String(e)}` : String(e));
      }
    }
    for (const [k, child] of Object.entries(n.children ?? {})) {
      walk(child, path ? `${path}.${k}` : k);
    }
  };
  const b = body as { message?: unknown; errors?: unknown } | undefined;
  walk(b?.errors, '');
  if (out.length === 0 && typeof b?.message === 'string') {
    out.push(b.message);
  }
  return out.length > 0 ? out.join('; ') : 'no details';
}

const toOroEvent = (r: EventRow): OroEvent => ({ ...r, title: r.title ?? '' }) as OroEvent;
const exceptionRow = (r: EventRow): OroExceptionRow => ({
  id: r.id,
  title: r.title ?? '',
  description: r.description ?? null,
  start: r.start,
  end: r.end,
  allDay: r.allDay,
  originalStart: r.originalStart ?? r.start,
  isCancelled: r.isCancelled ?? false,
});

/**
 * The events of one Oro user's default calendar as a sync side, over the older REST API:
 * changes by an `updatedAt>` watermark (as for tasks), a series reported as one item with
 * its exception rows, deletions by a listing of the sync window plus a direct read of any
 * linked event not seen there. Every write says `notifyAttendees=none`: attendees hear
 * from Microsoft, or from the user, never from the sync.
 */
export class OroCalendarSide implements SidePort<EventFields> {
  readonly side = 'oro' as const;
  /** Why events of the last read were skipped or mapped with a loss, for the run's log. */
  readNotes: string[] = [];
  /** Items the last read left out, with the reason (also in `readNotes`); returned as `unmapped`. */
  private unmapped: { id: string; reason: string }[] = [];
  /** Ids of events (or series) this read could not parse: they exist, but are not reported. */
  private unreadable = new Set<string>();
  private calendarId: number | undefined;
  private readonly window: CalendarWindow;
  private readonly now: () => Date;

  constructor(
    private readonly client: OroClient,
    private readonly userId: string,
    options: { window?: CalendarWindow; now?: () => Date } = {},
  ) {
    this.window = options.window ?? DEFAULT_CALENDAR_WINDOW;
    this.now = options.now ?? (() => new Date());
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
    this.readNotes = [];
    this.unmapped = [];
    this.unreadable = new Set();
    const state = cursorSchema.parse(cursor ? JSON.parse(cursor) : {});
    const { watermark } = state;
    if (state.calendar !== undefined) {
      this.calendarId = state.calendar;
    }
    const calendar = await this.calendar();
    const query = `calendar=${calendar}&limit=${PAGE_SIZE}${watermark ? `&updatedAt%3E${encodeURIComponent(watermark)}` : ''}`;
    const { rows, serverTime } = await this.listRows(query);

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
      for (const r of await this.listAll(`calendar=${calendar}&limit=${PAGE_SIZE}`)) {
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
      await this.each([...series], async (id) => {
        if (!masters.has(id)) {
          const master = await this.getEvent(id);
          if (master === 'gone' || master === 'unreadable') {
            return;
          }
          masters.set(id, master);
        }
        exceptions.set(
          id,
          await this.listAll(`calendar=${calendar}&recurringEventId=${id}&limit=${PAGE_SIZE}`),
        );
      });
    }

    const changes: Change<EventFields>[] = [];
    const seen = new Set<string>();
    for (const master of masters.values()) {
      seen.add(String(master.id));
      if (this.unreadable.has(String(master.id))) {
        // Reporting the series without a row it could not read would change it on the other side.
        this.skip(master.id, 'one of its exception rows could not be read');
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
    for (const id of this.unreadable) {
      seen.add(id);
    }
    // A full read listed every row; otherwise ask about linked events this read did not see.
    const unseen = [...linkedIds].filter((id) => !seen.has(id));
    let outside = watermark ? state.outside : undefined;
    if (!watermark) {
      for (const id of unseen) {
        changes.push({ type: 'delete', id });
      }
    } else if (unseen.length > 0) {
      const inWindow = await this.windowIds(calendar);
      const rest = unseen.filter((id) => !inWindow.has(id));
      const now = this.now().getTime();
      const fresh = outside?.hash === hashIds(rest) && now - Date.parse(outside.at) < OUTSIDE_RECHECK_MS;
      if (rest.length > 0 && !fresh) {
        const existing = await this.existingIds(calendar, rest);
        for (const id of rest) {
          if (!existing.has(id)) {
            changes.push({ type: 'delete', id });
          }
        }
        const kept = rest.filter((id) => existing.has(id));
        outside = kept.length > 0 ? { hash: hashIds(kept), at: new Date(now).toISOString() } : undefined;
      }
    }
    return {
      changes,
      cursor: JSON.stringify({
        ...(next ? { watermark: next } : {}),
        calendar,
        ...(outside ? { outside } : {}),
      }),
      full: !watermark,
      ...(this.unmapped.length > 0 ? { unmapped: this.unmapped } : {}),
    };
  }

  /** One item: a single event, or a series with its exceptions; undefined when skipped. */
  private snapshot(master: EventRow, rows: readonly EventRow[]): Snapshot<EventFields> | undefined {
    const mapped = oroEventToFields(toOroEvent(master));
    if ('unsupported' in mapped) {
      this.skip(master.id, mapped.unsupported);
      return undefined;
    }
    for (const note of mapped.notes) {
      this.readNotes.push(`Oro event ${master.id}: ${note}`);
    }
    const exceptionRows = master.recurrence ? rows.map(exceptionRow) : [];
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
      ...(master.uid ? { linkId: master.uid } : {}),
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

  /** Ids of the singles and series with an occurrence in the window (one expanded listing). */
  private async windowIds(calendar: number): Promise<Set<string>> {
    const { from, to } = this.range();
    const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
    const res = await this.get(`${EVENTS}?calendar=${calendar}&start=${iso(from)}&end=${iso(to)}`);
    const ids = new Set<string>();
    for (const r of this.parseRows(res.body)) {
      ids.add(String(r.recurringEventId ?? r.id));
    }
    for (const id of this.unreadable) {
      ids.add(id);
    }
    return ids;
  }

  /** Of `ids` (outside the window), those that still exist: direct reads, or one full listing when many. */
  private async existingIds(calendar: number, ids: readonly string[]): Promise<Set<string>> {
    // Not an Oro id: nothing to find, and nothing to delete.
    const existing = new Set(ids.filter((id) => !/^\d+$/.test(id)));
    const rest = ids.filter((id) => !existing.has(id));
    if (rest.length > MAX_DIRECT_CHECKS) {
      for (const r of await this.listAll(`calendar=${calendar}&limit=${PAGE_SIZE}`)) {
        existing.add(String(r.recurringEventId ?? r.id));
      }
    } else {
      await this.each(rest, async (id) => {
        if ((await this.getEvent(Number(id))) !== 'gone') {
          existing.add(id);
        }
      });
    }
    for (const id of this.unreadable) {
      existing.add(id);
    }
    return existing;
  }

  /** One user's default calendar: Oro keeps one per user (JSON:API calendars by owner). */
  private async calendar(): Promise<number> {
    if (this.calendarId !== undefined) {
      return this.calendarId;
    }
    const res = await this.get(
      `/api/calendars?filter%5Bowner%5D=${encodeURIComponent(this.userId)}`,
      'json-api',
    );
    const parsed = calendarList.safeParse(res.body);
    if (!parsed.success) {
      throw new SideError(
        'oro',
        `Oro answered an unexpected calendars document: ${parsed.error.message}`,
        'permanent',
      );
    }
    const id = Number(parsed.data.data[0]?.id);
    if (!Number.isInteger(id) || id <= 0) {
      throw new SideError('oro', `Oro user ${this.userId} has no calendar`, 'permanent', 404);
    }
    this.calendarId = id;
    return id;
  }

  private async listRows(query: string): Promise<{ rows: EventRow[]; serverTime: number | undefined }> {
    const rows: EventRow[] = [];
    let serverTime: number | undefined;
    // Oro promises no order: pages are read until a short one.
    for (let page = 1; ; page++) {
      const res = await this.get(`${EVENTS}?${query}&page=${page}`);
      serverTime ??= res.serverTime;
      const batch = this.parseRows(res.body);
      rows.push(...batch);
      if ((Array.isArray(res.body) ? res.body.length : 0) < PAGE_SIZE) {
        break;
      }
    }
    return { rows, serverTime };
  }

  private async listAll(query: string): Promise<EventRow[]> {
    return (await this.listRows(query)).rows;
  }

  /** A bare JSON array of events; an event that does not parse is skipped with a note. */
  private parseRows(body: unknown): EventRow[] {
    if (!Array.isArray(body)) {
      throw new SideError(
        'oro',
        'Oro answered a calendar event listing that is not a JSON array',
        'permanent',
      );
    }
    return body.flatMap((raw: unknown) => {
      const parsed = eventRow.safeParse(raw);
      if (parsed.success) {
        return [parsed.data];
      }
      const { id, recurringEventId } = (raw ?? {}) as { id?: unknown; recurringEventId?: unknown };
      const key = recurringEventId ?? id;
      if (typeof key === 'number' || (typeof key === 'string' && /^\d+$/.test(key))) {
        this.unreadable.add(String(key));
      }
      const reason = `unexpected fields (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`;
      // An exception row's series is reported as skipped once, where it is assembled.
      if (recurringEventId !== undefined && recurringEventId !== null) {
        this.readNotes.push(`Oro event ${String(id ?? '?')} (an exception row) is not synced: ${reason}`);
      } else {
        this.skip(String(id ?? '?'), reason);
      }
      return [];
    });
  }

  /** The event; 'gone' when Oro answers 404, 'unreadable' (with a note) when it does not parse. */
  private async getEvent(id: number): Promise<EventRow | 'gone' | 'unreadable'> {
    const res = await this.client.request('GET', `${EVENTS}/${id}`, undefined, 'json');
    if (res.status === 404) {
      return 'gone';
    }
    if (res.status !== 200) {
      throw this.error(res, `GET ${EVENTS}/{id}`);
    }
    const parsed = eventRow.safeParse(res.body);
    if (parsed.success) {
      return parsed.data;
    }
    this.unreadable.add(String(id));
    this.skip(id, `unexpected fields (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`);
    return 'unreadable';
  }

  private skip(id: number | string, reason: string): void {
    this.unmapped.push({ id: String(id), reason });
    this.readNotes.push(`Oro event ${id} is not synced: ${reason}`);
  }

  private async get(path: string, format: 'json' | 'json-api' = 'json'): Promise<OroResponse> {
    const res = await this.client.request('GET', path, undefined, format);
    if (res.status !== 200) {
      throw this.error(res, `GET ${path.split('?')[0]}`);
    }
    return res;
  }

  private error(res: OroResponse, what: string): SideError {
    return new SideError(
      'oro',
      `Oro answered ${res.status} to ${what}: ${oroRestErrorDetail(res.body)}`,
      oroAnswerClass(res),
      res.status,
    );
  }

  /** `task` over `items`, a few at a time. */
  private async each<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < items.length; i = next++) {
        await task(items[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, items.length) }, worker));
  }

  /** One item per write (a series with its exception rows), a few at a time; results keep the order of `writes`. */
  async write(writes: readonly Write<EventFields>[]): Promise<WriteResult[]> {
    const results = new Array<WriteResult>(writes.length);
    await this.each(
      writes.map((w, i) => [w, i] as const),
      async ([w, i]) => {
        results[i] = await this.writeOne(w);
      },
    );
    return results;
  }

  private async writeOne(w: Write<EventFields>): Promise<WriteResult> {
    try {
      if (w.op === 'delete') {
        const res = await this.send(
          'DELETE',
          `${EVENTS}/${encodeURIComponent(w.id ?? '')}?notifyAttendees=none`,
        );
        // Already gone is what we wanted.
        return res.status === 204 || res.status === 404
          ? { ok: true, id: w.id ?? '', version: '' }
          : failure(res);
      }
      const fields = w.fields!;
      const mapped = fieldsToOroEvent(fields);
      if ('unsupported' in mapped) {
        return writeFailure(`Oro cannot hold this event: ${mapped.unsupported}`, 'permanent');
      }
      const full: Record<string, unknown> = {
        ...mapped.ok,
        // Oro marks the user as attendee, not organizer, when the organizer is someone else.
        ...(fields.organizer
          ? { organizerEmail: fields.organizer.email, organizerDisplayName: fields.organizer.name }
          : {}),
      };
      const version = `written#${hashFields(fields)}`;
      if (w.op === 'create') {
        const res = await this.send('POST', EVENTS, {
          ...full,
          calendar: await this.calendar(),
          uid: w.linkId,
          notifyAttendees: 'none',
        });
        if (res.status !== 201) {
          return failure(res);
        }
        const id = created.parse(res.body).id;
        // Just created (a uid Oro already had is refused): it has no exception rows yet.
        const failed = await this.writeExceptions(id, fields, []);
        if (failed) {
          // The event exists and carries its uid: the next read adopts it and completes the exceptions.
          return writeFailure(`Oro event ${id} was created, but ${failed.error}`, failed.kind);
        }
        return { ok: true, id: String(id), version };
      }
      const id = Number(w.id);
      if (!Number.isInteger(id)) {
        return writeFailure(`not an Oro event id: ${w.id ?? ''}`, 'permanent');
      }
      const body = changedBody(full, fields, w.changed);
      if (Object.keys(body).length > 0) {
        const res = await this.send('PUT', `${EVENTS}/${id}`, { ...body, notifyAttendees: 'none' });
        if (res.status !== 200) {
          return failure(res);
        }
      }
      // Exception rows change when the exceptions do, or when the series is reshaped (Oro
      // drops a series' exceptions with its pattern); an update of other fields leaves them.
      const reshaped = !w.changed || w.changed.some((k) => SERIES_SHAPE.has(k));
      const failed = reshaped ? await this.writeExceptions(id, fields) : undefined;
      return failed
        ? writeFailure(`Oro event ${id} was updated, but ${failed.error}`, failed.kind)
        : { ok: true, id: String(id), version };
    } catch (error) {
      if (error instanceof SideError) {
        return writeFailure(error.message, error.kind, error.status);
      }
      if (error instanceof z.ZodError) {
        return writeFailure(`Oro answered an unexpected document: ${error.message}`, 'permanent');
      }
      throw error;
    }
  }

  /** Brings a series' exception rows to `fields.exceptions`; the first failure, or undefined. */
  /** `known`: the series' exception rows when already known; otherwise they are listed. */
  private async writeExceptions(
    seriesId: number,
    fields: EventFields,
    known?: OroExceptionRow[],
  ): Promise<{ error: string; kind: ErrorClass } | undefined> {
    if (!fields.recurrence) {
      return undefined;
    }
    const calendar = await this.calendar();
    const current =
      known ??
      (await this.listAll(`calendar=${calendar}&recurringEventId=${seriesId}&limit=${PAGE_SIZE}`)).map(
        exceptionRow,
      );
    for (const x of exceptionWrites(fields, seriesId, current, fields.exceptions)) {
      const res =
        x.op === 'delete'
          ? await this.send('DELETE', `${EVENTS}/${x.id}?notifyAttendees=none`)
          : x.op === 'create'
            ? await this.send('POST', EVENTS, { ...x.body, calendar, notifyAttendees: 'none' })
            : await this.send('PUT', `${EVENTS}/${x.id}`, { ...x.body, notifyAttendees: 'none' });
      const ok =
        x.op === 'delete'
          ? res.status === 204 || res.status === 404
          : res.status === 200 || res.status === 201;
      if (!ok) {
        return {
          error: `its exception at ${x.originalStart} failed: ${res.status} ${oroRestErrorDetail(res.body)}`,
          kind: oroAnswerClass(res),
        };
      }
    }
    return undefined;
  }

  private send(method: string, path: string, body?: unknown): Promise<OroResponse> {
    return this.client.request(method, path, body, 'json');
  }
}

/** The REST fields that carry the neutral fields named in `changed` (all of them without it). */
function changedBody(
  full: Record<string, unknown>,
  fields: EventFields,
  changed: readonly string[] | undefined,
): Record<string, unknown> {
  const want = (k: keyof EventFields) => !changed || changed.includes(k);
  const keys = new Set<string>();
  if (want('title')) {
    keys.add('title');
  }
  if (want('description')) {
    keys.add('description');
  }
  if (want('start') || want('end') || want('allDay')) {
    ['start', 'end', 'allDay'].forEach((k) => keys.add(k));
  }
  if (want('reminderMinutes')) {
    keys.add('reminders');
  }
  if (want('attendees')) {
    keys.add('attendees');
  }
  // The recurrence's start time follows the event's start.
  if (want('recurrence') || (fields.recurrence && (want('start') || want('allDay')))) {
    keys.add('recurrence');
  }
  if (want('organizer') && fields.organizer) {
    ['organizerEmail', 'organizerDisplayName'].forEach((k) => keys.add(k));
  }
  const body: Record<string, unknown> = {};
  for (const k of keys) {
    body[k] = k === 'recurrence' ? (full.recurrence ?? null) : full[k];
  }
  return body;
}

function failure(res: OroResponse): WriteResult {
  return writeFailure(
    `Oro answered ${res.status}: ${oroRestErrorDetail(res.body)}`,
    oroAnswerClass(res),
    res.status,
  );
}
