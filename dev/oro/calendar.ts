import { isOccurrence, occurrencesBetween } from '../../shared/oro/calendar-occurrences';
import type { OroRecurrence } from '../../shared/sync/calendar/recurrence';

/**
 * Oro calendar events over the older REST API (`/api/rest/latest/calendarevents`, plain
 * JSON, bare arrays, integer ids, dates with +00:00) and the calendars lookup over JSON:API,
 * as notes/oro.md describes them. Each user has one default calendar. Series are stored
 * as a master row with `recurrence`; exceptions are rows with `recurringEventId` and
 * `originalStart` (`isCancelled` for a removed occurrence).
 *
 * Choices where Oro's documentation is thin (documented so the adapter can rely on them):
 * - A user's calendar: JSON:API `GET /api/calendars?filter[owner]={userId}` (Oro keeps one
 *   calendar per user and organization: the default one); `GET
 *   /api/rest/latest/calendars/default` answers the integration user's own.
 * - Filters on the REST listing are written the way Oro's REST controllers parse them: the
 *   operator replaces `=` (`updatedAt>2026-05-01T10:00:00Z`); `recurringEventId={id}` lists a
 *   series' exception rows; without `start`/`end` rows are paged by `page` + `limit`
 *   (default 10) in no particular order; with both, every occurrence overlapping the range,
 *   unpaged, cancelled ones hidden.
 * - Changing a series' recurrence removes its exceptions (they no longer fit the pattern).
 * - A write without `notifyAttendees=none` (body field for POST/PUT, query for DELETE) on
 *   an event with attendees is counted as the notification Oro would have sent.
 */
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

export type OroEventInput = Partial<
  Omit<OroCalendarEventRecord, 'id' | 'calendar' | 'createdAt' | 'updatedAt'>
>;

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
  editEvent(id: number, fields: OroEventInput): OroCalendarEventRecord;
  /** Deletes a row; a master takes its exceptions with it. */
  deleteEvent(id: number): void;
  /** Attendee notifications Oro would have sent for API writes. */
  notifications(): number;
}

export interface CalendarRequest {
  method: string;
  url: URL;
  body: string;
  contentType: string | undefined;
  /** Sends (or, under an apply-then-drop fault, drops) the answer. */
  reply: (status: number, payload?: unknown, type?: string) => void;
}

const REST = '/api/rest/latest';
const JSON_TYPE = 'application/json';
const JSON_API = 'application/vnd.api+json';
const TYPES = ['daily', 'weekly', 'monthly', 'monthnth', 'yearly', 'yearnth'];
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const FIELDS = new Set([
  'calendar',
  'uid',
  'title',
  'description',
  'start',
  'end',
  'allDay',
  'reminders',
  'attendees',
  'recurrence',
  'recurringEventId',
  'originalStart',
  'isCancelled',
  'organizerEmail',
  'organizerDisplayName',
  'notifyAttendees',
  'backgroundColor',
]);
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Oro's REST dates: whole seconds, +00:00. */
export const oroDate = (ms: number): string =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', '+00:00');

const validZone = (zone: unknown): boolean => {
  if (typeof zone !== 'string' || !zone) {
    return false;
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

type Errors = Record<string, unknown>;

export function createOroCalendar(clock: () => number, integrationUserId = '1') {
  const calendars = new Map<string, number>();
  const owners = new Map<number, string>();
  const users = new Map<string, { email: string; name: string }>();
  const rows = new Map<number, OroCalendarEventRecord>();
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
      createdAt: stamp,
      updatedAt: stamp,
    };
    rows.set(row.id, row);
    return row;
  }

  function update(id: number, fields: OroEventInput): OroCalendarEventRecord {
    const row = rows.get(id);
    if (!row) {
      throw new Error(`no calendar event ${id}`);
    }
    const next: OroCalendarEventRecord = { ...row };
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined || k === 'uid') {
        continue;
      }
      (next as unknown as Record<string, unknown>)[k] =
        (k === 'start' || k === 'end' || k === 'originalStart') && typeof v === 'string' ? normalize(v) : v;
    }
    next.updatedAt = oroDate(clock());
    rows.set(id, next);
    if (
      'recurrence' in fields &&
      JSON.stringify(fields.recurrence ?? null) !== JSON.stringify(row.recurrence)
    ) {
      for (const e of exceptionsOf(id)) {
        rows.delete(e.id);
      }
    }
    return next;
  }

  function remove(id: number): boolean {
    if (!rows.delete(id)) {
      return false;
    }
    for (const e of exceptionsOf(id)) {
      rows.delete(e.id);
    }
    return true;
  }

  /** The REST representation, as Oro's GET answers it. */
  function view(r: OroCalendarEventRecord) {
    const owner = userOf(owners.get(r.calendar) ?? '');
    return {
      id: r.id,
      calendar: r.calendar,
      calendarAlias: 'user',
      uid: r.uid,
      title: r.title,
      description: r.description,
      start: r.start,
      end: r.end,
      allDay: r.allDay,
      backgroundColor: null,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      editable: true,
      removable: true,
      notifiable: r.attendees.length > 0,
      reminders: r.reminders,
      attendees: r.attendees,
      recurrence: r.recurrence ? { id: r.id, ...r.recurrence } : null,
      recurringEventId: r.recurringEventId,
      originalStart: r.originalStart,
      isCancelled: r.isCancelled,
      isOrganizer: r.organizerEmail.toLowerCase() === owner.email.toLowerCase(),
      organizerEmail: r.organizerEmail,
      organizerDisplayName: r.organizerDisplayName,
      organizerUserId:
        r.organizerEmail.toLowerCase() === owner.email.toLowerCase() ? Number(owners.get(r.calendar)) : null,
    };
  }
  const organizerView = (r: OroCalendarEventRecord) => {
    const v = view(r);
    return {
      uid: v.uid,
      isOrganizer: v.isOrganizer,
      organizerEmail: v.organizerEmail,
      organizerDisplayName: v.organizerDisplayName,
      organizerUserId: v.organizerUserId,
    };
  };

  /** Oro's filters: `key=value` or the operator in place of `=`; PHP decoding (`+` is a space). */
  function filters(url: URL): { key: string; op: string; value: string }[] {
    return url.search
      .slice(1)
      .split('&')
      .filter(Boolean)
      .flatMap((part) => {
        const m = /^([\w.[\]-]+)(<>|<=|>=|<|>|=)(.*)$/.exec(decodeURIComponent(part.replace(/\+/g, ' ')));
        return m ? [{ key: m[1]!, op: m[2]!, value: m[3]! }] : [];
      });
  }

  const formError = (reply: CalendarRequest['reply'], children: Errors) =>
    reply(400, { code: 400, message: 'Validation Failed', errors: { children } }, JSON_TYPE);
  const notFound = (reply: CalendarRequest['reply']) =>
    reply(404, { code: 404, message: 'Not Found' }, JSON_TYPE);

  function validateRecurrence(r: unknown): Errors {
    const errors: Errors = {};
    const bad = (field: string, message: string) => (errors[field] = { errors: [message] });
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      bad('recurrenceType', 'This value should not be blank.');
      return errors;
    }
    const v = r as Record<string, unknown>;
    const type = v.recurrenceType;
    if (!TYPES.includes(type as string)) {
      bad('recurrenceType', 'This value is not valid.');
    }
    const yearly = type === 'yearly' || type === 'yearnth';
    if (!Number.isInteger(v.interval) || (v.interval as number) < 1) {
      bad('interval', 'This value should be 1 or more.');
    } else if (yearly && (v.interval as number) % 12 !== 0) {
      bad('interval', 'This value should be a multiple of 12.');
    }
    const days = v.dayOfWeek;
    const needsDays = type === 'weekly' || type === 'monthnth' || type === 'yearnth';
    if (needsDays && (!Array.isArray(days) || days.length === 0)) {
      bad('dayOfWeek', 'This value should not be blank.');
    }
    if (Array.isArray(days) && days.some((d) => !WEEKDAYS.includes(String(d)))) {
      bad('dayOfWeek', 'This value is not valid.');
    }
    if ((type === 'monthnth' || type === 'yearnth') && ![1, 2, 3, 4, 5].includes(v.instance as number)) {
      bad('instance', 'This value is not valid.');
    }
    if (type === 'monthly' || type === 'yearly') {
      if (!Number.isInteger(v.dayOfMonth) || (v.dayOfMonth as number) < 1 || (v.dayOfMonth as number) > 31) {
        bad('dayOfMonth', 'This value should be between 1 and 31.');
      }
    }
    if (
      yearly &&
      (!Number.isInteger(v.monthOfYear) || (v.monthOfYear as number) < 1 || (v.monthOfYear as number) > 12)
    ) {
      bad('monthOfYear', 'This value should be between 1 and 12.');
    }
    if (typeof v.startTime !== 'string' || !DATE_TIME.test(v.startTime)) {
      bad('startTime', 'This value is not a valid datetime.');
    }
    if (
      v.endTime !== undefined &&
      v.endTime !== null &&
      (typeof v.endTime !== 'string' || !DATE_TIME.test(v.endTime))
    ) {
      bad('endTime', 'This value is not a valid datetime.');
    }
    if (
      v.occurrences !== undefined &&
      v.occurrences !== null &&
      (!Number.isInteger(v.occurrences) || (v.occurrences as number) < 1)
    ) {
      bad('occurrences', 'This value should be 1 or more.');
    }
    if (!validZone(v.timeZone)) {
      bad('timeZone', 'This value is not a valid timezone.');
    }
    for (const k of Object.keys(v)) {
      if (
        ![
          'id',
          'recurrenceType',
          'interval',
          'instance',
          'dayOfWeek',
          'dayOfMonth',
          'monthOfYear',
          'startTime',
          'endTime',
          'occurrences',
          'timeZone',
        ].includes(k)
      ) {
        bad(k, 'This form should not contain extra fields.');
      }
    }
    return errors;
  }

  /** The fields of a POST/PUT body after Oro's form validation, or the form errors. */
  function parseBody(
    doc: Record<string, unknown>,
    calendar: number,
    existing: OroCalendarEventRecord | undefined,
  ): { fields: OroEventInput } | { errors: Errors } {
    const errors: Errors = {};
    const bad = (field: string, message: string) => (errors[field] = { errors: [message] });
    const fields: OroEventInput = {};
    const creating = !existing;
    for (const k of Object.keys(doc)) {
      if (!FIELDS.has(k)) {
        bad(k, 'This form should not contain extra fields.');
      }
    }
    if ('title' in doc || creating) {
      if (typeof doc.title !== 'string' || !doc.title.trim()) {
        bad('title', 'This value should not be blank.');
      } else {
        fields.title = doc.title;
      }
    }
    if ('description' in doc) {
      if (doc.description !== null && typeof doc.description !== 'string') {
        bad('description', 'This value is not valid.');
      } else {
        fields.description = doc.description;
      }
    }
    for (const k of ['start', 'end'] as const) {
      if (k in doc || creating) {
        const v = doc[k];
        if (typeof v !== 'string' || !DATE_TIME.test(v)) {
          bad(k, 'This value is not a valid datetime.');
        } else {
          fields[k] = v;
        }
      }
    }
    const start = fields.start ?? existing?.start;
    const end = fields.end ?? existing?.end;
    if (start && end && Date.parse(end) < Date.parse(start)) {
      bad('end', 'End date should be later than start date.');
    }
    if ('allDay' in doc) {
      if (typeof doc.allDay !== 'boolean') {
        bad('allDay', 'This value is not valid.');
      } else {
        fields.allDay = doc.allDay;
      }
    }
    if ('reminders' in doc) {
      const rs = doc.reminders;
      const ok =
        Array.isArray(rs) &&
        rs.every(
          (r: { method?: unknown; interval?: { number?: unknown; unit?: unknown } }) =>
            typeof r === 'object' &&
            r !== null &&
            ['email', 'web_socket'].includes(String(r.method)) &&
            Number.isInteger(r.interval?.number) &&
            (r.interval?.number as number) >= 0 &&
            ['M', 'H', 'D', 'W'].includes(String(r.interval?.unit)),
        );
      if (!ok) {
        bad('reminders', 'This value is not valid.');
      } else {
        fields.reminders = rs as OroCalendarEventRecord['reminders'];
      }
    }
    if ('attendees' in doc) {
      const as = doc.attendees;
      const ok =
        Array.isArray(as) &&
        as.every(
          (a: { email?: unknown; type?: unknown }) =>
            typeof a === 'object' &&
            a !== null &&
            typeof a.email === 'string' &&
            /^[^@\s]+@[^@\s]+$/.test(a.email) &&
            (a.type === undefined ||
              a.type === null ||
              ['organizer', 'required', 'optional'].includes(String(a.type))),
        );
      if (!ok) {
        bad('attendees', 'This value is not valid.');
      } else {
        fields.attendees = (as as Record<string, unknown>[]).map((a) => ({
          displayName: typeof a.displayName === 'string' ? a.displayName : null,
          email: String(a.email),
          status: typeof a.status === 'string' ? a.status : 'none',
          type: typeof a.type === 'string' ? a.type : 'required',
        }));
      }
    }
    if ('recurrence' in doc && doc.recurrence !== null) {
      const children = validateRecurrence(doc.recurrence);
      if (Object.keys(children).length > 0) {
        errors.recurrence = { children };
      } else {
        const { id: _id, ...r } = doc.recurrence as OroRecurrence & { id?: unknown };
        fields.recurrence = r;
      }
    } else if ('recurrence' in doc) {
      fields.recurrence = null;
    }
    if ('uid' in doc) {
      const uid = doc.uid;
      if (typeof uid !== 'string' || !uid || uid.length > 36) {
        bad('uid', 'This value should have 36 characters or less.');
      } else if (existing && existing.uid !== uid) {
        bad('uid', 'This value cannot be changed.');
      } else if (!existing && [...rows.values()].some((r) => r.calendar === calendar && r.uid === uid)) {
        bad('uid', 'This value is already used.');
      } else {
        fields.uid = uid;
      }
    }
    if ('recurringEventId' in doc && doc.recurringEventId !== null) {
      const series = rows.get(Number(doc.recurringEventId));
      if (!series?.recurrence || series.calendar !== calendar) {
        bad('recurringEventId', 'This value is not valid.');
      } else {
        fields.recurringEventId = series.id;
      }
    }
    if ('originalStart' in doc) {
      if (typeof doc.originalStart !== 'string' || !DATE_TIME.test(doc.originalStart)) {
        bad('originalStart', 'This value is not a valid datetime.');
      } else {
        fields.originalStart = doc.originalStart;
      }
    }
    const seriesId = fields.recurringEventId ?? existing?.recurringEventId;
    const originalStart = fields.originalStart ?? existing?.originalStart;
    if (seriesId && !errors.recurringEventId && !errors.originalStart) {
      const series = rows.get(seriesId)!;
      if (
        !originalStart ||
        !isOccurrence({ ...series, recurrence: series.recurrence! }, Date.parse(originalStart))
      ) {
        bad('originalStart', 'The series has no occurrence at this time.');
      } else if (
        creating &&
        exceptionsOf(seriesId).some((e) => Date.parse(e.originalStart ?? '') === Date.parse(originalStart))
      ) {
        bad('originalStart', 'This occurrence already has an exception.');
      }
    }
    if ('isCancelled' in doc) {
      if (typeof doc.isCancelled !== 'boolean') {
        bad('isCancelled', 'This value is not valid.');
      } else {
        fields.isCancelled = doc.isCancelled;
      }
    }
    for (const k of ['organizerEmail', 'organizerDisplayName'] as const) {
      if (k in doc) {
        if (typeof doc[k] !== 'string') {
          bad(k, 'This value is not valid.');
        } else {
          fields[k] = doc[k];
        }
      }
    }
    if (
      'notifyAttendees' in doc &&
      !['all', 'added_or_deleted', 'none'].includes(String(doc.notifyAttendees))
    ) {
      bad('notifyAttendees', 'This value is not valid.');
    }
    return Object.keys(errors).length > 0 ? { errors } : { fields };
  }

  function list(url: URL, reply: CalendarRequest['reply']): void {
    const fs = filters(url);
    const one = (key: string) => fs.find((f) => f.key === key && f.op === '=')?.value;
    const calendar = Number(one('calendar'));
    if (!calendar || !owners.has(calendar)) {
      return formError(reply, { calendar: { errors: ['This value is not valid.'] } });
    }
    let items = [...rows.values()].filter((r) => r.calendar === calendar);
    const start = one('start');
    const end = one('end');
    if (start !== undefined || end !== undefined) {
      const from = Date.parse(start ?? '');
      const to = Date.parse(end ?? '');
      if (Number.isNaN(from) || Number.isNaN(to)) {
        return formError(reply, { start: { errors: ['Both start and end are required dates.'] } });
      }
      const out: ReturnType<typeof view>[] = [];
      for (const r of items) {
        if (r.recurringEventId) {
          if (!r.isCancelled && Date.parse(r.start) < to && Date.parse(r.end) > from) {
            out.push(view(r));
          }
        } else if (r.recurrence) {
          const taken = new Set(exceptionsOf(r.id).map((e) => Date.parse(e.originalStart ?? '')));
          for (const o of occurrencesBetween({ ...r, recurrence: r.recurrence }, from, to)) {
            if (!taken.has(o.start)) {
              out.push({ ...view(r), start: oroDate(o.start), end: oroDate(o.end) });
            }
          }
        } else if (Date.parse(r.start) < to && Math.max(Date.parse(r.end), Date.parse(r.start) + 1) > from) {
          out.push(view(r));
        }
      }
      return reply(200, out, JSON_TYPE);
    }
    for (const f of fs) {
      if (f.key === 'calendar' || f.key === 'page' || f.key === 'limit') {
        continue;
      }
      if (f.key === 'recurringEventId' && f.op === '=') {
        items = items.filter((r) => r.recurringEventId === Number(f.value));
      } else if (f.key === 'updatedAt' || f.key === 'createdAt') {
        const at = Date.parse(f.value);
        if (Number.isNaN(at)) {
          return formError(reply, { [f.key]: { errors: ['This value is not a valid datetime.'] } });
        }
        const cmp = (r: OroCalendarEventRecord) => Date.parse(r[f.key as 'updatedAt' | 'createdAt']) - at;
        const test = {
          '>': (d: number) => d > 0,
          '>=': (d: number) => d >= 0,
          '<': (d: number) => d < 0,
          '<=': (d: number) => d <= 0,
          '=': (d: number) => d === 0,
          '<>': (d: number) => d !== 0,
        }[f.op]!;
        items = items.filter((r) => test(cmp(r)));
      } else {
        return formError(reply, { [f.key]: { errors: ['This filter is not supported.'] } });
      }
    }
    // No sort order is promised; a scrambled but stable order keeps pages consistent.
    items.sort((a, b) => scramble(a.id) - scramble(b.id));
    const page = Math.max(1, Number(one('page') ?? 1) || 1);
    const limit = Math.max(1, Number(one('limit') ?? 10) || 10);
    reply(200, items.slice((page - 1) * limit, page * limit).map(view), JSON_TYPE);
  }

  function handle(req: CalendarRequest): boolean {
    const { method, url, reply } = req;
    const path = url.pathname;
    if (path === '/api/calendars' && method === 'GET') {
      const owner = url.searchParams.get('filter[owner]');
      for (const key of url.searchParams.keys()) {
        if (key.startsWith('filter[') && key !== 'filter[owner]') {
          reply(
            400,
            {
              errors: [
                {
                  status: '400',
                  title: 'filter constraint',
                  detail: 'The filter is not supported.',
                  source: { parameter: key },
                },
              ],
            },
            JSON_API,
          );
          return true;
        }
      }
      const data = [...calendars.entries()]
        .filter(([userId]) => !owner || userId === owner)
        .map(([userId, id]) => ({
          type: 'calendars',
          id: String(id),
          attributes: { name: userOf(userId).name },
          relationships: { owner: { data: { type: 'users', id: userId } } },
        }));
      reply(200, { data }, JSON_API);
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
      list(url, reply);
      return true;
    }
    if (method === 'GET') {
      const row = rows.get(id!);
      if (row) {
        reply(200, view(row), JSON_TYPE);
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
      const calendar = existing?.calendar ?? Number(body.calendar);
      if (!existing && !owners.has(calendar)) {
        formError(reply, { calendar: { errors: ['This value is not valid.'] } });
        return true;
      }
      if (existing && 'calendar' in body && Number(body.calendar) !== existing.calendar) {
        formError(reply, { calendar: { errors: ['This value cannot be changed.'] } });
        return true;
      }
      const parsed = parseBody(body, calendar, existing);
      if ('errors' in parsed) {
        formError(reply, parsed.errors);
        return true;
      }
      const quiet = body.notifyAttendees === 'none';
      const row = existing ? update(existing.id, parsed.fields) : insert(calendar, parsed.fields);
      if (!quiet && (hasAttendees(row) || hasAttendees(existing))) {
        notified++;
      }
      if (existing) {
        reply(200, organizerView(row), JSON_TYPE);
      } else {
        reply(201, { id: row.id, ...organizerView(row) }, JSON_TYPE);
      }
      return true;
    }
    reply(405, { code: 405, message: `${method} is not allowed on ${path}.` }, JSON_TYPE);
    return true;
  }

  const api: OroCalendarSimulator = {
    defaultCalendar: calendarOf,
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
    editEvent: (eventId, fields) => structuredClone(update(eventId, fields)),
    deleteEvent: (eventId) => {
      remove(eventId);
    },
    notifications: () => notified,
  };
  return { api, handle };
}

const scramble = (id: number) => Math.imul(id, 2654435761) >>> 0;
