import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ErrorClass } from '../errors/classify';
import type { PrivateEvents } from '../settings/schema';
import {
  busyOnly,
  graphEventToFields,
  isPrivate,
  type EventFields,
  type GraphEvent,
} from '../sync/calendar/event-mapping';
import { readGraphExceptions, type GraphSeriesMaster } from '../sync/calendar/graph-exceptions';
import type { Snapshot } from '../sync/model';
import type { Write } from '../sync/plan';
import { writeFailure, type WriteFailure } from '../sync/ports';
import { graphAnswerClass, graphErrorMessage, type BatchResult, type BatchStep } from './graph-client';

/**
 * The Graph calendar's documents as the calendar side reads and writes them: request
 * shapes (select, expand, Prefer), answer schemas, and an event document → neutral snapshot.
 */

/** Our link id on an event we created (a retried create is found by it, never duplicated). */
export const LINK_PROPERTY = 'String {6f3e2b1c-8d4a-4e5f-9b7c-2a1d0e3f4c5b} Name OroSyncLinkId';
/**
 * The organizer and attendees of an invitation copied from Oro: the copy is created
 * without attendees (with them, Exchange would invite them from the user), so they ride here.
 */
export const COPY_PROPERTY = 'String {6f3e2b1c-8d4a-4e5f-9b7c-2a1d0e3f4c5b} Name OroSyncAttendance';

// Bodies as text: Exchange stores event bodies as HTML and would otherwise answer with it.
export const PREFER = 'IdType="ImmutableId", outlook.timezone="UTC", outlook.body-content-type="text"';
export const DAY = 86_400_000;
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
  'sensitivity',
  'showAs',
  // The event's iCalendar UID across calendars, read-only (Graph v1.0 event resource,
  // learn.microsoft.com/graph/api/resources/event): a first sync pairs it with Oro's `uid`.
  'iCalUId',
].join(',');
const EXPAND = `exceptionOccurrences,singleValueExtendedProperties($filter=id eq '${LINK_PROPERTY}' or id eq '${COPY_PROPERTY}')`;
export const eventUrl = (id: string) =>
  `/me/events/${encodeURIComponent(id)}?$select=${SELECT}&$expand=${encodeURIComponent(EXPAND)}`;

/** The whole event (master with exceptions, cancelled occurrences and our properties), by id. */
export const readStep = (id: string, stepId = id): BatchStep => ({
  id: stepId,
  method: 'GET',
  url: eventUrl(id),
  headers: { Prefer: PREFER },
});

const dateTime = z.object({ dateTime: z.string(), timeZone: z.string() });
export const instanceDoc = z
  .object({
    id: z.string(),
    originalStart: z.string().nullable().optional(),
    changeKey: z.string().optional(),
    lastModifiedDateTime: z.string().optional(),
    start: dateTime,
    end: dateTime,
  })
  .loose();
export const eventDoc = z
  .object({
    id: z.string(),
    type: z.string().optional(),
    start: dateTime,
    end: dateTime,
    changeKey: z.string().optional(),
    lastModifiedDateTime: z.string().optional(),
    isOrganizer: z.boolean().optional(),
    sensitivity: z.string().nullable().optional(),
    iCalUId: z.string().nullable().optional(),
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
export type EventDoc = z.infer<typeof eventDoc>;
const deltaItem = z
  .object({
    id: z.string(),
    '@removed': z.object({}).loose().optional(),
    type: z.string().optional(),
    seriesMasterId: z.string().nullable().optional(),
    transactionId: z.string().nullable().optional(),
  })
  .loose();
export const deltaPage = z.object({
  value: z.array(deltaItem),
  '@odata.nextLink': z.string().optional(),
  '@odata.deltaLink': z.string().optional(),
});
export type DeltaPage = z.infer<typeof deltaPage>;
const attendance = z.object({
  organizer: z.object({ email: z.string(), name: z.string() }),
  attendees: z.array(
    z.object({ email: z.string(), name: z.string(), type: z.enum(['required', 'optional', 'resource']) }),
  ),
});
export const instancesPage = z.object({ value: z.array(instanceDoc) });

export const attendanceOf = (f: EventFields) =>
  JSON.stringify({ organizer: f.organizer, attendees: f.attendees });

/** One token over the master's and its exceptions' change keys and the cancelled occurrences. */
export function versionOf(doc: EventDoc): string {
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

/**
 * A private event (Outlook's Private flag) under the setting `calendar.privateEvents`:
 * `busy-only` maps it to busy time and makes it the source of its pair (an Oro edit of the
 * copy never reaches the real subject or body); `skip` does not map it (`private` says why);
 * `full` maps it as any other event. An event the sync created from Oro is never masked.
 */
export function snapshot(
  doc: EventDoc,
  privateEvents: PrivateEvents = 'busy-only',
): { item: Snapshot<EventFields>; notes: string[] } | { unsupported: string } | { private: string } {
  const props = doc.singleValueExtendedProperties ?? [];
  const prop = (id: string) => props.find((p) => p.id.toLowerCase() === id.toLowerCase())?.value;
  const linkId = prop(LINK_PROPERTY);
  // Only our creates carry a link id: an event that came from Oro is there in full already,
  // and stays an ordinary pair when the user marks it private in Outlook.
  const secret = isPrivate(doc.sensitivity) && privateEvents !== 'full' && !linkId;
  if (secret && privateEvents === 'skip') {
    return { private: 'private in Outlook: not copied (setting calendar.privateEvents is skip)' };
  }
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
  if (secret) {
    return {
      notes,
      item: {
        id: doc.id,
        // The same Graph version maps to other fields under another setting: a setting
        // change must read as a change, or the copy would keep what the old setting made.
        version: `${version}~busy-only`,
        fields: busyOnly(fields),
        modifiedAt,
        ...(linkId ? { linkId } : {}),
        readOnly:
          'private in Outlook: only its time is copied to Oro, and edits of the copy are not sent back (setting calendar.privateEvents)',
      },
    };
  }
  return {
    notes,
    item: {
      id: doc.id,
      version,
      fields,
      modifiedAt,
      ...(linkId ? { linkId } : {}),
      ...(doc.iCalUId ? { uid: doc.iCalUId } : {}),
      ...(doc.isOrganizer === false
        ? {
            readOnly: `an invitation from ${organizer?.name || organizer?.email || 'another organizer'}: only the organizer can change it`,
          }
        : {}),
    },
  };
}

export const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A write Graph refused (or never answered: status 0), classified by its status and error code. */
export function failure(w: Write<EventFields>, a: BatchResult): WriteFailure {
  return writeFailure(
    `Graph answered ${a.status} to ${w.op}: ${graphErrorMessage(a.body)}`,
    graphAnswerClass(a),
    a.status,
  );
}

export const badDocument = (w: Write<EventFields>): WriteFailure =>
  writeFailure(`Graph answered the ${w.op} with an unexpected event document`, 'permanent');

/** A failed write that no answer caused: the write itself cannot be made. */
export const refused = (error: string, kind: ErrorClass = 'permanent'): WriteFailure =>
  writeFailure(error, kind);
