import { randomBytes } from 'node:crypto';
import type { SimAccount } from './accounts';
import { EXPIRED_TOKEN_410, type ExpiredTokenAnswer } from './respond';
import type { GraphAnswer } from './todo';
import { CalendarDelta } from './calendar-delta';
import { applyInput, patchOccurrence } from './calendar-input';
import { MailLog } from './calendar-mail';
import {
  compactToIso,
  instanceId,
  newId,
  type CalendarChange,
  type Located,
  type SentMessage,
  type SimCalendarInfo,
  type SimEvent,
  type SimException,
} from './calendar-model';
import { expand } from './calendar-recurrence';
import { renderEvent, type RenderOptions } from './calendar-render';
import { routeCalendar } from './calendar-routes';

/**
 * One mailbox's calendar as Exchange keeps it: single events, series masters with a
 * patterned recurrence expanded in the series' own time zone (so local times hold across
 * DST), exceptions (an occurrence patched) and cancelled occurrences (an occurrence
 * deleted), calendarView/delta over a window, and the mail Exchange would send for each
 * change (invitations, updates, cancellations), so tests can prove the sync sends none
 * the user did not cause.
 */

export {
  CUSTOM_ZONE,
  type CalendarChange,
  type SentKind,
  type SentMessage,
  type SimAttendee,
  type SimCalendarInfo,
  type SimEvent,
  type SimException,
} from './calendar-model';
export { occurrenceDates } from './calendar-recurrence';

export class CalendarStore {
  readonly info: SimCalendarInfo;
  private readonly events = new Map<string, SimEvent>();
  /** transactionId → the event its first POST made; kept after that event is deleted. */
  private readonly transactions = new Map<string, string>();
  /** Deleted events that carried a transactionId, as they were: what a repeat of it gets. */
  private readonly deletedByTransaction = new Map<string, SimEvent>();
  private readonly mail = new MailLog();
  private readonly listeners: ((change: CalendarChange) => void)[] = [];
  private readonly deltas = new CalendarDelta();
  private seq = 0;

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
    return this.mail.messages();
  }

  resetMessages(): void {
    this.mail.reset();
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
    this.deltas.expire(answer);
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
    this.mail.forget(e.id);
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
    return expand(e, Date.parse(from), Date.parse(to)).map((i) => i.id);
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
    const error = applyInput(draft, input);
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
      this.mail.send('invitation', draft, draft.attendees);
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
    const error = applyInput(e, input);
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
    this.mail.updated(before, e);
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
      this.mail.cancelled(e);
      this.emit('updated', e.id);
      return true;
    }
    this.events.delete(id);
    if (e.transactionId) {
      this.deletedByTransaction.set(e.id, e);
    }
    this.seq++;
    this.mail.cancelled(e);
    this.emit('deleted', id);
    return true;
  }

  private updateInstance(
    e: SimEvent,
    at: { originalStart: number; start: number | string; end: number | string },
    input: Record<string, unknown>,
  ): SimException | { error: string } {
    const now = new Date(this.clock()).toISOString();
    const patched = patchOccurrence(e, at, input, now);
    if ('error' in patched) {
      return patched;
    }
    const { exception, before } = patched;
    exception.seq = ++this.seq;
    exception.changeKey = randomBytes(12).toString('base64');
    exception.lastModifiedDateTime = now;
    e.exceptions.set(at.originalStart, exception);
    // Exceptions live in the master: its stamp moves too.
    this.touch(e);
    this.mail.occurrenceUpdated(e, before, exception);
    this.emit('updated', exception.id);
    return exception;
  }

  private touch(e: SimEvent): void {
    e.seq = ++this.seq;
    e.lastModifiedDateTime = new Date(this.clock()).toISOString();
    e.changeKey = randomBytes(12).toString('base64');
  }

  private emit(changeType: CalendarChange['changeType'], id: string): void {
    for (const l of [...this.listeners]) {
      l({ accountOid: this.account.oid, resource: 'events', changeType, id });
    }
  }

  /** A single or master by id, or a series' occurrence by its instance id. */
  private locate(id: string): Located | undefined {
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
    const occurrence = expand(e, at, at + 1, true).find((i) => i.originalStart === at);
    return occurrence
      ? { event: e, instance: { originalStart: at, start: occurrence.start, end: occurrence.end } }
      : undefined;
  }

  // ---- rendering and Graph routes ---------------------------------------------------

  /** Graph's event JSON; date-times in `zone` (Prefer: outlook.timezone; UTC by default). */
  render(e: SimEvent, zone: string, options: RenderOptions = {}): Record<string, unknown> {
    return renderEvent(e, zone, options);
  }

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
    return routeCalendar(
      {
        info: this.info,
        events: this.events,
        locate: (id) => this.locate(id),
        create: (input) => this.create(input),
        update: (id, input) => this.update(id, input),
        remove: (id) => this.remove(id),
        delta: (u, zone, p, b) => this.deltas.answer(u, zone, p, b, this.info, this.events.values()),
      },
      method,
      path,
      url,
      body,
      prefer,
      base,
    );
  }
}
