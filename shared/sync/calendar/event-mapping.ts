import { htmlToText } from '../text';
import {
  fromGraph,
  fromOro,
  toGraph,
  toOro,
  toOroDateTime,
  type GraphRecurrence,
  type OroRecurrence,
  type Recurrence,
} from './recurrence';
import { toIana, toWindows, utcToZoned, zonedToUtc } from './time-zones';

/**
 * A calendar event in the neutral model. Timed events are instants (UTC); all-day events
 * are calendar dates with an exclusive end, never moved through a time zone.
 */
export type EventFields = {
  title: string;
  description: string;
  allDay: boolean;
  /** Timed: "YYYY-MM-DDTHH:mm:ssZ". All-day: "YYYY-MM-DD". */
  start: string;
  /** Timed: instant. All-day: the day after the last day. */
  end: string;
  /** Minutes before the start; null: no reminder. */
  reminderMinutes: number | null;
  location: string;
  /** Sorted by email, so order never counts as a change. */
  attendees: { email: string; name: string; type: 'required' | 'optional' | 'resource' }[];
  recurrence: Recurrence | null;
  /**
   * A series' moved, changed or cancelled occurrences, sorted by `originalStart`; empty for
   * a single event. They travel with their series: one item, one link, one version.
   */
  exceptions: EventException[];
  /**
   * Someone else organizes it and the user attends (an invitation); null when the user
   * organizes it. Such an event is never written back to its organizer's side as if the
   * user owned it, and is never given attendees on Microsoft (that would send invitations).
   */
  organizer: { email: string; name: string } | null;
  /**
   * Free/busy as Microsoft shows it (Graph `showAs`). Oro has no such field: its side keeps
   * the agreed value (completeOroFields), so an Oro edit never clears it.
   */
  showAs: ShowAs;
};

/** Graph's freeBusyStatus values (learn.microsoft.com/graph/api/resources/event, v1.0). */
export const SHOW_AS = ['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'] as const;
export type ShowAs = (typeof SHOW_AS)[number];
/** What Exchange gives a new event without a showAs, and what an event from Oro starts as. */
export const DEFAULT_SHOW_AS: ShowAs = 'busy';
const showAsOf = (v: string | null | undefined): ShowAs =>
  (SHOW_AS as readonly (string | null | undefined)[]).includes(v) ? (v as ShowAs) : DEFAULT_SHOW_AS;

/**
 * One occurrence of a series that differs from the pattern. `originalStart` is where the
 * pattern put it, in the same form as `start` (instant for timed series, date for all-day).
 */
export type EventException =
  | { originalStart: string; cancelled: true }
  | {
      originalStart: string;
      cancelled: false;
      title: string;
      description: string;
      start: string;
      end: string;
      location: string;
    };

export type EventMapped<T> = { ok: T; notes: string[] } | { unsupported: string };

const instant = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const byEmail = (a: { email: string }, b: { email: string }) => a.email.localeCompare(b.email);

// ---- Oro ------------------------------------------------------------------------

export interface OroEvent {
  id: number;
  uid?: string | null;
  title: string;
  description?: string | null;
  start: string;
  end: string;
  allDay: boolean;
  reminders?: { method: string; interval: { number: number; unit: 'M' | 'H' | 'D' | 'W' } }[] | null;
  attendees?:
    | { displayName?: string | null; email?: string | null; status?: string | null; type?: string | null }[]
    | null;
  recurrence?: OroRecurrence | null;
  /** False on an event the user attends in someone else's calendar. */
  isOrganizer?: boolean | null;
  organizerEmail?: string | null;
  organizerDisplayName?: string | null;
}

const UNIT_MINUTES = { M: 1, H: 60, D: 1440, W: 10080 } as const;

export function oroEventToFields(e: OroEvent): EventMapped<EventFields> {
  const notes: string[] = [];
  let recurrence: Recurrence | null = null;
  if (e.recurrence) {
    const mapped = fromOro(e.recurrence, e.allDay);
    if ('unsupported' in mapped) {
      return { unsupported: `recurrence: ${mapped.unsupported}` };
    }
    recurrence = mapped.ok;
  }
  const reminders = (e.reminders ?? []).map((r) => r.interval.number * (UNIT_MINUTES[r.interval.unit] ?? 1));
  if (reminders.length > 1) {
    notes.push(`${reminders.length} reminders: Microsoft keeps the earliest only`);
  }
  const startMs = Date.parse(e.start);
  const endMs = Date.parse(e.end);
  return {
    ok: {
      title: e.title,
      description: e.description ?? '',
      allDay: e.allDay,
      start: e.allDay ? e.start.slice(0, 10) : instant(startMs),
      // An all-day end at midnight is already exclusive; one late in the last day is not.
      end: e.allDay
        ? /T00:00:00/.test(e.end)
          ? e.end.slice(0, 10)
          : addDays(e.end.slice(0, 10), 1)
        : instant(endMs),
      reminderMinutes: reminders.length > 0 ? Math.max(...reminders) : null,
      location: '',
      attendees: (e.attendees ?? [])
        .filter((a) => a.email && a.type !== 'organizer')
        .map((a) => ({
          email: String(a.email).toLowerCase(),
          name: a.displayName ?? '',
          type: a.type === 'optional' ? ('optional' as const) : ('required' as const),
        }))
        .sort(byEmail),
      recurrence,
      exceptions: [],
      organizer:
        e.isOrganizer === false && e.organizerEmail
          ? { email: e.organizerEmail.toLowerCase(), name: e.organizerDisplayName ?? '' }
          : null,
      // Oro has no free/busy: the side completes it from the agreed version.
      showAs: DEFAULT_SHOW_AS,
    },
    notes,
  };
}

/** The Oro REST body for neutral fields (`uid` is our cross-system key; set once, on create). */
export function fieldsToOroEvent(f: EventFields): EventMapped<Record<string, unknown>> {
  let recurrence: OroRecurrence | null = null;
  // Whole seconds with +00:00, as Oro's own clients send them (toOroDateTime).
  const start = f.allDay ? `${f.start}T00:00:00+00:00` : toOroDateTime(f.start);
  if (f.recurrence) {
    const mapped = toOro(f.recurrence, f.allDay ? `${f.start}T00:00:00Z` : f.start);
    if ('unsupported' in mapped) {
      return { unsupported: `recurrence: ${mapped.unsupported}` };
    }
    recurrence = mapped.ok;
  }
  return {
    ok: {
      title: f.title,
      description: f.description,
      start,
      end: f.allDay ? `${f.end}T00:00:00+00:00` : toOroDateTime(f.end),
      allDay: f.allDay,
      reminders:
        f.reminderMinutes === null
          ? []
          : [{ method: 'web_socket', interval: { number: f.reminderMinutes, unit: 'M' } }],
      attendees: f.attendees.map((a) => ({
        displayName: a.name,
        email: a.email,
        type: a.type === 'optional' ? 'optional' : 'required',
      })),
      ...(recurrence ? { recurrence } : {}),
    },
    notes: f.attendees.some((a) => a.type === 'resource')
      ? ['resource attendees become required attendees in Oro']
      : [],
  };
}

/**
 * What an Oro event cannot hold, taken from the fields both sides last agreed on: Oro has
 * no location (on events or their exceptions) and no resource attendees (they read back as
 * required). Without this, Oro's empty location would clear Microsoft's on the next sync.
 */
export function completeOroFields(fields: EventFields, base: EventFields): EventFields {
  const baseTypes = new Map(base.attendees.map((a) => [a.email, a.type]));
  const baseExceptions = new Map(base.exceptions.map((e) => [e.originalStart, e]));
  return {
    ...fields,
    location: base.location,
    // A link saved before showAs was synced has none: Oro's default stands in.
    showAs: base.showAs ?? fields.showAs,
    attendees: fields.attendees.map((a) =>
      a.type === 'required' && baseTypes.get(a.email) === 'resource' ? { ...a, type: 'resource' } : a,
    ),
    exceptions: fields.exceptions.map((e) => {
      const before = baseExceptions.get(e.originalStart);
      return e.cancelled || !before || before.cancelled ? e : { ...e, location: before.location };
    }),
  };
}

// ---- Graph ----------------------------------------------------------------------

export interface GraphEvent {
  id: string;
  subject?: string | null;
  body?: { contentType?: string; content?: string } | null;
  start: { dateTime: string; timeZone: string };
  end: { dateTime: string; timeZone: string };
  isAllDay?: boolean;
  isReminderOn?: boolean;
  reminderMinutesBeforeStart?: number;
  location?: { displayName?: string } | null;
  attendees?: { type?: string; emailAddress?: { name?: string; address?: string } }[] | null;
  recurrence?: GraphRecurrence | null;
  isOrganizer?: boolean;
  organizer?: { emailAddress?: { name?: string; address?: string } } | null;
  showAs?: string | null;
  /** normal | personal | private | confidential (Graph v1.0). */
  sensitivity?: string | null;
}

export function graphEventToFields(e: GraphEvent): EventMapped<EventFields> {
  const zone = toIana(e.start.timeZone);
  if (!zone) {
    return { unsupported: `unknown time zone "${e.start.timeZone}"` };
  }
  const endZone = toIana(e.end.timeZone) ?? zone;
  let recurrence: Recurrence | null = null;
  if (e.recurrence) {
    const mapped = fromGraph(e.recurrence, e.start.timeZone);
    if ('unsupported' in mapped) {
      return { unsupported: `recurrence: ${mapped.unsupported}` };
    }
    recurrence = mapped.ok;
  }
  const allDay = e.isAllDay === true;
  const body = e.body?.content ?? '';
  return {
    ok: {
      title: e.subject ?? '',
      description: e.body?.contentType === 'html' ? htmlToText(body) : body,
      allDay,
      // All-day: midnight to midnight in the event's own zone; the dates are what count.
      start: allDay ? e.start.dateTime.slice(0, 10) : instant(zonedToUtc(e.start.dateTime, zone).getTime()),
      end: allDay ? e.end.dateTime.slice(0, 10) : instant(zonedToUtc(e.end.dateTime, endZone).getTime()),
      reminderMinutes: e.isReminderOn ? (e.reminderMinutesBeforeStart ?? 15) : null,
      location: e.location?.displayName ?? '',
      attendees: (e.attendees ?? [])
        .filter((a) => a.emailAddress?.address)
        .map((a) => ({
          email: String(a.emailAddress?.address).toLowerCase(),
          name: a.emailAddress?.name ?? '',
          type: attendeeType(a.type),
        }))
        .sort(byEmail),
      recurrence,
      exceptions: [],
      organizer:
        e.isOrganizer === false && e.organizer?.emailAddress?.address
          ? {
              email: e.organizer.emailAddress.address.toLowerCase(),
              name: e.organizer.emailAddress.name ?? '',
            }
          : null,
      showAs: showAsOf(e.showAs),
    },
    notes: [],
  };
}

/**
 * Graph event body. A series is written in its own zone, so its local time holds across
 * DST changes; a single timed event in UTC; all-day events as midnight dates.
 */
export function fieldsToGraphEvent(f: EventFields): Record<string, unknown> {
  const zone = f.recurrence?.timeZone ?? 'UTC';
  const at = (v: string) =>
    f.allDay
      ? { dateTime: `${v}T00:00:00.0000000`, timeZone: toWindows(zone) }
      : { dateTime: `${utcToZoned(v, zone)}.0000000`, timeZone: toWindows(zone) };
  return {
    subject: f.title,
    body: { contentType: 'text', content: f.description },
    isAllDay: f.allDay,
    start: at(f.start),
    end: at(f.end),

    isReminderOn: f.reminderMinutes !== null,
    ...(f.reminderMinutes !== null ? { reminderMinutesBeforeStart: f.reminderMinutes } : {}),
    location: { displayName: f.location },
    attendees: f.attendees.map((a) => ({ type: a.type, emailAddress: { address: a.email, name: a.name } })),
    recurrence: f.recurrence ? toGraph(f.recurrence) : null,
    // "unknown" is what Graph reports when it does not know; it is never ours to write.
    ...(f.showAs === 'unknown' ? {} : { showAs: f.showAs }),
  };
}

// ---- Private events ---------------------------------------------------------------

/** The title a private event's busy-only copy carries in Oro. */
export const PRIVATE_TITLE = 'Private appointment';

/**
 * Whether Outlook shows the event to others as private. Outlook's "Private" flag is
 * `sensitivity: private`; `confidential` is treated the same (it is no less restricted).
 */
export const isPrivate = (sensitivity: string | null | undefined): boolean =>
  sensitivity === 'private' || sensitivity === 'confidential';

/**
 * A private event as busy time: its times, recurrence, cancelled occurrences, reminder and
 * free/busy, with a neutral title and no body, location, attendees or organizer.
 */
export function busyOnly(f: EventFields): EventFields {
  return {
    ...f,
    title: PRIVATE_TITLE,
    description: '',
    location: '',
    attendees: [],
    organizer: null,
    exceptions: f.exceptions.map((x) =>
      x.cancelled ? x : { ...x, title: PRIVATE_TITLE, description: '', location: '' },
    ),
  };
}

const attendeeType = (type: string | undefined): EventFields['attendees'][number]['type'] =>
  type === 'optional' || type === 'resource' ? type : 'required';
