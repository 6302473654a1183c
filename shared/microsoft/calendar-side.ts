import { createHash } from 'node:crypto';
import { GraphError, type Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { DEFAULT_CALENDAR_WINDOW, type CalendarWindow } from '../sync/calendar/window';
import {
  fieldsToGraphEvent,
  graphEventToFields,
  type EventException,
  type EventFields,
  type GraphEvent,
} from '../sync/calendar/event-mapping';
import {
  exceptionToGraph,
  originalStartKey,
  patternOccurrence,
  planExceptions,
  readGraphExceptions,
  type GraphSeriesMaster,
} from '../sync/calendar/graph-exceptions';
import type { Change, Snapshot } from '../sync/model';
import type { Write } from '../sync/plan';
import { SideError, type ReadResult, type SidePort, type WriteResult } from '../sync/ports';
import {
  asSideError,
  batchWithRetry,
  graphErrorMessage,
  type BatchResult,
  type BatchStep,
} from './graph-client';

/** Our link id on an event we created (a retried create is found by it, never duplicated). */
export const LINK_PROPERTY = 'String {6f3e2b1c-8d4a-4e5f-9b7c-2a1d0e3f4c5b} Name OroSyncLinkId';
/**
 * The organizer and attendees of an invitation copied from Oro: the copy is created
 * without attendees (with them, Exchange would invite them from the user), so they ride here.
 */
export const COPY_PROPERTY = 'String {6f3e2b1c-8d4a-4e5f-9b7c-2a1d0e3f4c5b} Name OroSyncAttendance';

// Bodies as text: Exchange stores event bodies as HTML and would otherwise answer with it.
const PREFER = 'IdType="ImmutableId", outlook.timezone="UTC", outlook.body-content-type="text"';
const DAY = 86_400_000;
const SELECT = [
  'id',
  'type',
  'subject',
  'body',
  'start',
  'end',
  'isAllDay',
  'isReminderOn',
  'reminderMinutesBeforeStart',
  'location',
  'attendees',
  'organizer',
  'isOrganizer',
  'recurrence',
  'originalStartTimeZone',
  'changeKey',
  'lastModifiedDateTime',
  'cancelledOccurrences',
].join(',');
const EXPAND = `exceptionOccurrences,singleValueExtendedProperties($filter=id eq '${LINK_PROPERTY}' or id eq '${COPY_PROPERTY}')`;
const eventUrl = (id: string) =>
  `/me/events/${encodeURIComponent(id)}?$select=${SELECT}&$expand=${encodeURIComponent(EXPAND)}`;

const cursorSchema = z.object({
  deltaLink: z.string().optional(),
  window: z.object({ start: z.string(), end: z.string() }),
  /** Short hashes of the series masters we have seen (a cancelled occurrence names none). */
  series: z.array(z.string()),
});
type Cursor = z.infer<typeof cursorSchema>;

const dateTime = z.object({ dateTime: z.string(), timeZone: z.string() });
const instanceDoc = z
  .object({
    id: z.string(),
    originalStart: z.string().nullable().optional(),
    changeKey: z.string().optional(),
    lastModifiedDateTime: z.string().optional(),
    start: dateTime,
    end: dateTime,
  })
  .loose();
const eventDoc = z
  .object({
    id: z.string(),
    type: z.string().optional(),
    start: dateTime,
    end: dateTime,
    changeKey: z.string().optional(),
    lastModifiedDateTime: z.string().optional(),
    isOrganizer: z.boolean().optional(),
    originalStartTimeZone: z.string().nullable().optional(),
    recurrence: z
      .object({ pattern: z.object({}).loose(), range: z.object({ startDate: z.string() }).loose() })
      .loose()
      .nullable()
      .optional(),
    exceptionOccurrences: z.array(instanceDoc).nullable().optional(),
    cancelledOccurrences: z.array(z.string()).nullable().optional(),
    singleValueExtendedProperties: z.array(z.object({ id: z.string(), value: z.string() })).optional(),
  })
  .loose();
type EventDoc = z.infer<typeof eventDoc>;
const deltaItem = z
  .object({
    id: z.string(),
    '@removed': z.object({}).loose().optional(),
    type: z.string().optional(),
    seriesMasterId: z.string().nullable().optional(),
  })
  .loose();
const deltaPage = z.object({
  value: z.array(deltaItem),
  '@odata.nextLink': z.string().optional(),
  '@odata.deltaLink': z.string().optional(),
});
const attendance = z.object({
  organizer: z.object({ email: z.string(), name: z.string() }),
  attendees: z.array(
    z.object({ email: z.string(), name: z.string(), type: z.enum(['required', 'optional', 'resource']) }),
  ),
});
const instancesPage = z.object({ value: z.array(instanceDoc) });

export interface CalendarSideOptions {
  window?: CalendarWindow;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Delta page size (Prefer: odata.maxpagesize). */
  pageSize?: number;
}

/**
 * A user's Microsoft 365 calendar as a sync side. One item per single event or series
 * (the series carries its exceptions). Reads: calendarView/delta over the window (idle:
 * one request), then the changed singles and the series masters of changed instances by id
 * in $batch (with exceptions, cancelled occurrences and our link id). Writes: $batch of 20,
 * then the exceptions of written series on their instances.
 */
export class GraphCalendarSide implements SidePort<EventFields> {
  readonly side = 'microsoft' as const;
  requests = 0;
  /** What the last read() mapped with a caveat (an unreadable cancelled occurrence), for the log. */
  readNotes: string[] = [];
  private readonly window: CalendarWindow;
  private readonly now: () => Date;

  constructor(
    private readonly client: Client,
    private readonly options: CalendarSideOptions = {},
  ) {
    this.window = options.window ?? DEFAULT_CALENDAR_WINDOW;
    this.now = options.now ?? (() => new Date());
  }

  readonly confirmsCreates = true;

  async read(
    cursor: string | undefined,
    linkedIds: ReadonlySet<string>,
    unconfirmed: ReadonlySet<string> = new Set(),
  ): Promise<ReadResult<EventFields>> {
    this.readNotes = [];
    const saved = parseCursor(cursor);
    const wanted = this.currentWindow();
    // The window moves with the clock; a day's drift is worth a new delta round.
    let full = !saved?.deltaLink || Math.abs(Date.parse(wanted.start) - Date.parse(saved.window.start)) > DAY;
    let window = full || !saved ? wanted : saved.window;
    let pages: z.infer<typeof deltaPage>[] | undefined;
    if (!full && saved?.deltaLink) {
      try {
        pages = await this.deltaRound(saved.deltaLink);
      } catch (error) {
        // A lost delta token: read the window again; links re-match by id and link id.
        if (!(error instanceof GraphError) || error.statusCode !== 410) {
          throw asSideError(error);
        }
        full = true;
        window = wanted;
      }
    }
    pages ??= await this.deltaRound(
      `/me/calendarView/delta?startDateTime=${window.start}&endDateTime=${window.end}`,
    ).catch((e: unknown) => {
      throw asSideError(e);
    });

    const singles = new Set<string>();
    const masters = new Set<string>();
    const removed = new Set<string>();
    for (const page of pages) {
      for (const item of page.value) {
        if (item['@removed']) {
          removed.add(item.id);
        } else if (item.seriesMasterId) {
          masters.add(item.seriesMasterId);
        } else if (item.type === 'seriesMaster') {
          masters.add(item.id);
        } else {
          singles.add(item.id);
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
    const answers = await this.batch(
      ids.map((id) => ({ id, method: 'GET' as const, url: eventUrl(id), headers: { Prefer: PREFER } })),
    );
    const changes: Change<EventFields>[] = [];
    const unmapped: { id: string; reason: string }[] = [];
    const from = Date.parse(window.start);
    const to = Date.parse(window.end);
    answers.forEach((a, k) => {
      const id = ids[k]!;
      if (a.status === 404) {
        knownSeries.delete(seriesKey(id));
        if (linkedIds.has(id)) {
          changes.push({ type: 'delete', id });
        }
        return;
      }
      if (a.status !== 200) {
        throw new SideError(
          'microsoft',
          `Graph answered ${a.status} reading event ${id}: ${graphErrorMessage(a.body)}`,
          a.status === 429 || a.status >= 500 || a.status === 0,
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
      const mapped = snapshot(doc);
      if ('unsupported' in mapped) {
        unmapped.push({ id: doc.id, reason: mapped.unsupported });
        return;
      }
      for (const note of mapped.notes) {
        this.readNotes.push(`event ${doc.id}: ${note}`);
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
    const next: Cursor = { ...(deltaLink ? { deltaLink } : {}), window, series: [...knownSeries].sort() };
    return { changes, cursor: JSON.stringify(next), full, ...(unmapped.length > 0 ? { unmapped } : {}) };
  }

  async write(writes: readonly Write<EventFields>[]): Promise<WriteResult[]> {
    const results: (WriteResult | undefined)[] = writes.map(() => undefined);
    const done: { id: string; version: string }[] = writes.map((w) => ({ id: w.id ?? '', version: '' }));

    // 1. The items themselves: create, patch, delete.
    const first: { i: number; step: BatchStep }[] = [];
    writes.forEach((w, i) => {
      const missing =
        w.op !== 'create' && !w.id ? 'event id' : w.op !== 'delete' && !w.fields ? 'fields' : '';
      if (missing) {
        results[i] = { ok: false, error: `a ${w.op} without its ${missing}`, retryable: false };
        return;
      }
      const step = this.itemStep(w, String(i));
      if (step) {
        first.push({ i, step });
      }
    });
    const firstAnswers = await this.batch(first.map((f) => f.step));
    firstAnswers.forEach((a, k) => {
      const i = first[k]!.i;
      const w = writes[i]!;
      if (w.op === 'delete') {
        results[i] =
          a.status === 204 || a.status === 404 ? { ok: true, id: w.id ?? '', version: '' } : failure(w, a);
        return;
      }
      const parsed = eventDoc.safeParse(a.body);
      if ((a.status === 200 || a.status === 201) && parsed.success) {
        // Without exceptions, this answer is what the next read will see: the same version.
        done[i] = { id: parsed.data.id, version: versionOf(parsed.data) };
      } else {
        results[i] = a.status === 200 || a.status === 201 ? badDocument(w) : failure(w, a);
      }
    });

    // 2. Exceptions of the written series: read what Graph holds now, then patch or cancel occurrences.
    const series = writes
      .map((w, i) => ({ w, i }))
      .filter(({ w, i }) => !results[i] && w.op !== 'delete' && w.fields?.recurrence && needsExceptions(w));
    const current = new Map<number, { exceptions: EventException[]; ids: Map<string, string> }>();
    // Created series too: a retried create (same transactionId) may find its exceptions half made.
    const reads = series;
    const readAnswers = await this.batch(
      reads.map(({ i }) => ({
        id: String(i),
        method: 'GET' as const,
        url: eventUrl(done[i]!.id),
        headers: { Prefer: PREFER },
      })),
    );
    readAnswers.forEach((a, k) => {
      const { w, i } = reads[k]!;
      const parsed = eventDoc.safeParse(a.body);
      if (a.status !== 200 || !parsed.success) {
        results[i] = a.status === 200 ? badDocument(w) : failure(w, a);
        return;
      }
      const mapped = snapshot(parsed.data);
      if ('unsupported' in mapped) {
        results[i] = { ok: false, error: mapped.unsupported, retryable: false };
        return;
      }
      const ex = readGraphExceptions(parsed.data as unknown as GraphSeriesMaster, mapped.item.fields);
      current.set(i, { exceptions: mapped.item.fields.exceptions, ids: ex.ids });
      done[i]!.version = mapped.item.version;
    });
    const impossible = new Map<number, string[]>();
    const targets: { i: number; key: string; action: 'patch' | 'cancel' | 'revert'; body?: unknown }[] = [];
    for (const { w, i } of series) {
      if (results[i]) {
        continue;
      }
      const fields = w.fields!;
      const plan = planExceptions(current.get(i)?.exceptions ?? [], fields.exceptions);
      if (plan.impossible.length > 0) {
        impossible.set(i, plan.impossible);
      }
      for (const x of plan.patch) {
        targets.push({ i, key: x.originalStart, action: 'patch', body: exceptionToGraph(fields, x) });
      }
      for (const key of plan.cancel) {
        targets.push({ i, key, action: 'cancel' });
      }
      for (const key of plan.revert) {
        const at = patternOccurrence(fields, key);
        targets.push({
          i,
          key,
          action: 'revert',
          body: exceptionToGraph(fields, {
            originalStart: key,
            cancelled: false,
            title: fields.title,
            description: fields.description,
            location: fields.location,
            start: at.start,
            end: at.end,
          }),
        });
      }
    }
    // Occurrences that are not exceptions yet: their instance ids, one narrow /instances read each.
    const lookups = targets.filter((t) => !current.get(t.i)?.ids.has(t.key));
    const lookupAnswers = await this.batch(
      lookups.map((t, k) => {
        const fields = writes[t.i]!.fields!;
        const from = fields.allDay ? `${t.key}T00:00:00Z` : t.key;
        const span = fields.allDay ? DAY : 60_000;
        return {
          id: String(k),
          method: 'GET' as const,
          url: `/me/events/${encodeURIComponent(done[t.i]!.id)}/instances?startDateTime=${iso(Date.parse(from) - (fields.allDay ? 14 * 3_600_000 : 0))}&endDateTime=${iso(Date.parse(from) + span)}&$select=id,originalStart,start,end`,
          headers: { Prefer: PREFER },
        };
      }),
    );
    const instanceOf = new Map<(typeof targets)[number], string>();
    lookupAnswers.forEach((a, k) => {
      const t = lookups[k]!;
      const parsed = instancesPage.safeParse(a.body);
      if (a.status !== 200 || !parsed.success) {
        results[t.i] ??= a.status === 200 ? badDocument(writes[t.i]!) : failure(writes[t.i]!, a);
        return;
      }
      const fields = writes[t.i]!.fields!;
      const hit = parsed.data.value.find(
        (x) => x.originalStart && originalStartKey(fields, x.originalStart) === t.key,
      );
      if (hit) {
        instanceOf.set(t, hit.id);
      } else {
        results[t.i] ??= {
          ok: false,
          error: `the series has no occurrence at ${t.key} for this exception`,
          retryable: false,
        };
      }
    });
    const steps: { t: (typeof targets)[number]; step: BatchStep }[] = [];
    for (const t of targets) {
      if (results[t.i]) {
        continue;
      }
      const instanceId = current.get(t.i)?.ids.get(t.key) ?? instanceOf.get(t);
      if (!instanceId) {
        continue;
      }
      const url = `/me/events/${encodeURIComponent(instanceId)}`;
      steps.push({
        t,
        step:
          t.action === 'cancel'
            ? { id: '', method: 'DELETE', url, headers: { Prefer: PREFER } }
            : { id: '', method: 'PATCH', url, body: t.body, headers: { Prefer: PREFER } },
      });
    }
    const stepAnswers = await this.batch(steps.map((s, k) => ({ ...s.step, id: String(k) })));
    stepAnswers.forEach((a, k) => {
      const { t } = steps[k]!;
      const ok = t.action === 'cancel' ? a.status === 204 || a.status === 404 : a.status === 200;
      if (!ok) {
        results[t.i] ??= failure(writes[t.i]!, a);
      } else {
        done[t.i]!.version = `${done[t.i]!.version}+${k}`;
      }
    });

    return writes.map((w, i) => {
      const r = results[i];
      if (r) {
        return r;
      }
      const lost = impossible.get(i);
      if (lost) {
        return {
          ok: false,
          error: `Microsoft cannot bring back a cancelled occurrence (${lost.join(', ')}); the rest of the series was written`,
          retryable: false,
        };
      }
      return { ok: true, id: done[i]!.id, version: done[i]!.version };
    });
  }

  private itemStep(w: Write<EventFields>, id: string): BatchStep | undefined {
    if (w.op === 'delete') {
      return {
        id,
        method: 'DELETE',
        url: `/me/events/${encodeURIComponent(w.id ?? '')}`,
        headers: { Prefer: PREFER },
      };
    }
    const f = w.fields!;
    const full = fieldsToGraphEvent(f);
    if (w.op === 'create') {
      return {
        id,
        method: 'POST',
        url: '/me/events',
        headers: { Prefer: PREFER },
        body: {
          ...full,
          // Someone else's meeting copied here must not invite its attendees from this mailbox.
          attendees: f.organizer ? [] : full.attendees,
          transactionId: transactionIdFor(w.linkId),
          singleValueExtendedProperties: [
            { id: LINK_PROPERTY, value: w.linkId },
            ...(f.organizer ? [{ id: COPY_PROPERTY, value: attendanceOf(f) }] : []),
          ],
        },
      };
    }
    const body: Record<string, unknown> = {};
    for (const name of w.changed ?? Object.keys(f)) {
      for (const key of PATCH_KEYS[name] ?? []) {
        if (key in full) {
          body[key] = full[key];
        }
      }
    }
    if (f.organizer) {
      // Never add attendees to a copy of someone else's meeting: keep them as data instead.
      delete body.attendees;
      if ((w.changed ?? []).some((n) => n === 'attendees' || n === 'organizer')) {
        body.singleValueExtendedProperties = [{ id: COPY_PROPERTY, value: attendanceOf(f) }];
      }
    }
    if (Object.keys(body).length === 0) {
      return undefined;
    }
    return {
      id,
      method: 'PATCH',
      url: `/me/events/${encodeURIComponent(w.id ?? '')}`,
      body,
      headers: { Prefer: PREFER },
    };
  }

  private async batch(steps: readonly BatchStep[]): Promise<BatchResult[]> {
    if (steps.length === 0) {
      return [];
    }
    return batchWithRetry(this.client, steps, {
      onRequest: () => this.requests++,
      ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
    });
  }

  private currentWindow(): { start: string; end: string } {
    const today = Date.parse(`${this.now().toISOString().slice(0, 10)}T00:00:00Z`);
    return { start: iso(today - this.window.pastDays * DAY), end: iso(today + this.window.futureDays * DAY) };
  }

  private async deltaRound(first: string): Promise<z.infer<typeof deltaPage>[]> {
    const pages: z.infer<typeof deltaPage>[] = [];
    const prefer = `${PREFER}, odata.maxpagesize=${this.options.pageSize ?? 100}`;
    for (let link: string | undefined = first; link;) {
      this.requests++;
      const raw: unknown = await this.client.api(link).header('Prefer', prefer).get();
      const page = deltaPage.safeParse(raw);
      if (!page.success) {
        throw new SideError('microsoft', `Graph sent a calendar delta page this sync cannot read`, false);
      }
      pages.push(page.data);
      link = page.data['@odata.nextLink'];
    }
    return pages;
  }
}

/** Top-level neutral field → the Graph properties a PATCH must carry for it. */
const PATCH_KEYS: Record<string, string[]> = {
  title: ['subject'],
  description: ['body'],
  allDay: ['isAllDay', 'start', 'end'],
  start: ['start', 'end'],
  end: ['start', 'end'],
  reminderMinutes: ['isReminderOn', 'reminderMinutesBeforeStart'],
  location: ['location'],
  attendees: ['attendees'],
  recurrence: ['recurrence', 'start', 'end'],
};

/** Exceptions must be (re)written: they changed, or Graph dropped them with a new pattern or time. */
const needsExceptions = (w: Write<EventFields>): boolean =>
  w.op === 'create'
    ? (w.fields?.exceptions.length ?? 0) > 0
    : (w.changed ?? []).some((n) => ['exceptions', 'recurrence', 'start', 'end', 'allDay'].includes(n));

/** One token over the master's and its exceptions' change keys and the cancelled occurrences. */
function versionOf(doc: EventDoc): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        doc.changeKey ?? doc.lastModifiedDateTime ?? '',
        (doc.exceptionOccurrences ?? []).map((x) => x.changeKey ?? x.lastModifiedDateTime ?? ''),
        doc.cancelledOccurrences ?? [],
      ]),
    )
    .digest('base64url')
    .slice(0, 22);
}

function snapshot(doc: EventDoc): { item: Snapshot<EventFields>; notes: string[] } | { unsupported: string } {
  const g = doc as unknown as GraphSeriesMaster;
  const range = g.recurrence?.range;
  // A series written without a recurrence zone recurs in its start zone.
  const event: GraphEvent =
    g.recurrence && range && !range.recurrenceTimeZone && doc.originalStartTimeZone
      ? {
          ...g,
          recurrence: { ...g.recurrence, range: { ...range, recurrenceTimeZone: doc.originalStartTimeZone } },
        }
      : g;
  const mapped = graphEventToFields(event);
  if ('unsupported' in mapped) {
    return { unsupported: mapped.unsupported };
  }
  let fields = mapped.ok;
  const props = doc.singleValueExtendedProperties ?? [];
  const prop = (id: string) => props.find((p) => p.id.toLowerCase() === id.toLowerCase())?.value;
  const linkId = prop(LINK_PROPERTY);
  const copied = prop(COPY_PROPERTY);
  if (copied && doc.isOrganizer !== false) {
    const parsed = attendance.safeParse(safeJson(copied));
    if (parsed.success) {
      fields = { ...fields, organizer: parsed.data.organizer, attendees: parsed.data.attendees };
    }
  }
  let notes: string[] = [];
  if (fields.recurrence) {
    const read = readGraphExceptions(g, fields);
    fields = { ...fields, exceptions: read.exceptions };
    notes = read.notes;
  }
  const exceptions = doc.exceptionOccurrences ?? [];
  const version = versionOf(doc);
  const stamps = [doc.lastModifiedDateTime, ...exceptions.map((x) => x.lastModifiedDateTime)].filter(
    (s): s is string => typeof s === 'string' && !Number.isNaN(Date.parse(s)),
  );
  const modifiedAt =
    stamps.length > 0 ? new Date(Math.max(...stamps.map((s) => Date.parse(s)))).toISOString() : '';
  const organizer = mapped.ok.organizer;
  return {
    notes,
    item: {
      id: doc.id,
      version,
      fields,
      modifiedAt,
      ...(linkId ? { linkId } : {}),
      ...(doc.isOrganizer === false
        ? {
            readOnly: `an invitation from ${organizer?.name || organizer?.email || 'another organizer'}: only the organizer can change it`,
          }
        : {}),
    },
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

const attendanceOf = (f: EventFields) => JSON.stringify({ organizer: f.organizer, attendees: f.attendees });

/** A GUID from the link id: the same create, retried, carries the same transactionId. */
export function transactionIdFor(linkId: string): string {
  const h = createHash('sha256').update(`oro-sync:${linkId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const seriesKey = (id: string) => createHash('sha256').update(id).digest('base64url').slice(0, 10);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function parseCursor(cursor: string | undefined): Cursor | undefined {
  if (!cursor) {
    return undefined;
  }
  const parsed = cursorSchema.safeParse(safeJson(cursor));
  return parsed.success ? parsed.data : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function failure(w: Write<EventFields>, a: BatchResult): WriteResult {
  return {
    ok: false,
    error: `Graph answered ${a.status} to ${w.op}: ${graphErrorMessage(a.body)}`,
    retryable: a.status === 429 || a.status >= 500 || a.status === 0,
    status: a.status,
  };
}

const badDocument = (w: Write<EventFields>): WriteResult => ({
  ok: false,
  error: `Graph answered the ${w.op} with an unexpected event document`,
  retryable: false,
});
