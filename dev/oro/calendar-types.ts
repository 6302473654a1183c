import type { OroRecurrence } from '../../shared/sync/calendar/recurrence';
import type { CalendarTask } from './calendar-list';

/* The Oro calendar simulator's rows, its test-facing API and options (calendar.ts). */

/** One event row as Oro stores it (a single, a series master or an exception). */
export interface OroCalendarEventRecord {
  id: number;
  calendar: number;
  uid: string;
  title: string;
  description: string | null;
  start: string;
  end: string;
  allDay: boolean;
  reminders: { method: string; interval: { number: number; unit: string } }[];
  attendees: { displayName: string | null; email: string; status: string | null; type: string | null }[];
  recurrence: OroRecurrence | null;
  recurringEventId: number | null;
  originalStart: string | null;
  isCancelled: boolean;
  organizerEmail: string;
  organizerDisplayName: string;
  createdAt: string;
  updatedAt: string;
}

/** `createdAt` is a field of Oro's form: a client may set it (BasicCrudTest does). */
export type OroEventInput = Partial<Omit<OroCalendarEventRecord, 'id' | 'calendar' | 'updatedAt'>>;

export interface OroCalendarSimulator {
  /** The user's default calendar id (created on first use). */
  defaultCalendar(userId: string): number;
  setUser(userId: string, user: { email: string; name: string }): void;
  /** Raw rows (masters, singles and exceptions) of a user's calendar, or of all. */
  events(userId?: string): OroCalendarEventRecord[];
  event(id: number): OroCalendarEventRecord | undefined;
  createEvent(userId: string, fields: OroEventInput): OroCalendarEventRecord;
  /** An exception row of a series: moved/changed, or `isCancelled`. */
  createException(
    seriesId: number,
    fields: OroEventInput & { originalStart: string },
  ): OroCalendarEventRecord;
  /**
   * A user's edit in Oro's UI: a new pattern drops the exceptions. `keepExceptions`: an
   * API client's PUT without updateExceptions, which leaves them (orphans, when their
   * occurrence is gone).
   */
  editEvent(id: number, fields: OroEventInput, how?: { keepExceptions?: boolean }): OroCalendarEventRecord;
  /** Deletes a row; a master takes its exceptions with it. */
  deleteEvent(id: number): void;
  /** Attendee notifications Oro would have sent for API writes. */
  notifications(): number;
  /**
   * The user hides (or shows) their own calendar in Oro's calendar view: its
   * CalendarProperty `visible` flag, which a start/end listing honours.
   */
  setCalendarVisible(userId: string, visible: boolean): void;
}

export interface CalendarRequest {
  method: string;
  url: URL;
  body: string;
  contentType: string | undefined;
  /** Sends (or, under an apply-then-drop fault, drops) the answer. */
  reply: (status: number, payload?: unknown, type?: string) => void;
}

export interface OroCalendarOptions {
  /** The calling (integration) user: whose calendar `calendars/default` answers, whose tasks the listing mixes in. */
  integrationUserId?: string;
  /** Play an Oro instance that exposes `Calendar` in its JSON:API (stock Oro does not). */
  calendarsJsonApi?: boolean;
  /** Tasks of a user (the task provider lists the calling user's). */
  tasksOf?: (userId: string) => CalendarTask[];
  /** A row was created or updated, by the API or a test (Oro's webhooks, dev/oro/webhooks.ts). */
  onChange?: (event: 'created' | 'updated', row: OroCalendarEventRecord, ownerId: string) => void;
}
