import { isOccurrence } from '../../shared/oro/calendar-occurrences';
import type { OroRecurrence } from '../../shared/sync/calendar/recurrence';
import type { OroCalendarEventRecord, OroEventInput } from './calendar';

/**
 * Oro's calendar event API form (OroCalendarBundle `Form/Type/CalendarEventApiType.php`):
 * which fields a POST/PUT may carry, how they are validated, and the FOSRest form-error
 * document a 400 answers with. That document lists every child of the form, `[]` for a
 * valid one and `{ errors: [...] }` for a refused one, recurrence children included
 * (OroCalendarBundle `Tests/Functional/ControllerRestApi/ValidationFailedTest.php`).
 */

const TYPES = ['daily', 'weekly', 'monthly', 'monthnth', 'yearly', 'yearnth'];
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
/** The form's children, in the order of ValidationFailedTest's expected document. */
const FORM_CHILDREN = [
  'allDay',
  'attendees',
  'backgroundColor',
  'calendar',
  'calendarAlias',
  'createdAt',
  'contexts',
  'description',
  'end',
  'id',
  'uid',
  'isCancelled',
  'notifyAttendees',
  'originalStart',
  'recurrence',
  'recurringEventId',
  'reminders',
  'start',
  'title',
  'updateExceptions',
  'organizerDisplayName',
  'organizerEmail',
];
const RECURRENCE_CHILDREN = [
  'dayOfMonth',
  'dayOfWeek',
  'endTime',
  'instance',
  'interval',
  'monthOfYear',
  'occurrences',
  'recurrenceType',
  'startTime',
  'timeZone',
];
/**
 * Fields a body may carry: the form's children, plus `updatedAt`, which Oro's own
 * BasicCrudTest sends on a create and which is answered 201.
 */
const FIELDS = new Set([...FORM_CHILDREN, 'updatedAt']);
export const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export type Errors = Record<string, unknown>;

/** The 400 document: every child listed, the refused ones with their messages. */
export function formErrorDocument(children: Errors): unknown {
  const recurrenceErrors = (children.recurrence as { children?: Errors } | undefined)?.children ?? {};
  const all: Errors = {};
  for (const k of FORM_CHILDREN) {
    all[k] =
      k === 'recurrence'
        ? {
            children: Object.fromEntries(RECURRENCE_CHILDREN.map((r) => [r, recurrenceErrors[r] ?? []])),
            ...Object.fromEntries(
              Object.entries(recurrenceErrors).filter(([r]) => !RECURRENCE_CHILDREN.includes(r)),
            ),
          }
        : (children[k] ?? []);
  }
  for (const [k, v] of Object.entries(children)) {
    if (!FORM_CHILDREN.includes(k)) {
      all[k] = v;
    }
  }
  return { code: 400, message: 'Validation Failed', errors: { children: all } };
}

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

/**
 * The recurrence sub-form's checks, with the messages of OroCalendarBundle
 * `Tests/Functional/AbstractValidationErrorTestCase::recurrenceValidationFailedDataProvider`.
 */
function validateRecurrence(r: unknown): Errors {
  const errors: Errors = {};
  const bad = (field: string, message: string) => (errors[field] ??= { errors: [message] });
  if (typeof r !== 'object' || r === null || Array.isArray(r)) {
    bad('recurrenceType', 'This value should not be blank.');
    return errors;
  }
  const v = r as Record<string, unknown>;
  const blank = (k: string) => v[k] === undefined || v[k] === null || v[k] === '';
  const type = v.recurrenceType;
  if (blank('recurrenceType')) {
    bad('recurrenceType', 'This value should not be blank.');
  } else if (!TYPES.includes(type as string)) {
    bad('recurrenceType', 'The selected choice is invalid.');
  }
  const yearly = type === 'yearly' || type === 'yearnth';
  if (blank('interval')) {
    bad('interval', 'This value should not be blank.');
  } else if (!Number.isInteger(v.interval)) {
    bad('interval', 'Please enter an integer.');
  } else if ((v.interval as number) < 1) {
    bad('interval', 'This value should be 1 or more.');
  } else if (!yearly && (v.interval as number) > 99) {
    bad('interval', 'This value should be 99 or less.');
  } else if (yearly && (v.interval as number) > 999) {
    bad('interval', 'This value should be 999 or less.');
  } else if (yearly && (v.interval as number) % 12 !== 0) {
    bad('interval', 'This value should be a multiple of 12.');
  }
  const days = v.dayOfWeek;
  const needsDays = type === 'weekly' || type === 'monthnth' || type === 'yearnth';
  if (needsDays && (!Array.isArray(days) || days.length === 0)) {
    bad('dayOfWeek', 'This value should not be blank.');
  }
  if (Array.isArray(days) && days.some((d) => !WEEKDAYS.includes(String(d)))) {
    bad('dayOfWeek', 'One or more of the given values is invalid.');
  }
  if (type === 'monthnth' || type === 'yearnth') {
    if (blank('instance')) {
      bad('instance', 'This value should not be blank.');
    } else if (![1, 2, 3, 4, 5].includes(v.instance as number)) {
      bad('instance', 'The selected choice is invalid.');
    }
  }
  const ranged = (k: string, max: number, needed: boolean) => {
    if (blank(k)) {
      if (needed) {
        bad(k, 'This value should not be blank.');
      }
    } else if (!Number.isInteger(v[k])) {
      bad(k, 'Please enter an integer.');
    } else if ((v[k] as number) < 1 || (v[k] as number) > max) {
      bad(k, `This value should be between 1 and ${max}.`);
    }
  };
  ranged('dayOfMonth', 31, type === 'monthly' || type === 'yearly');
  ranged('monthOfYear', 12, yearly);
  if (blank('startTime')) {
    bad('startTime', 'This value should not be blank.');
  } else if (typeof v.startTime !== 'string' || !DATE_TIME.test(v.startTime)) {
    bad('startTime', 'Please enter a valid date and time.');
  }
  if (!blank('endTime')) {
    if (typeof v.endTime !== 'string' || !DATE_TIME.test(v.endTime)) {
      bad('endTime', 'Please enter a valid date and time.');
    } else if (typeof v.startTime === 'string' && Date.parse(v.endTime) < Date.parse(v.startTime)) {
      bad('endTime', `This value should be ${v.startTime} or more.`);
    }
  }
  if (!blank('occurrences')) {
    if (!Number.isInteger(v.occurrences)) {
      bad('occurrences', 'Please enter an integer.');
    } else if ((v.occurrences as number) < 1 || (v.occurrences as number) > 999) {
      bad('occurrences', 'This value should be between 1 and 999.');
    }
  }
  if (blank('timeZone')) {
    bad('timeZone', 'This value should not be blank.');
  } else if (!validZone(v.timeZone)) {
    bad('timeZone', 'Please select a valid timezone.');
  }
  for (const k of Object.keys(v)) {
    if (k !== 'id' && !RECURRENCE_CHILDREN.includes(k)) {
      bad(k, 'This form should not contain extra fields.');
    }
  }
  return errors;
}

/** What the form needs to know of the calendar's other rows. */
export interface FormContext {
  row(id: number): OroCalendarEventRecord | undefined;
  exceptionsOf(seriesId: number): OroCalendarEventRecord[];
  uidTaken(calendar: number, uid: string): boolean;
}

/** The fields of a POST/PUT body after Oro's form validation, or the form errors. */
export function parseEventBody(
  doc: Record<string, unknown>,
  calendar: number,
  existing: OroCalendarEventRecord | undefined,
  ctx: FormContext,
): { fields: OroEventInput; updateExceptions: boolean } | { errors: Errors } {
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
            (typeof a.type === 'string' && ['organizer', 'required', 'optional'].includes(a.type))),
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
  // An empty recurrence (`[]` from PHP clients, `''` from a form post) is none.
  const noRecurrence =
    doc.recurrence === null ||
    doc.recurrence === '' ||
    (Array.isArray(doc.recurrence) && doc.recurrence.length === 0);
  if ('recurrence' in doc && !noRecurrence) {
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
    } else if (!existing && ctx.uidTaken(calendar, uid)) {
      bad('uid', 'This value is already used.');
    } else {
      fields.uid = uid;
    }
  }
  if ('recurringEventId' in doc && doc.recurringEventId !== null) {
    const series = ctx.row(Number(doc.recurringEventId));
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
  // A new exception must sit on an occurrence of its series; an existing one keeps its place.
  const seriesId = fields.recurringEventId ?? existing?.recurringEventId;
  const originalStart = fields.originalStart ?? existing?.originalStart;
  const placing = creating || 'originalStart' in doc || 'recurringEventId' in doc;
  if (seriesId && placing && !errors.recurringEventId && !errors.originalStart) {
    const series = ctx.row(seriesId);
    if (
      !series?.recurrence ||
      !originalStart ||
      !isOccurrence({ ...series, recurrence: series.recurrence }, Date.parse(originalStart))
    ) {
      bad('originalStart', 'The series has no occurrence at this time.');
    } else if (
      creating &&
      ctx.exceptionsOf(seriesId).some((e) => Date.parse(e.originalStart ?? '') === Date.parse(originalStart))
    ) {
      bad('originalStart', 'This occurrence already has an exception.');
    }
  }
  if ('createdAt' in doc && doc.createdAt !== null) {
    if (typeof doc.createdAt !== 'string' || !DATE_TIME.test(doc.createdAt)) {
      bad('createdAt', 'Please enter a valid date and time.');
    } else if (creating) {
      fields.createdAt = doc.createdAt;
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
    // The message of OroCalendarBundle ValidationFailedTest::testNotifyAttendeesValidation…
    bad('notifyAttendees', 'The value you selected is not a valid choice.');
  }
  if ('updateExceptions' in doc && typeof doc.updateExceptions !== 'boolean') {
    bad('updateExceptions', 'This value is not valid.');
  }
  return Object.keys(errors).length > 0
    ? { errors }
    : { fields, updateExceptions: doc.updateExceptions === true };
}
