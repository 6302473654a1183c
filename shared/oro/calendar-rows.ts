import { z } from 'zod';
import type { OroEvent } from '../sync/calendar/event-mapping';
import type { OroExceptionRow } from '../sync/calendar/oro-exceptions';
import { SideError } from '../sync/ports';
import { oroAnswerClass, type OroClient, type OroResponse } from './client';

/**
 * Calendar event rows of Oro's older REST API as the calendar side reads them: the row
 * schema, the listing and GET requests, and what a read notes about rows it cannot use.
 */

export const EVENTS = '/api/rest/latest/calendarevents';
export const PAGE_SIZE = 500;

const date = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'not a date');
/**
 * GET of one event spells the recurrence's zone `timezone`
 * (`UserCalendarEventNormalizer::serializeRecurrence`), list rows `timeZone`
 * (`AbstractCalendarEventNormalizer::applyItemRecurrence`): both are read as `timeZone`.
 */
const recurrence = z.preprocess(
  (v) => {
    if (typeof v !== 'object' || v === null || 'timeZone' in v || !('timezone' in v)) {
      return v;
    }
    const { timezone, ...rest } = v as Record<string, unknown>;
    return { ...rest, timeZone: timezone };
  },
  z
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
    .loose(),
);
export const eventRow = z
  .object({
    id: z.number().int(),
    /** The calendar the row belongs to; in a start/end listing, with `calendarAlias`, whose row it is. */
    calendar: z.number().int().nullable().optional(),
    calendarAlias: z.string().nullable().optional(),
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
export type EventRow = z.infer<typeof eventRow>;
export const created = z.object({ id: z.number().int() }).loose();

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

export const toOroEvent = (r: EventRow): OroEvent => ({ ...r, title: r.title ?? '' }) as OroEvent;
export const exceptionRow = (r: EventRow): OroExceptionRow => ({
  id: r.id,
  title: r.title ?? '',
  description: r.description ?? null,
  start: r.start,
  end: r.end,
  allDay: r.allDay,
  originalStart: r.originalStart ?? r.start,
  isCancelled: r.isCancelled ?? false,
});

/** What a read learned about rows it could not use: the run's log, and what it must not report. */
export class ReadNotes {
  /** Why events were skipped or mapped with a loss. */
  notes: string[] = [];
  /** Items left out, with the reason (also in `notes`). */
  unmapped: { id: string; reason: string }[] = [];
  /** Ids of events (or series) that could not be parsed: they exist, but are not reported. */
  unreadable = new Set<string>();

  skip(id: number | string, reason: string): void {
    this.unmapped.push({ id: String(id), reason });
    this.notes.push(`Oro event ${id} is not synced: ${reason}`);
  }
}

/** Listings and reads of calendar event rows; every answer but the expected one is a SideError. */
export class OroEventRows {
  constructor(
    private readonly client: OroClient,
    private readonly notes: () => ReadNotes,
  ) {}

  async listRows(query: string): Promise<{ rows: EventRow[]; serverTime: number | undefined }> {
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

  async listAll(query: string): Promise<EventRow[]> {
    return (await this.listRows(query)).rows;
  }

  /** A bare JSON array of events; an event that does not parse is skipped with a note (in `notes`, by default the read's). */
  parseRows(body: unknown, notes: ReadNotes = this.notes()): EventRow[] {
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
      const { id, recurringEventId, calendarAlias } = (raw ?? {}) as {
        id?: unknown;
        recurringEventId?: unknown;
        calendarAlias?: unknown;
      };
      // Another provider's row (tasks, system calendars) is none of ours, readable or not.
      if (typeof calendarAlias === 'string' && calendarAlias !== 'user') {
        return [];
      }
      const shown = typeof id === 'number' || typeof id === 'string' ? id : '?';
      const key = recurringEventId ?? id;
      if (typeof key === 'number' || (typeof key === 'string' && /^\d+$/.test(key))) {
        notes.unreadable.add(String(key));
      }
      const reason = `unexpected fields (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`;
      // An exception row's series is reported as skipped once, where it is assembled.
      if (recurringEventId !== undefined && recurringEventId !== null) {
        notes.notes.push(`Oro event ${shown} (an exception row) is not synced: ${reason}`);
      } else {
        notes.skip(shown, reason);
      }
      return [];
    });
  }

  /** The event; 'gone' when Oro answers 404, 'unreadable' (with a note) when it does not parse. */
  async getEvent(id: number): Promise<EventRow | 'gone' | 'unreadable'> {
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
    const notes = this.notes();
    notes.unreadable.add(String(id));
    notes.skip(id, `unexpected fields (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`);
    return 'unreadable';
  }

  async get(path: string, format: 'json' | 'json-api' = 'json'): Promise<OroResponse> {
    const res = await this.client.request('GET', path, undefined, format);
    if (res.status !== 200) {
      throw this.error(res, `GET ${path.split('?')[0]}`);
    }
    return res;
  }

  error(res: OroResponse, what: string): SideError {
    return new SideError(
      'oro',
      `Oro answered ${res.status} to ${what}: ${oroRestErrorDetail(res.body)}`,
      oroAnswerClass(res),
      res.status,
    );
  }
}

/** `task` over `items`, a few at a time. */
export async function each<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
