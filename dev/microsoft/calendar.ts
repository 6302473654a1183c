import { randomBytes, randomUUID } from 'node:crypto';
import {
  fromGraph,
  WEEKDAYS,
  type GraphRecurrence,
  type Recurrence,
} from '../../shared/sync/calendar/recurrence';
import {
  toIana as knownZone,
  utcToZoned,
  zonedDate,
  zonedToUtc,
} from '../../shared/sync/calendar/time-zones';
import type { SimAccount } from './accounts';
import { EXPIRED_TOKEN_410, expiredToken, graphError, type ExpiredTokenAnswer } from './respond';
import type { GraphAnswer } from './todo';
import { textOf } from '../text-of';

/**
 * One mailbox's calendar as Exchange keeps it: single events, series masters with a
 * patterned recurrence expanded in the series' own time zone (so local times hold across
 * DST), exceptions (an occurrence patched) and cancelled occurrences (an occurrence
 * deleted), calendarView/delta over a window, and the mail Exchange would send for each
 * change (invitations, updates, cancellations), so tests can prove the sync sends none
 * the user did not cause.
 */

export interface SimAttendee {
  type: 'required' | 'optional' | 'resource';
  emailAddress: { name: string; address: string };
  status?: { response: string; time: string };
}

interface Person {
  emailAddress: { name: string; address: string };
}

interface Content {
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
interface Instance {
  id: string;
  event: SimEvent;
  exception?: SimException;
  originalStart?: number;
  /** Timed: instants (ms). All-day: dates. */
  start: number | string;
  end: number | string;
  version: string;
}

interface DeltaState {
  epoch: number;
  windowStart: number;
  windowEnd: number;
  /** Instance id → version at the end of the round. */
  seen: Map<string, string>;
}

interface Round {
  epoch: number;
  items: Record<string, unknown>[];
  deltaToken: string;
}

const DAY = 86_400_000;
/**
 * A zone Exchange keeps as a custom definition (some clients write one): it recurs in
 * UTC here, and no IANA name matches it, so the sync must report such a series unmapped.
 */
export const CUSTOM_ZONE = 'tzone://Microsoft/Custom';
const zoneOf = (name: string): string | undefined => (name === CUSTOM_ZONE ? 'UTC' : knownZone(name));
/** Delta tokens and page rounds kept; older ones answer 410 as an expired sync state. */
const KEPT_TOKENS = 200;
const DEFAULT_PAGE = 10;
const FAR = Date.parse('3000-01-01T00:00:00Z');

const SENSITIVITIES = ['normal', 'personal', 'private', 'confidential'] as const;
const SHOW_AS_VALUES = ['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'] as const;

const CONTENT_KEYS = ['subject', 'body', 'location', 'isReminderOn', 'reminderMinutesBeforeStart'] as const;

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

export class CalendarStore {
  readonly info: SimCalendarInfo;
  private readonly events = new Map<string, SimEvent>();
  /** transactionId → the event its first POST made; kept after that event is deleted. */
  private readonly transactions = new Map<string, string>();
  /** Deleted events that carried a transactionId, as they were: what a repeat of it gets. */
  private readonly deletedByTransaction = new Map<string, SimEvent>();
  private readonly sent: SentMessage[] = [];
  private readonly listeners: ((change: CalendarChange) => void)[] = [];
  private readonly tokens = new Map<string, DeltaState>();
  private readonly rounds = new Map<string, Round>();
  private seq = 0;
  /** Delta tokens from an older epoch are gone (410), as after Exchange drops a sync state. */
  private epoch = 1;
  private expired = EXPIRED_TOKEN_410;

  constructor(
    private readonly account: SimAccount,
    private readonly clock: () => number = Date.now,
    info: Partial<SimCalendarInfo> = {},
  ) {
    this.info = {
      id: info.id ?? `AAMkAGI2-calendar-${account.oid}`,
      name: info.name ?? 'Calendar',
      isDefault: info.isDefault ?? true,
      color: info.color ?? 'auto',
    };
  }

  /**
   * The calendar resource as "List calendars" and "Get calendar" answer it (the v1.0
   * examples' fields; `isDefaultCalendar` and `isRemovable` tell the default one).
   */
  renderCalendar(): Record<string, unknown> {
    return {
      id: this.info.id,
      name: this.info.name,
      color: this.info.color,
      hexColor: '',
      isDefaultCalendar: this.info.isDefault,
      changeKey: 'nfZyf7VcrEKLNoU37KWlkQAAA0x0+w==',
      canShare: true,
      canViewPrivateItems: true,
      canEdit: true,
      allowedOnlineMeetingProviders: ['teamsForBusiness'],
      defaultOnlineMeetingProvider: 'teamsForBusiness',
      isTallyingResponses: this.info.isDefault,
      isRemovable: !this.info.isDefault,
      owner: { name: this.account.displayName, address: this.account.username },
    };
  }

  /** Whether this calendar holds the event, series occurrence or exception with this id. */
  holds(id: string): boolean {
    return this.locate(id) !== undefined;
  }

  // ---- test and Outlook-user helpers ------------------------------------------------

  onChange(listener: (change: CalendarChange) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) {
        this.listeners.splice(i, 1);
      }
    };
  }

  /** Mail Exchange would have sent since the last reset. */
  messages(): SentMessage[] {
    return this.sent.map((m) => structuredClone(m));
  }

  resetMessages(): void {
    this.sent.length = 0;
  }

  all(): SimEvent[] {
    return [...this.events.values()].map((e) => structuredClone(e));
  }

  get(id: string): SimEvent | undefined {
    const e = this.events.get(id);
    return e ? structuredClone(e) : undefined;
  }

  /** Every delta token given so far is lost; their next use gets `answer` (410 by default). */
  expireDeltaTokens(answer: ExpiredTokenAnswer = EXPIRED_TOKEN_410): void {
    this.expired = answer;
    this.epoch++;
  }

  /** An invitation from someone else lands in this calendar (the user attends, does not organize). */
  receiveInvitation(input: Record<string, unknown>, organizer: { name: string; address: string }): SimEvent {
    const created = this.create(input);
    if ('error' in created) {
      throw new Error(created.error);
    }
    const e = this.events.get(created.id)!;
    e.isOrganizer = false;
    e.organizer = { emailAddress: organizer };
    // An invitation sends nothing from this mailbox: take back what create counted.
    for (let i = this.sent.length - 1; i >= 0; i--) {
      if (this.sent[i]!.eventId === e.id) {
        this.sent.splice(i, 1);
      }
    }
    return structuredClone(e);
  }

  /**
   * An event that came into this calendar with an iCalendar UID of its own (an .ics file
   * imported, an invitation sent from another system): Graph answers that UID as its
   * `iCalUId`, which no request can set (read-only, learn.microsoft.com/graph/api/resources/event).
   */
  keepICalUId(id: string, uid: string): void {
    const e = this.events.get(id);
    if (!e) {
      throw new Error(`no event ${id}`);
    }
    e.iCalUId = uid;
  }

  /** The id of a series' occurrence by the instant the pattern puts it at (cancelled: none). */
  occurrenceId(masterId: string, originalStart: string): string | undefined {
    const id = instanceId(masterId, Date.parse(originalStart));
    return this.locate(id)?.instance ? id : undefined;
  }

  /** Instance ids of a series in [from, to), as `/instances` lists them. */
  instanceIds(masterId: string, from: string, to: string): string[] {
    const e = this.events.get(masterId);
    if (!e) {
      return [];
    }
    return this.expand(e, Date.parse(from), Date.parse(to)).map((i) => i.id);
  }

  // ---- writes (Graph requests and helpers alike) ------------------------------------

  create(input: Record<string, unknown>): SimEvent | { error: string } {
    const txn = typeof input.transactionId === 'string' ? input.transactionId : undefined;
    // transactionId "avoids redundant POST operations in case of client retries to create the
    // same event" (learn.microsoft.com/graph/api/resources/event). Graph documents no expiry
    // and nothing about a deleted event, so the simulator takes the harsh reading: a POST with
    // a known transactionId is a retry and creates nothing, even once that event is deleted
    // (it answers the event as it was). A re-create must therefore carry a new transactionId.
    const earlierId = txn ? this.transactions.get(txn) : undefined;
    const earlier = earlierId
      ? (this.events.get(earlierId) ?? this.deletedByTransaction.get(earlierId))
      : undefined;
    if (earlier) {
      return earlier;
    }
    const now = new Date(this.clock()).toISOString();
    const me = { emailAddress: { name: this.account.displayName, address: this.account.username } };
    const draft: SimEvent = {
      id: newId(),
      type: 'singleInstance',
      subject: '',
      body: { contentType: 'text', content: '' },
      location: { displayName: '' },
      isReminderOn: true,
      reminderMinutesBeforeStart: 15,
      start: { dateTime: '', timeZone: 'UTC' },
      end: { dateTime: '', timeZone: 'UTC' },
      isAllDay: false,
      attendees: [],
      organizer: me,
      isOrganizer: true,
      recurrence: null,
      // A new event is normal and busy unless the POST says otherwise
      // (learn.microsoft.com/graph/api/user-post-events, Response 1).
      sensitivity: 'normal',
      showAs: 'busy',
      iCalUId: `040000008200E00074C5B7101A82E008${randomBytes(24).toString('hex').toUpperCase()}`,
      extendedProperties: [],
      createdDateTime: now,
      lastModifiedDateTime: now,
      changeKey: '',
      seq: 0,
      exceptions: new Map(),
      cancelled: new Set(),
    };
    if (!input.start || !input.end) {
      return { error: 'Your request requires a start and an end.' };
    }
    const error = this.apply(draft, input);
    if (error) {
      return { error };
    }
    if (txn) {
      draft.transactionId = txn;
      this.transactions.set(txn, draft.id);
    }
    this.touch(draft);
    this.events.set(draft.id, draft);
    if (draft.attendees.length > 0) {
      this.send('invitation', draft, draft.attendees);
    }
    this.emit('created', draft.id);
    return draft;
  }

  /** PATCH: a single event, a series master, or one occurrence (which becomes an exception). */
  update(
    id: string,
    input: Record<string, unknown>,
  ): SimEvent | SimException | { error: string } | undefined {
    const found = this.locate(id);
    if (!found) {
      return undefined;
    }
    if (found.instance) {
      return this.updateInstance(found.event, found.instance, input);
    }
    const e = found.event;
    const before = structuredClone(e);
    const error = this.apply(e, input);
    if (error) {
      this.events.set(id, before);
      return { error };
    }
    if (e.type === 'seriesMaster') {
      const reshaped =
        JSON.stringify([before.start, before.end, before.recurrence, before.isAllDay]) !==
        JSON.stringify([e.start, e.end, e.recurrence, e.isAllDay]);
      // Exchange drops a series' exceptions when its pattern or times change.
      if (reshaped) {
        e.exceptions.clear();
        e.cancelled.clear();
      }
    }
    this.touch(e);
    if (e.isOrganizer) {
      const known = new Set(before.attendees.map((a) => a.emailAddress.address.toLowerCase()));
      const added = e.attendees.filter((a) => !known.has(a.emailAddress.address.toLowerCase()));
      if (added.length > 0) {
        this.send('invitation', e, added);
      }
      const meetingChanged =
        JSON.stringify([
          before.start,
          before.end,
          before.recurrence,
          before.location,
          before.subject,
          before.body,
        ]) !== JSON.stringify([e.start, e.end, e.recurrence, e.location, e.subject, e.body]);
      const stayed = e.attendees.filter((a) => known.has(a.emailAddress.address.toLowerCase()));
      if (meetingChanged && stayed.length > 0) {
        this.send('update', e, stayed);
      }
      const kept = new Set(e.attendees.map((a) => a.emailAddress.address.toLowerCase()));
      const removed = before.attendees.filter((a) => !kept.has(a.emailAddress.address.toLowerCase()));
      if (removed.length > 0) {
        this.send('cancellation', e, removed);
      }
    }
    this.emit('updated', e.id);
    return e;
  }

  /** DELETE: a single event, a whole series, or one occurrence (cancelled). */
  remove(id: string): boolean {
    const found = this.locate(id);
    if (!found) {
      return false;
    }
    const e = found.event;
    if (found.instance) {
      e.cancelled.add(found.instance.originalStart);
      e.exceptions.delete(found.instance.originalStart);
      this.touch(e);
      if (e.isOrganizer && e.attendees.length > 0) {
        this.send('cancellation', e, e.attendees);
      }
      this.emit('updated', e.id);
      return true;
    }
    this.events.delete(id);
    if (e.transactionId) {
      this.deletedByTransaction.set(e.id, e);
    }
    this.seq++;
    if (e.isOrganizer && e.attendees.length > 0) {
      this.send('cancellation', e, e.attendees);
    }
    this.emit('deleted', id);
    return true;
  }

  private updateInstance(
    e: SimEvent,
    at: { originalStart: number; start: number | string; end: number | string },
    input: Record<string, unknown>,
  ): SimException | { error: string } {
    const now = new Date(this.clock()).toISOString();
    const exception: SimException = e.exceptions.get(at.originalStart) ?? {
      id: instanceId(e.id, at.originalStart),
      originalStart: at.originalStart,
      start: typeof at.start === 'number' ? iso(at.start) : at.start,
      end: typeof at.end === 'number' ? iso(at.end) : at.end,
      changeKey: '',
      seq: 0,
      lastModifiedDateTime: now,
    };
    const before = structuredClone(exception);
    for (const key of CONTENT_KEYS) {
      if (key in input) {
        const error = setContent(exception, key, input[key]);
        if (error) {
          return { error };
        }
      }
    }
    for (const key of ['start', 'end'] as const) {
      if (!(key in input)) {
        continue;
      }
      const t = input[key] as { dateTime?: unknown; timeZone?: unknown } | undefined;
      const zone = zoneOf(textOf(t?.timeZone ?? ''));
      if (typeof t?.dateTime !== 'string' || !zone || !DATE_TIME.test(t.dateTime)) {
        return { error: `Invalid ${key}.` };
      }
      exception[key] = e.isAllDay ? t.dateTime.slice(0, 10) : iso(zonedToUtc(t.dateTime, zone).getTime());
    }
    if (exception.start >= exception.end) {
      return { error: 'The end must be after the start.' };
    }
    exception.seq = ++this.seq;
    exception.changeKey = randomBytes(12).toString('base64');
    exception.lastModifiedDateTime = now;
    e.exceptions.set(at.originalStart, exception);
    // Exceptions live in the master: its stamp moves too.
    this.touch(e);
    if (e.isOrganizer && e.attendees.length > 0) {
      const moved =
        before.start !== exception.start ||
        before.end !== exception.end ||
        JSON.stringify([before.subject, before.location, before.body]) !==
          JSON.stringify([exception.subject, exception.location, exception.body]);
      if (moved) {
        this.send('update', e, e.attendees);
      }
    }
    this.emit('updated', exception.id);
    return exception;
  }

  private apply(e: SimEvent, input: Record<string, unknown>): string | undefined {
    if ('singleValueExtendedProperties' in input) {
      if (!Array.isArray(input.singleValueExtendedProperties)) {
        return 'Invalid extended properties.';
      }
      for (const p of input.singleValueExtendedProperties as { id?: unknown; value?: unknown }[]) {
        if (typeof p.id !== 'string' || typeof p.value !== 'string') {
          return 'Invalid extended property.';
        }
        const id = p.id;
        // Ids compare without case; a PATCH replaces the value of the same property.
        const same = e.extendedProperties.findIndex((x) => x.id.toLowerCase() === id.toLowerCase());
        if (same >= 0) {
          e.extendedProperties[same] = { id: e.extendedProperties[same]!.id, value: p.value };
        } else {
          e.extendedProperties.push({ id, value: p.value });
        }
      }
    }
    for (const key of CONTENT_KEYS) {
      if (key in input) {
        const error = setContent(e, key, input[key]);
        if (error) {
          return error;
        }
      }
    }
    if ('sensitivity' in input) {
      const v = SENSITIVITIES.find((x) => x === input.sensitivity);
      if (!v) {
        return `Invalid sensitivity: one of ${SENSITIVITIES.join(', ')}.`;
      }
      e.sensitivity = v;
    }
    if ('showAs' in input) {
      const v = SHOW_AS_VALUES.find((x) => x === input.showAs);
      if (!v) {
        return `Invalid showAs: one of ${SHOW_AS_VALUES.join(', ')}.`;
      }
      e.showAs = v;
    }
    if ('isAllDay' in input) {
      e.isAllDay = input.isAllDay === true;
    }
    for (const key of ['start', 'end'] as const) {
      if (!(key in input)) {
        continue;
      }
      const t = input[key] as { dateTime?: unknown; timeZone?: unknown } | undefined;
      if (typeof t?.dateTime !== 'string' || !DATE_TIME.test(t.dateTime) || typeof t.timeZone !== 'string') {
        return `Invalid ${key}: a dateTime and a timeZone are required.`;
      }
      if (!zoneOf(t.timeZone)) {
        return `A valid TimeZone value must be specified. "${t.timeZone}" is not one.`;
      }
      e[key] = { dateTime: t.dateTime.slice(0, 19), timeZone: t.timeZone };
    }
    if (e.isAllDay && (!/T00:00:00/.test(e.start.dateTime) || !/T00:00:00/.test(e.end.dateTime))) {
      return 'An all-day event must start and end at midnight.';
    }
    if (startMs(e) >= endMs(e)) {
      return 'The end must be after the start.';
    }
    if ('attendees' in input) {
      if (!Array.isArray(input.attendees)) {
        return 'Invalid attendees.';
      }
      const attendees: SimAttendee[] = [];
      for (const a of input.attendees as {
        type?: unknown;
        emailAddress?: { name?: unknown; address?: unknown };
      }[]) {
        if (typeof a.emailAddress?.address !== 'string' || !a.emailAddress.address.includes('@')) {
          return 'Invalid attendee: an email address is required.';
        }
        attendees.push({
          type: a.type === 'optional' || a.type === 'resource' ? a.type : 'required',
          emailAddress: { name: textOf(a.emailAddress.name ?? ''), address: a.emailAddress.address },
          status: { response: 'none', time: '0001-01-01T00:00:00Z' },
        });
      }
      e.attendees = attendees;
    }
    if ('recurrence' in input) {
      if (input.recurrence === null) {
        e.recurrence = null;
      } else {
        const g = input.recurrence as GraphRecurrence;
        const mapped =
          g?.pattern && g.range
            ? fromGraph(withKnownZone(g), e.start.timeZone === CUSTOM_ZONE ? 'UTC' : e.start.timeZone)
            : { unsupported: 'no pattern' };
        if ('unsupported' in mapped) {
          return `Invalid recurrence: ${mapped.unsupported}.`;
        }
        e.recurrence = structuredClone(g);
      }
      e.type = e.recurrence ? 'seriesMaster' : 'singleInstance';
    }
    return undefined;
  }

  private touch(e: SimEvent): void {
    e.seq = ++this.seq;
    e.lastModifiedDateTime = new Date(this.clock()).toISOString();
    e.changeKey = randomBytes(12).toString('base64');
  }

  private send(kind: SentKind, e: SimEvent, to: SimAttendee[]): void {
    this.sent.push({
      kind,
      eventId: e.id,
      subject: e.subject,
      recipients: to.map((a) => a.emailAddress.address),
    });
  }

  private emit(changeType: CalendarChange['changeType'], id: string): void {
    for (const l of [...this.listeners]) {
      l({ accountOid: this.account.oid, resource: 'events', changeType, id });
    }
  }

  /** A single or master by id, or a series' occurrence by its instance id. */
  private locate(
    id: string,
  ):
    | { event: SimEvent; instance?: { originalStart: number; start: number | string; end: number | string } }
    | undefined {
    const direct = this.events.get(id);
    if (direct) {
      return { event: direct };
    }
    const m = /^(.+)\.(\d{8}T\d{6}Z)$/.exec(id);
    const e = m ? this.events.get(m[1]!) : undefined;
    if (!e || e.type !== 'seriesMaster') {
      return undefined;
    }
    const at = Date.parse(compactToIso(m![2]!));
    const occurrence = this.expand(e, at, at + 1, true).find((i) => i.originalStart === at);
    return occurrence
      ? { event: e, instance: { originalStart: at, start: occurrence.start, end: occurrence.end } }
      : undefined;
  }

  // ---- expansion --------------------------------------------------------------------

  /**
   * Instances of `e` overlapping [from, to): the event itself, or a series' occurrences
   * (exceptions in place of theirs, cancelled ones left out). `byOriginal` selects
   * occurrences by their original start instead, cancelled ones excluded still.
   */
  private expand(e: SimEvent, from: number, to: number, byOriginal = false): Instance[] {
    if (e.type === 'singleInstance') {
      const s = startMs(e);
      const en = endMs(e);
      if (!(s < to && en > from)) {
        return [];
      }
      const day = (v: string) => v.slice(0, 10);
      return [
        {
          id: e.id,
          event: e,
          start: e.isAllDay ? day(e.start.dateTime) : s,
          end: e.isAllDay ? day(e.end.dateTime) : en,
          version: String(e.seq),
        },
      ];
    }
    const r = seriesRecurrence(e);
    if (!r) {
      return [];
    }
    const zone = r.timeZone;
    const eventZone = zoneOf(e.start.timeZone) ?? zone;
    const masterStart = zonedToUtc(e.start.dateTime, eventZone).getTime();
    const duration = zonedToUtc(e.end.dateTime, zoneOf(e.end.timeZone) ?? eventZone).getTime() - masterStart;
    const timeOfDay = utcToZoned(new Date(masterStart), zone).slice(11, 19);
    const allDayDays = Math.round(
      (Date.parse(`${e.end.dateTime.slice(0, 10)}T00:00:00Z`) -
        Date.parse(`${e.start.dateTime.slice(0, 10)}T00:00:00Z`)) /
        DAY,
    );
    // Moved exceptions may land far from their original start: look a little wider.
    const slack = 366 * DAY;
    const untilDate = zonedDate(new Date(Math.min(to + slack + Math.abs(duration), FAR)), zone);
    const out: Instance[] = [];
    for (const date of occurrenceDates(r, untilDate)) {
      const original = zonedToUtc(`${date}T${e.isAllDay ? '00:00:00' : timeOfDay}`, zone).getTime();
      if (original < from - slack - Math.abs(duration) && !byOriginal) {
        continue;
      }
      if (e.cancelled.has(original)) {
        continue;
      }
      const x = e.exceptions.get(original);
      const start: number | string = x
        ? e.isAllDay
          ? x.start
          : Date.parse(x.start)
        : e.isAllDay
          ? date
          : original;
      const end: number | string = x
        ? e.isAllDay
          ? x.end
          : Date.parse(x.end)
        : e.isAllDay
          ? addDays(date, allDayDays)
          : original + duration;
      const startAt = typeof start === 'number' ? start : zonedToUtc(`${start}T00:00:00`, zone).getTime();
      const endAt = typeof end === 'number' ? end : zonedToUtc(`${end}T00:00:00`, zone).getTime();
      const hit = byOriginal ? original >= from && original < to : startAt < to && endAt > from;
      if (!hit) {
        continue;
      }
      out.push({
        id: instanceId(e.id, original),
        event: e,
        ...(x ? { exception: x } : {}),
        originalStart: original,
        start,
        end,
        version: `${e.seq}/${x?.seq ?? 0}`,
      });
    }
    return out;
  }

  // ---- rendering --------------------------------------------------------------------

  /** Graph's event JSON; date-times in `zone` (Prefer: outlook.timezone; UTC by default). */
  render(e: SimEvent, zone: string, options: RenderOptions = {}): Record<string, unknown> {
    const iana = zoneOf(zone) ?? 'UTC';
    const at = (v: number | string) =>
      typeof v === 'string'
        ? { dateTime: `${v}T00:00:00.0000000`, timeZone: zone }
        : { dateTime: `${utcToZoned(new Date(v), iana)}.0000000`, timeZone: zone };
    const own = (t: { dateTime: string; timeZone: string }): number | string =>
      e.isAllDay ? t.dateTime.slice(0, 10) : zonedToUtc(t.dateTime, zoneOf(t.timeZone) ?? 'UTC').getTime();
    const doc: Record<string, unknown> = {
      '@odata.etag': `W/"${e.changeKey}"`,
      id: e.id,
      createdDateTime: e.createdDateTime,
      lastModifiedDateTime: e.lastModifiedDateTime,
      changeKey: e.changeKey,
      categories: [],
      transactionId: e.transactionId ?? null,
      originalStartTimeZone: e.start.timeZone,
      originalEndTimeZone: e.end.timeZone,
      iCalUId: e.iCalUId,
      reminderMinutesBeforeStart: e.reminderMinutesBeforeStart,
      isReminderOn: e.isReminderOn,
      hasAttachments: false,
      subject: e.subject,
      bodyPreview: e.body.content.slice(0, 255),
      importance: 'normal',
      sensitivity: e.sensitivity,
      isAllDay: e.isAllDay,
      isCancelled: false,
      isDraft: false,
      isOrganizer: e.isOrganizer,
      responseRequested: true,
      seriesMasterId: null,
      showAs: e.showAs,
      type: e.type,
      webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(e.id)}`,
      onlineMeetingUrl: null,
      isOnlineMeeting: false,
      responseStatus: {
        response: e.isOrganizer ? 'organizer' : 'notResponded',
        time: '0001-01-01T00:00:00Z',
      },
      body: e.body,
      start: at(own(e.start)),
      end: at(own(e.end)),
      location: { displayName: e.location.displayName, locationType: 'default', uniqueIdType: 'unknown' },
      locations: e.location.displayName ? [{ displayName: e.location.displayName }] : [],
      recurrence: e.recurrence ? renderRecurrence(e.recurrence) : null,
      attendees: e.attendees,
      organizer: e.organizer,
    };
    if (options.select?.includes('cancelledOccurrences')) {
      const r = seriesRecurrence(e);
      doc.cancelledOccurrences = r
        ? [...e.cancelled]
            .sort((a, b) => a - b)
            .map((ms) => `OID.${e.id}.${zonedDate(new Date(ms), r.timeZone)}`)
        : [];
    }
    if (options.expandExceptions) {
      doc.exceptionOccurrences =
        e.type === 'seriesMaster'
          ? [...e.exceptions.values()]
              .sort((a, b) => a.originalStart - b.originalStart)
              .map((x) =>
                this.renderInstance(
                  {
                    id: x.id,
                    event: e,
                    exception: x,
                    originalStart: x.originalStart,
                    start: e.isAllDay ? x.start : Date.parse(x.start),
                    end: e.isAllDay ? x.end : Date.parse(x.end),
                    version: '',
                  },
                  zone,
                  {},
                ),
              )
          : [];
    }
    if (options.extendedIds) {
      const wanted = options.extendedIds.map((id) => id.toLowerCase());
      const props = e.extendedProperties.filter((p) => wanted.includes(p.id.toLowerCase()));
      if (props.length > 0) {
        doc.singleValueExtendedProperties = props;
      }
    }
    return select(doc, options.select);
  }

  private renderInstance(i: Instance, zone: string, options: RenderOptions): Record<string, unknown> {
    const e = i.event;
    if (i.originalStart === undefined) {
      return this.render(e, zone, options);
    }
    const iana = zoneOf(zone) ?? 'UTC';
    const at = (v: number | string) =>
      typeof v === 'string'
        ? { dateTime: `${v}T00:00:00.0000000`, timeZone: zone }
        : { dateTime: `${utcToZoned(new Date(v), iana)}.0000000`, timeZone: zone };
    const x = i.exception;
    const content = (key: (typeof CONTENT_KEYS)[number]) => (x && x[key] !== undefined ? x[key] : e[key]);
    const changeKey = x ? x.changeKey : e.changeKey;
    const location = content('location') as Content['location'];
    const body = content('body') as Content['body'];
    const doc: Record<string, unknown> = {
      '@odata.etag': `W/"${changeKey}"`,
      id: i.id,
      createdDateTime: e.createdDateTime,
      lastModifiedDateTime: x ? x.lastModifiedDateTime : e.lastModifiedDateTime,
      changeKey,
      categories: [],
      transactionId: null,
      originalStartTimeZone: e.start.timeZone,
      originalEndTimeZone: e.end.timeZone,
      iCalUId: e.iCalUId,
      reminderMinutesBeforeStart: content('reminderMinutesBeforeStart'),
      isReminderOn: content('isReminderOn'),
      subject: content('subject'),
      bodyPreview: body.content.slice(0, 255),
      sensitivity: e.sensitivity,
      showAs: e.showAs,
      isAllDay: e.isAllDay,
      isCancelled: false,
      isDraft: false,
      isOrganizer: e.isOrganizer,
      responseStatus: {
        response: e.isOrganizer ? 'organizer' : 'notResponded',
        time: '0001-01-01T00:00:00Z',
      },
      originalStart: iso(i.originalStart),
      seriesMasterId: e.id,
      type: x ? 'exception' : 'occurrence',
      body,
      start: at(i.start),
      end: at(i.end),
      location: { displayName: location.displayName, locationType: 'default', uniqueIdType: 'unknown' },
      recurrence: null,
      attendees: e.attendees,
      organizer: e.organizer,
    };
    return select(doc, options.select);
  }

  // ---- Graph routes -------------------------------------------------------------------

  /**
   * The calendar routes; undefined when the path is not one of them. A request for another
   * than the default calendar (`/me/calendars/{id}/…`) comes here as `/me/calendar/…`.
   */
  route(
    method: string,
    path: string,
    url: URL,
    body: Record<string, unknown>,
    prefer: string,
    base: string,
  ): GraphAnswer | undefined {
    const zone = /outlook\.timezone="([^"]+)"/.exec(prefer)?.[1] ?? 'UTC';
    if (!zoneOf(zone)) {
      return graphError(400, 'TimeZoneNotSupportedException', `A valid TimeZone value must be specified.`);
    }
    const options = renderOptions(url);
    const notFound = () =>
      graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    if (path === '/me/calendarView/delta' || path === '/me/calendar/calendarView/delta') {
      return method === 'GET' ? this.delta(url, zone, prefer, base) : methodNotAllowed(method, path);
    }
    if (path === '/me/events' || path === '/me/calendar/events') {
      if (method === 'POST') {
        const created = this.create(body);
        if ('error' in created) {
          return graphError(400, 'ErrorInvalidRequest', created.error);
        }
        return { status: 201, body: this.render(created, zone, options) };
      }
      if (method === 'GET') {
        return this.list(url, zone, options, base);
      }
      return methodNotAllowed(method, path);
    }
    const m = /^\/me\/(?:calendar\/)?events\/([^/]+)(\/instances)?$/.exec(path);
    if (!m) {
      return undefined;
    }
    const id = decodeURIComponent(m[1]!);
    if (m[2]) {
      if (method !== 'GET') {
        return methodNotAllowed(method, path);
      }
      const e = this.events.get(id);
      if (!e) {
        return notFound();
      }
      const from = Date.parse(url.searchParams.get('startDateTime') ?? '');
      const to = Date.parse(url.searchParams.get('endDateTime') ?? '');
      if (!Number.isFinite(from) || !Number.isFinite(to)) {
        return graphError(
          400,
          'ErrorInvalidParameter',
          'This request requires a startDateTime and an endDateTime.',
        );
      }
      const value =
        e.type === 'seriesMaster'
          ? this.expand(e, from, to).map((i) => this.renderInstance(i, zone, options))
          : [];
      return { status: 200, body: { value } };
    }
    if (method === 'GET') {
      const direct = this.events.get(id);
      if (direct) {
        return { status: 200, body: this.render(direct, zone, options) };
      }
      const found = this.locate(id);
      if (!found?.instance) {
        return notFound();
      }
      const i = this.expand(
        found.event,
        found.instance.originalStart,
        found.instance.originalStart + 1,
        true,
      )[0];
      return i ? { status: 200, body: this.renderInstance(i, zone, options) } : notFound();
    }
    if (method === 'PATCH') {
      const updated = this.update(id, body);
      if (!updated) {
        return notFound();
      }
      if ('error' in updated) {
        return graphError(400, 'ErrorInvalidRequest', updated.error);
      }
      if ('type' in updated) {
        return { status: 200, body: this.render(updated, zone, options) };
      }
      const found = this.locate(id);
      const i = found?.instance
        ? this.expand(found.event, found.instance.originalStart, found.instance.originalStart + 1, true)[0]
        : undefined;
      return i ? { status: 200, body: this.renderInstance(i, zone, options) } : notFound();
    }
    if (method === 'DELETE') {
      return this.remove(id) ? { status: 204 } : notFound();
    }
    return methodNotAllowed(method, path);
  }

  private eventsPath(): string {
    return this.info.isDefault ? '/me/events' : `/me/calendars/${encodeURIComponent(this.info.id)}/events`;
  }

  /** GET /me/events: singles and series masters (no occurrences), $top/$skip paging. */
  private list(url: URL, zone: string, options: RenderOptions, base: string): GraphAnswer {
    const top = Math.min(1000, Number(url.searchParams.get('$top') ?? 10) || 10);
    const skip = Number(url.searchParams.get('$skip') ?? 0) || 0;
    const all = [...this.events.values()];
    const next = skip + top < all.length;
    return {
      status: 200,
      body: {
        value: all.slice(skip, skip + top).map((e) => this.render(e, zone, options)),
        ...(next
          ? { '@odata.nextLink': `${base}/v1.0${this.eventsPath()}?$top=${top}&$skip=${skip + top}` }
          : {}),
      },
    };
  }

  /**
   * calendarView/delta: the first round lists every instance in the window; a deltaLink
   * round lists instances added or changed since, and `@removed` for those gone from the
   * window (deleted, cancelled, or moved out of it).
   */
  private delta(url: URL, zone: string, prefer: string, base: string): GraphAnswer {
    const gone = () => expiredToken(this.expired);
    const pageSize = Math.max(1, Number(/odata\.maxpagesize=(\d+)/.exec(prefer)?.[1] ?? DEFAULT_PAGE));
    // A calendar's own view is tracked at its own path (learn.microsoft.com/graph/delta-query-events:
    // "specific to a calendar"); the default calendar's at /me/calendarView/delta.
    const path = this.info.isDefault
      ? `${base}/v1.0/me/calendarView/delta`
      : `${base}/v1.0/me/calendars/${encodeURIComponent(this.info.id)}/calendarView/delta`;
    const skip = url.searchParams.get('$skiptoken');
    if (skip) {
      const [roundId, offsetText] = skip.split('~');
      const round = this.rounds.get(roundId ?? '');
      if (!round || round.epoch !== this.epoch) {
        return gone();
      }
      return this.page(round, roundId!, Number(offsetText ?? 0), pageSize, path);
    }
    const deltaToken = url.searchParams.get('$deltatoken');
    let previous: DeltaState | undefined;
    let windowStart: number;
    let windowEnd: number;
    if (deltaToken) {
      previous = this.tokens.get(deltaToken);
      if (!previous || previous.epoch !== this.epoch) {
        return gone();
      }
      windowStart = previous.windowStart;
      windowEnd = previous.windowEnd;
    } else {
      windowStart = Date.parse(url.searchParams.get('startDateTime') ?? '');
      windowEnd = Date.parse(url.searchParams.get('endDateTime') ?? '');
      if (!Number.isFinite(windowStart) || !Number.isFinite(windowEnd) || windowEnd <= windowStart) {
        return graphError(
          400,
          'ErrorInvalidParameter',
          'This request requires a startDateTime and an endDateTime.',
        );
      }
    }
    const now = new Map<string, Instance>();
    for (const e of this.events.values()) {
      for (const i of this.expand(e, windowStart, windowEnd)) {
        now.set(i.id, i);
      }
    }
    const items: Record<string, unknown>[] = [];
    for (const [id, i] of now) {
      if (previous?.seen.get(id) !== i.version) {
        // Delta items name their type (learn.microsoft.com/graph/delta-query-events).
        items.push({ '@odata.type': '#microsoft.graph.event', ...this.renderInstance(i, zone, {}) });
      }
    }
    if (previous) {
      for (const id of previous.seen.keys()) {
        if (!now.has(id)) {
          items.push({ '@odata.type': '#microsoft.graph.event', id, '@removed': { reason: 'deleted' } });
        }
      }
    }
    const token = randomUUID();
    forgetOldest(this.tokens);
    forgetOldest(this.rounds);
    this.tokens.set(token, {
      epoch: this.epoch,
      windowStart,
      windowEnd,
      seen: new Map([...now].map(([id, i]) => [id, i.version])),
    });
    const roundId = randomUUID();
    const round = { epoch: this.epoch, items, deltaToken: token };
    this.rounds.set(roundId, round);
    return this.page(round, roundId, 0, pageSize, path);
  }

  private page(round: Round, roundId: string, offset: number, size: number, path: string): GraphAnswer {
    const more = offset + size < round.items.length;
    return {
      status: 200,
      body: {
        '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Collection(event)',
        ...(more
          ? { '@odata.nextLink': `${path}?$skiptoken=${roundId}~${offset + size}` }
          : { '@odata.deltaLink': `${path}?$deltatoken=${round.deltaToken}` }),
        value: round.items.slice(offset, offset + size),
      },
    };
  }
}

interface RenderOptions {
  select?: string[];
  expandExceptions?: boolean;
  extendedIds?: string[];
}

function renderOptions(url: URL): RenderOptions {
  const select = url.searchParams.get('$select');
  const expand = url.searchParams.get('$expand') ?? '';
  const extended = /singleValueExtendedProperties\(\$filter=([^)]*)\)/.exec(expand)?.[1];
  return {
    ...(select ? { select: select.split(',').map((s) => s.trim()) } : {}),
    ...(/(^|,)\s*exceptionOccurrences/.test(expand) ? { expandExceptions: true } : {}),
    ...(extended ? { extendedIds: [...extended.matchAll(/id eq '([^']+)'/gi)].map((x) => x[1]!) } : {}),
  };
}

const ALWAYS = ['@odata.etag', 'id', 'exceptionOccurrences', 'singleValueExtendedProperties'];
function select(doc: Record<string, unknown>, fields: string[] | undefined): Record<string, unknown> {
  if (!fields) {
    return doc;
  }
  return Object.fromEntries(Object.entries(doc).filter(([k]) => ALWAYS.includes(k) || fields.includes(k)));
}

function setContent(
  target: Partial<Content>,
  key: (typeof CONTENT_KEYS)[number],
  value: unknown,
): string | undefined {
  switch (key) {
    case 'subject':
      if (typeof value !== 'string') {
        return 'Invalid subject.';
      }
      target.subject = value;
      return undefined;
    case 'body': {
      const b = value as { content?: unknown; contentType?: unknown } | null;
      if (!b || typeof b !== 'object') {
        return 'Invalid body.';
      }
      target.body = {
        contentType: b.contentType === 'html' ? 'html' : 'text',
        content: textOf(b.content ?? ''),
      };
      return undefined;
    }
    case 'location': {
      const l = value as { displayName?: unknown } | null;
      target.location = { displayName: textOf(l?.displayName ?? '') };
      return undefined;
    }
    case 'isReminderOn':
      target.isReminderOn = value === true;
      return undefined;
    case 'reminderMinutesBeforeStart':
      if (typeof value !== 'number' || value < 0) {
        return 'Invalid reminderMinutesBeforeStart.';
      }
      target.reminderMinutesBeforeStart = value;
      return undefined;
  }
}

function renderRecurrence(g: GraphRecurrence): Record<string, unknown> {
  return {
    pattern: {
      type: g.pattern.type,
      interval: g.pattern.interval,
      month: g.pattern.month ?? 0,
      dayOfMonth: g.pattern.dayOfMonth ?? 0,
      daysOfWeek: (g.pattern.daysOfWeek ?? []).map((d) => d.toLowerCase()),
      firstDayOfWeek: (g.pattern.firstDayOfWeek ?? 'sunday').toLowerCase(),
      index: g.pattern.index ?? 'first',
    },
    range: {
      type: g.range.type,
      startDate: g.range.startDate,
      endDate: g.range.type === 'endDate' ? g.range.endDate : '0001-01-01',
      recurrenceTimeZone: g.range.recurrenceTimeZone ?? '',
      numberOfOccurrences: g.range.type === 'numbered' ? g.range.numberOfOccurrences : 0,
    },
  };
}

function seriesRecurrence(e: SimEvent): Recurrence | undefined {
  if (!e.recurrence) {
    return undefined;
  }
  const mapped = fromGraph(
    withKnownZone(e.recurrence),
    e.start.timeZone === CUSTOM_ZONE ? 'UTC' : e.start.timeZone,
  );
  return 'ok' in mapped ? mapped.ok : undefined;
}

const withKnownZone = (g: GraphRecurrence): GraphRecurrence =>
  g.range?.recurrenceTimeZone === CUSTOM_ZONE
    ? { ...g, range: { ...g.range, recurrenceTimeZone: 'UTC' } }
    : g;

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

function startMs(e: SimEvent): number {
  return zonedToUtc(e.start.dateTime, zoneOf(e.start.timeZone) ?? 'UTC').getTime();
}
function endMs(e: SimEvent): number {
  return zonedToUtc(e.end.dateTime, zoneOf(e.end.timeZone) ?? 'UTC').getTime();
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const compactToIso = (c: string) =>
  `${c.slice(0, 4)}-${c.slice(4, 6)}-${c.slice(6, 8)}T${c.slice(9, 11)}:${c.slice(11, 13)}:${c.slice(13, 15)}Z`;
const instanceId = (masterId: string, originalStart: number) =>
  `${masterId}.${iso(originalStart).replace(/[-:]/g, '')}`;
const newId = () => `AAMkAGevent${randomBytes(15).toString('base64url').replace(/[-_]/g, 'x')}`;
const addDays = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
const weekday = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();
const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const ymd = (y: number, m: number, d: number) =>
  `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

/** The `instance`-th of the given week days in a month, or undefined. */
function nthDay(y: number, m: number, days: readonly number[], instance: string): string | undefined {
  const matching: string[] = [];
  for (let d = 1; d <= daysInMonth(y, m); d++) {
    const date = ymd(y, m, d);
    if (days.includes(weekday(date))) {
      matching.push(date);
    }
  }
  const at = ['first', 'second', 'third', 'fourth'].indexOf(instance);
  return instance === 'last' ? matching.at(-1) : matching[at];
}

/**
 * The local dates a recurrence falls on, from its start up to `until` (inclusive), its
 * end (date or count) honoured. Months without the day of an absolute pattern are skipped.
 */
export function occurrenceDates(r: Recurrence, until: string): string[] {
  const out: string[] = [];
  const last = r.end.type === 'date' && r.end.date < until ? r.end.date : until;
  const limit = r.end.type === 'count' ? r.end.count : Infinity;
  const days = (r.daysOfWeek ?? []).map((d) => WEEKDAYS.indexOf(d)).sort((a, b) => a - b);
  const [sy, sm] = [Number(r.start.slice(0, 4)), Number(r.start.slice(5, 7))];
  const take = (date: string | undefined): boolean => {
    if (!date || date < r.start) {
      return true;
    }
    if (date > last || out.length >= limit) {
      return false;
    }
    out.push(date);
    return true;
  };
  const interval = Math.max(1, r.interval);
  for (let k = 0; k < 200_000; k++) {
    let dates: (string | undefined)[] = [];
    let periodStart: string;
    switch (r.pattern) {
      case 'daily':
        periodStart = addDays(r.start, k * interval);
        dates = [periodStart];
        break;
      case 'weekly': {
        periodStart = addDays(addDays(r.start, -weekday(r.start)), k * 7 * interval);
        const ps = periodStart;
        dates = days.map((d) => addDays(ps, d));
        break;
      }
      case 'monthly':
      case 'monthnth': {
        const months = sm - 1 + k * interval;
        const y = sy + Math.floor(months / 12);
        const m = (months % 12) + 1;
        periodStart = ymd(y, m, 1);
        if (r.pattern === 'monthly') {
          const d = r.dayOfMonth ?? Number(r.start.slice(8, 10));
          dates = [d <= daysInMonth(y, m) ? ymd(y, m, d) : undefined];
        } else {
          dates = [nthDay(y, m, days, r.instance ?? 'first')];
        }
        break;
      }
      case 'yearly':
      case 'yearnth': {
        const y = sy + k * interval;
        const m = r.month ?? sm;
        periodStart = ymd(y, 1, 1);
        if (r.pattern === 'yearly') {
          const d = r.dayOfMonth ?? Number(r.start.slice(8, 10));
          dates = [d <= daysInMonth(y, m) ? ymd(y, m, d) : undefined];
        } else {
          dates = [nthDay(y, m, days, r.instance ?? 'first')];
        }
        break;
      }
    }
    if (periodStart > last || out.length >= limit) {
      break;
    }
    for (const d of dates) {
      if (!take(d)) {
        return out;
      }
    }
  }
  return out;
}

const methodNotAllowed = (method: string, path: string) =>
  graphError(405, 'BadRequest', `Method ${method} is not supported on ${path}.`);

function forgetOldest<K, V>(map: Map<K, V>): void {
  while (map.size >= KEPT_TOKENS) {
    map.delete(map.keys().next().value as K);
  }
}
