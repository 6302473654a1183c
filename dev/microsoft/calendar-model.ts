import { randomBytes } from 'node:crypto';
import { fromGraph, type GraphRecurrence, type Recurrence } from '../../shared/sync/calendar/recurrence';
import { toIana as knownZone, zonedToUtc } from '../../shared/sync/calendar/time-zones';

/**
 * What a simulated Exchange calendar is made of: events, series masters, their exceptions,
 * the calendar itself, and the small helpers every part of the calendar shares (zones,
 * instance ids, instants).
 */

export interface SimAttendee {
  type: 'required' | 'optional' | 'resource';
  emailAddress: { name: string; address: string };
  status?: { response: string; time: string };
}

export interface Person {
  emailAddress: { name: string; address: string };
}

export interface Content {
  subject: string;
  body: { contentType: 'text' | 'html'; content: string };
  location: { displayName: string };
  isReminderOn: boolean;
  reminderMinutesBeforeStart: number;
}

export interface SimException extends Partial<Content> {
  id: string;
  /** The pattern's start for this occurrence (instant; local midnight for all-day series). */
  originalStart: number;
  /** Timed: instants. All-day: dates. */
  start: string;
  end: string;
  changeKey: string;
  seq: number;
  lastModifiedDateTime: string;
}

export interface SimEvent extends Content {
  id: string;
  type: 'singleInstance' | 'seriesMaster';
  /** As written: a local date-time ("YYYY-MM-DDTHH:mm:ss") and its zone (Windows or IANA). */
  start: { dateTime: string; timeZone: string };
  end: { dateTime: string; timeZone: string };
  isAllDay: boolean;
  attendees: SimAttendee[];
  organizer: Person;
  isOrganizer: boolean;
  recurrence: GraphRecurrence | null;
  /**
   * Graph v1.0 event `sensitivity` (normal | personal | private | confidential) and `showAs`
   * (free | tentative | busy | oof | workingElsewhere | unknown),
   * learn.microsoft.com/graph/api/resources/event. Kept per series: an occurrence shows its
   * series' values (the sync never writes them on an occurrence).
   */
  sensitivity: (typeof SENSITIVITIES)[number];
  showAs: (typeof SHOW_AS_VALUES)[number];
  iCalUId: string;
  transactionId?: string;
  extendedProperties: { id: string; value: string }[];
  createdDateTime: string;
  lastModifiedDateTime: string;
  changeKey: string;
  seq: number;
  /** Keyed by original start (epoch ms). */
  exceptions: Map<number, SimException>;
  cancelled: Set<number>;
}

export type SentKind = 'invitation' | 'update' | 'cancellation';
export interface SentMessage {
  kind: SentKind;
  eventId: string;
  subject: string;
  recipients: string[];
}

export interface CalendarChange {
  accountOid: string;
  resource: 'events';
  changeType: 'created' | 'updated' | 'deleted';
  id: string;
}

/** One occurrence of a series, or a single event, as calendarView sees it. */
export interface Instance {
  id: string;
  event: SimEvent;
  exception?: SimException;
  originalStart?: number;
  /** Timed: instants (ms). All-day: dates. */
  start: number | string;
  end: number | string;
  version: string;
}

/** A single or master by id, or a series' occurrence (its original start and where it is now). */
export interface Located {
  event: SimEvent;
  instance?: { originalStart: number; start: number | string; end: number | string };
}

export const DAY = 86_400_000;
/**
 * A zone Exchange keeps as a custom definition (some clients write one): it recurs in
 * UTC here, and no IANA name matches it, so the sync must report such a series unmapped.
 */
export const CUSTOM_ZONE = 'tzone://Microsoft/Custom';
export const zoneOf = (name: string): string | undefined => (name === CUSTOM_ZONE ? 'UTC' : knownZone(name));

export const SENSITIVITIES = ['normal', 'personal', 'private', 'confidential'] as const;
export const SHOW_AS_VALUES = ['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'] as const;

export const CONTENT_KEYS = [
  'subject',
  'body',
  'location',
  'isReminderOn',
  'reminderMinutesBeforeStart',
] as const;

/**
 * A calendar of a mailbox as Graph's calendar resource describes it (v1.0 "calendar
 * resource type": `isDefaultCalendar` marks the one new events go to by default). A mailbox
 * has one default calendar and any number of others ("List calendars": GET /me/calendars).
 */
export interface SimCalendarInfo {
  id: string;
  name: string;
  isDefault: boolean;
  color: string;
}

export function seriesRecurrence(e: SimEvent): Recurrence | undefined {
  if (!e.recurrence) {
    return undefined;
  }
  const mapped = fromGraph(
    withKnownZone(e.recurrence),
    e.start.timeZone === CUSTOM_ZONE ? 'UTC' : e.start.timeZone,
  );
  return 'ok' in mapped ? mapped.ok : undefined;
}

export const withKnownZone = (g: GraphRecurrence): GraphRecurrence =>
  g.range?.recurrenceTimeZone === CUSTOM_ZONE
    ? { ...g, range: { ...g.range, recurrenceTimeZone: 'UTC' } }
    : g;

export const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

export function startMs(e: SimEvent): number {
  return zonedToUtc(e.start.dateTime, zoneOf(e.start.timeZone) ?? 'UTC').getTime();
}
export function endMs(e: SimEvent): number {
  return zonedToUtc(e.end.dateTime, zoneOf(e.end.timeZone) ?? 'UTC').getTime();
}

export const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
export const compactToIso = (c: string) =>
  `${c.slice(0, 4)}-${c.slice(4, 6)}-${c.slice(6, 8)}T${c.slice(9, 11)}:${c.slice(11, 13)}:${c.slice(13, 15)}Z`;
export const instanceId = (masterId: string, originalStart: number) =>
  `${masterId}.${iso(originalStart).replace(/[-:]/g, '')}`;
export const newId = () => `AAMkAGevent${randomBytes(15).toString('base64url').replace(/[-_]/g, 'x')}`;
