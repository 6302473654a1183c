import { createHash } from 'node:crypto';
import { fieldsToGraphEvent, type EventFields } from '../sync/calendar/event-mapping';
import type { Write } from '../sync/plan';
import type { WriteResult } from '../sync/ports';
import {
  attendanceOf,
  badDocument,
  COPY_PROPERTY,
  eventDoc,
  failure,
  LINK_PROPERTY,
  PREFER,
  refused,
  versionOf,
} from './calendar-documents';
import { writeSeriesExceptions, type SeriesWrite } from './calendar-exceptions';
import type { CalendarIo } from './calendar-read';
import type { BatchStep } from './graph-client';

/**
 * Writes to the calendar: creates, patches and deletes in $batch of 20, then the exceptions
 * of written series on their instances. Results in the order of `writes`.
 */
export async function writeCalendar(
  io: CalendarIo,
  writes: readonly Write<EventFields>[],
): Promise<WriteResult<EventFields>[]> {
  const results: (WriteResult<EventFields> | undefined)[] = writes.map(() => undefined);
  const done: { id: string; version: string }[] = writes.map((w) => ({ id: w.id ?? '', version: '' }));

  // 1. The items themselves: create, patch, delete.
  const first: { i: number; step: BatchStep }[] = [];
  writes.forEach((w, i) => {
    const missing = w.op !== 'create' && !w.id ? 'event id' : w.op !== 'delete' && !w.fields ? 'fields' : '';
    if (missing) {
      results[i] = refused(`a ${w.op} without its ${missing}`);
      return;
    }
    const step = itemStep(w, String(i), io.paths.create);
    if (step) {
      first.push({ i, step });
    }
  });
  const firstAnswers = await io.batch(first.map((f) => f.step));
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

  // 2. Exceptions of the written series (created ones too: a retried create may find them half made).
  const series: SeriesWrite[] = writes
    .map((w, i) => ({ w, i }))
    .filter(({ w, i }) => !results[i] && w.op !== 'delete' && w.fields?.recurrence && needsExceptions(w));
  const impossible = await writeSeriesExceptions(io, writes, series, results, done);

  return writes.map((w, i) => {
    const r = results[i];
    if (r) {
      return r;
    }
    const lost = impossible.get(i);
    if (lost) {
      // Applied but for those occurrences: what Microsoft holds is recorded, so its next read
      // is no change, and the occurrence Oro brought back stays in Oro (found by the calendar
      // property test: the failure was retried and copied back each run).
      return {
        ok: true,
        id: done[i]!.id,
        version: done[i]!.version,
        note: `Microsoft cannot bring back a cancelled occurrence (${lost.join(', ')}); it stays cancelled there, the rest of the series was written`,
        held: withCancelled(w.fields!, lost),
      };
    }
    return { ok: true, id: done[i]!.id, version: done[i]!.version };
  });
}

/** `fields` with the occurrences at `keys` cancelled, as the exceptions are listed (by original start). */
function withCancelled(fields: EventFields, keys: readonly string[]): EventFields {
  const cancelled = new Set(keys);
  const exceptions = [
    ...fields.exceptions.filter((x) => !cancelled.has(x.originalStart)),
    ...keys.map((originalStart) => ({ originalStart, cancelled: true as const })),
  ].sort((a, b) => a.originalStart.localeCompare(b.originalStart));
  return { ...fields, exceptions };
}

function itemStep(w: Write<EventFields>, id: string, createPath: string): BatchStep | undefined {
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
      url: createPath,
      headers: { Prefer: PREFER },
      body: {
        ...full,
        // Someone else's meeting copied here must not invite its attendees from this mailbox.
        attendees: f.organizer ? [] : full.attendees,
        transactionId: transactionIdFor(w.linkId, w.attempt),
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
  showAs: ['showAs'],
};

/** Exceptions must be (re)written: they changed, or Graph dropped them with a new pattern or time. */
const needsExceptions = (w: Write<EventFields>): boolean =>
  w.op === 'create'
    ? (w.fields?.exceptions.length ?? 0) > 0
    : (w.changed ?? []).some((n) => ['exceptions', 'recurrence', 'start', 'end', 'allDay'].includes(n));

/**
 * A GUID per create attempt: from the link id and the attempt (the id of the event a
 * re-create replaces; none for the link's first create). A retry of the same create carries
 * the same transactionId, so Exchange answers it with the event it already made; a
 * re-create after the user deleted our event carries a new one, since Exchange may take a
 * known transactionId for a retry and create nothing.
 */
export function transactionIdFor(linkId: string, attempt?: string): string {
  const h = createHash('sha256')
    .update(attempt === undefined ? `oro-sync:${linkId}` : `oro-sync:${linkId}:${attempt}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
