import { formErrorDocument, parseEventBody, type Errors } from './calendar-form';
import { listEvents, oroDate } from './calendar-list';
import { answerCalendars, eventView, writeAnswer } from './calendar-view';
import type {
  CalendarRequest,
  OroCalendarEventRecord,
  OroCalendarOptions,
  OroCalendarSimulator,
  OroEventInput,
} from './calendar-types';

export { oroDate } from './calendar-list';
export type {
  CalendarRequest,
  OroCalendarEventRecord,
  OroCalendarOptions,
  OroCalendarSimulator,
  OroEventInput,
} from './calendar-types';

/**
 * Oro calendar events over the older REST API (`/api/rest/latest/calendarevents`, plain
 * JSON, bare arrays, integer ids, dates with +00:00), as stock Oro 6.1 answers it. Each
 * user has one default calendar. Series are stored as a master row with `recurrence`;
 * exceptions are rows with `recurringEventId` and `originalStart` (`isCancelled` for a
 * removed occurrence). Sources: OroCalendarBundle `Controller/Api/Rest/*`,
 * `Provider/*CalendarProvider*`, `Tests/Functional/ControllerRestApi/*`; the form and the
 * listing live in calendar-form.ts and calendar-list.ts.
 *
 * - No calendar lookup for other users: stock Oro has `Calendar` commented out in
 *   `Resources/config/oro/api.yml`, so JSON:API `/api/calendars` answers 404 "resource not
 *   accessible exception" (oroinc/platform ApiBundle functional tests). The option
 *   `calendarsJsonApi` plays an instance that enabled it. `GET
 *   /api/rest/latest/calendars/default` answers the calling user's own
 *   (`CalendarController::getDefaultAction`).
 * - GET of one event (`UserCalendarEventNormalizer::serializeCalendarEvent`) spells the
 *   recurrence's zone `timezone`; list rows (built from the repository's prefixed
 *   columns) spell it `timeZone`. POST answers id, uid, invitation and organizer fields;
 *   PUT the same without the id (BasicCrudTest).
 * - A PUT changes a series' exceptions only with `updateExceptions: true`
 *   (`CalendarEventApiHandler::allowUpdateExceptions`); then a new pattern, start or end
 *   clears them (`UpdateExceptionManager::shouldClearExceptions`). Without it they stay,
 *   even where the new pattern has no occurrence any more. `editEvent` (a user in Oro's
 *   own UI, whose handler always allows it) clears them when the pattern changes.
 * - A write without `notifyAttendees=none` (body field for POST/PUT, query for DELETE) on
 *   an event with attendees is counted as the notification Oro would have sent.
 */
const REST = '/api/rest/latest';
const JSON_TYPE = 'application/json';

export function createOroCalendar(clock: () => number, options: OroCalendarOptions = {}) {
  const integrationUserId = options.integrationUserId ?? '1';
  const calendars = new Map<string, number>();
  const owners = new Map<number, string>();
  const users = new Map<string, { email: string; name: string }>();
  const rows = new Map<number, OroCalendarEventRecord>();
  /** Calendars whose owner hid them (CalendarProperty `visible` false). */
  const hidden = new Set<number>();
  /**
   * Row ids by uid (a uid never changes): Oro looks a uid up by its index, so a create
   * carrying one costs the same at any size (a scan of every row made a first sync O(n²)).
   */
  const byUid = new Map<string, Set<number>>();
  const drop = (id: number): boolean => {
    const row = rows.get(id);
    if (!row) {
      return false;
    }
    rows.delete(id);
    byUid.get(row.uid)?.delete(id);
    return true;
  };
  let nextCalendar = 100;
  let nextId = 1;
  let notified = 0;

  const userOf = (userId: string) =>
    users.get(userId) ?? { email: `user${userId}@oro.example`, name: `User ${userId}` };
  function calendarOf(userId: string): number {
    let id = calendars.get(userId);
    if (id === undefined) {
      id = nextCalendar++;
      calendars.set(userId, id);
      owners.set(id, userId);
    }
    return id;
  }
  const exceptionsOf = (seriesId: number) =>
    [...rows.values()].filter((r) => r.recurringEventId === seriesId);
  const hasAttendees = (r: OroCalendarEventRecord | undefined) =>
    (r?.attendees.length ?? 0) > 0 ||
    (r?.recurringEventId ? (rows.get(r.recurringEventId)?.attendees.length ?? 0) > 0 : false);
  const normalize = (value: string) => oroDate(Date.parse(value));

  function insert(calendar: number, fields: OroEventInput): OroCalendarEventRecord {
    const stamp = oroDate(clock());
    const owner = userOf(owners.get(calendar) ?? '');
    const start = fields.start ? normalize(fields.start) : stamp;
    const row: OroCalendarEventRecord = {
      id: nextId++,
      calendar,
      uid: fields.uid ?? crypto.randomUUID(),
      title: fields.title ?? 'Untitled',
      description: fields.description ?? null,
      start,
      end: fields.end ? normalize(fields.end) : start,
      allDay: fields.allDay ?? false,
      reminders: fields.reminders ?? [],
      attendees: fields.attendees ?? [],
      recurrence: fields.recurrence ?? null,
      recurringEventId: fields.recurringEventId ?? null,
      originalStart: fields.originalStart ? normalize(fields.originalStart) : null,
      isCancelled: fields.isCancelled ?? false,
      organizerEmail: fields.organizerEmail ?? owner.email,
      organizerDisplayName: fields.organizerDisplayName ?? owner.name,
      createdAt: fields.createdAt ? normalize(fields.createdAt) : stamp,
      updatedAt: stamp,
    };
    rows.set(row.id, row);
    byUid.set(row.uid, (byUid.get(row.uid) ?? new Set()).add(row.id));
    options.onChange?.('created', row, owners.get(calendar) ?? '');
    return row;
  }

  /**
   * `clear`: whether this update may drop the series' exceptions: 'pattern' (Oro's own UI)
   * when the recurrence changes; 'shape' (API with updateExceptions) when the recurrence,
   * start or end changes; 'never' (API default).
   */
  function update(
    id: number,
    fields: OroEventInput,
    clear: 'pattern' | 'shape' | 'never' = 'pattern',
  ): OroCalendarEventRecord {
    const row = rows.get(id);
    if (!row) {
      throw new Error(`no calendar event ${id}`);
    }
    const next: OroCalendarEventRecord = { ...row };
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined || k === 'uid' || k === 'createdAt') {
        continue;
      }
      (next as unknown as Record<string, unknown>)[k] =
        (k === 'start' || k === 'end' || k === 'originalStart') && typeof v === 'string' ? normalize(v) : v;
    }
    next.updatedAt = oroDate(clock());
    rows.set(id, next);
    options.onChange?.('updated', next, owners.get(next.calendar) ?? '');
    const pattern = JSON.stringify(next.recurrence) !== JSON.stringify(row.recurrence);
    const shape =
      pattern ||
      Date.parse(next.start) !== Date.parse(row.start) ||
      Date.parse(next.end) !== Date.parse(row.end);
    if ((clear === 'pattern' && pattern) || (clear === 'shape' && shape)) {
      for (const e of exceptionsOf(id)) {
        drop(e.id);
      }
    }
    return next;
  }

  function remove(id: number): boolean {
    if (!drop(id)) {
      return false;
    }
    for (const e of exceptionsOf(id)) {
      drop(e.id);
    }
    return true;
  }

  const view = (r: OroCalendarEventRecord, kind: 'get' | 'list' = 'list') => {
    const ownerId = owners.get(r.calendar) ?? '';
    return eventView(r, { email: userOf(ownerId).email, userId: Number(ownerId) }, kind);
  };
  const writeView = (r: OroCalendarEventRecord) => writeAnswer(view(r));
  const formError = (reply: CalendarRequest['reply'], children: Errors) =>
    reply(400, formErrorDocument(children), JSON_TYPE);
  const notFound = (reply: CalendarRequest['reply']) =>
    reply(404, { code: 404, message: 'Not Found' }, JSON_TYPE);

  function handle(req: CalendarRequest): boolean {
    const { method, url, reply } = req;
    const path = url.pathname;
    if (path === '/api/calendars' || path.startsWith('/api/calendars/')) {
      const enabled = options.calendarsJsonApi === true && method === 'GET' && path === '/api/calendars';
      answerCalendars(url, reply, enabled ? [...calendars.entries()] : undefined, (u) => userOf(u).name);
      return true;
    }
    if (path === `${REST}/calendars/default` && method === 'GET') {
      const id = calendarOf(integrationUserId);
      reply(
        200,
        { calendar: id, owner: Number(integrationUserId), calendarName: userOf(integrationUserId).name },
        JSON_TYPE,
      );
      return true;
    }
    const idMatch = new RegExp(`^${REST}/calendarevents/(\\d+)$`).exec(path);
    if (path !== `${REST}/calendarevents` && !idMatch) {
      return false;
    }
    const id = idMatch ? Number(idMatch[1]) : undefined;

    if (method === 'GET' && id === undefined) {
      listEvents(url, reply, {
        rows: () => [...rows.values()],
        exceptionsOf,
        view: (r) => view(r, 'list'),
        apiUserTasks: () => options.tasksOf?.(integrationUserId) ?? [],
        visible: (calendar) => !hidden.has(calendar),
      });
      return true;
    }
    if (method === 'GET') {
      const row = rows.get(id!);
      if (row) {
        reply(200, view(row, 'get'), JSON_TYPE);
      } else {
        notFound(reply);
      }
      return true;
    }
    if (method === 'DELETE' && id !== undefined) {
      const row = rows.get(id);
      if (!row) {
        notFound(reply);
        return true;
      }
      if (url.searchParams.get('notifyAttendees') !== 'none' && hasAttendees(row)) {
        notified++;
      }
      remove(id);
      reply(204);
      return true;
    }
    if ((method === 'POST' && id === undefined) || (method === 'PUT' && id !== undefined)) {
      if (!req.contentType?.includes(JSON_TYPE)) {
        reply(415, { code: 415, message: `The "Content-Type" must be "${JSON_TYPE}".` }, JSON_TYPE);
        return true;
      }
      let doc: unknown;
      try {
        doc = JSON.parse(req.body);
      } catch {
        doc = undefined;
      }
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
        formError(reply, { title: { errors: ['This value should not be blank.'] } });
        return true;
      }
      const body = doc as Record<string, unknown>;
      const existing = id !== undefined ? rows.get(id) : undefined;
      if (id !== undefined && !existing) {
        notFound(reply);
        return true;
      }
      // Without a calendar, the event lands in the caller's own (BasicCrudTest::testCheckIfCalendarIdIsValidated).
      const calendar =
        existing?.calendar ??
        (body.calendar === undefined || body.calendar === null
          ? calendarOf(integrationUserId)
          : Number(body.calendar));
      if (!existing && !owners.has(calendar)) {
        formError(reply, { calendar: { errors: ['This value is not valid.'] } });
        return true;
      }
      if (existing && 'calendar' in body && Number(body.calendar) !== existing.calendar) {
        formError(reply, { calendar: { errors: ['This value cannot be changed.'] } });
        return true;
      }
      const parsed = parseEventBody(body, calendar, existing, {
        row: (rowId) => rows.get(rowId),
        exceptionsOf,
        uidTaken: (cal, uid) =>
          [...(byUid.get(uid) ?? [])].some((rowId) => rows.get(rowId)?.calendar === cal),
      });
      if ('errors' in parsed) {
        formError(reply, parsed.errors);
        return true;
      }
      const quiet = body.notifyAttendees === 'none';
      const row = existing
        ? update(existing.id, parsed.fields, parsed.updateExceptions ? 'shape' : 'never')
        : insert(calendar, parsed.fields);
      if (!quiet && (hasAttendees(row) || hasAttendees(existing))) {
        notified++;
      }
      if (existing) {
        reply(200, writeView(row), JSON_TYPE);
      } else {
        reply(201, { id: row.id, ...writeView(row) }, JSON_TYPE);
      }
      return true;
    }
    reply(405, { code: 405, message: `${method} is not allowed on ${path}.` }, JSON_TYPE);
    return true;
  }

  const api: OroCalendarSimulator = {
    defaultCalendar: calendarOf,
    setCalendarVisible: (userId, visible) => {
      const calendar = calendarOf(userId);
      if (visible) {
        hidden.delete(calendar);
      } else {
        hidden.add(calendar);
      }
    },
    setUser: (userId, user) => {
      users.set(userId, user);
    },
    events: (userId) =>
      [...rows.values()]
        .filter((r) => userId === undefined || r.calendar === calendars.get(userId))
        .sort((a, b) => a.id - b.id)
        .map((r) => structuredClone(r)),
    event: (eventId) => {
      const row = rows.get(eventId);
      return row ? structuredClone(row) : undefined;
    },
    createEvent: (userId, fields) => structuredClone(insert(calendarOf(userId), fields)),
    createException: (seriesId, fields) => {
      const series = rows.get(seriesId);
      if (!series?.recurrence) {
        throw new Error(`no series ${seriesId}`);
      }
      return structuredClone(
        insert(series.calendar, {
          title: series.title,
          description: series.description,
          allDay: series.allDay,
          start: fields.originalStart,
          end: oroDate(Date.parse(fields.originalStart) + Date.parse(series.end) - Date.parse(series.start)),
          ...fields,
          recurringEventId: seriesId,
        }),
      );
    },
    editEvent: (eventId, fields, how) =>
      structuredClone(update(eventId, fields, how?.keepExceptions ? 'never' : 'pattern')),
    deleteEvent: (eventId) => {
      remove(eventId);
    },
    notifications: () => notified,
  };
  return { api, handle };
}
