import { toIana, zonedDate, zonedToUtc } from '../calendar/time-zones';
import { htmlToText } from '../text';
import type { TaskFields, TaskPriority, TaskStatus } from './fields';

/** A Microsoft To Do task (todoTask) as Graph returns it (the parts we sync). */
/** A value Graph may add to an enumeration later: read, kept, never assumed away. */
type OtherValue = string & Record<never, never>;

export interface TodoTask {
  id: string;
  title: string;
  body?: { content?: string; contentType?: string };
  dueDateTime?: { dateTime: string; timeZone: string } | null;
  status: 'notStarted' | 'inProgress' | 'completed' | 'waitingOnOthers' | 'deferred' | OtherValue;
  importance: 'low' | 'normal' | 'high' | OtherValue;
  lastModifiedDateTime: string;
  '@odata.etag'?: string;
  linkedResources?: {
    applicationName?: string;
    externalId?: string;
    webUrl?: string;
    displayName?: string;
  }[];
}

/** The application name our linkedResources carry, so we recognise our own links. */
export const LINKED_APPLICATION = 'Oro CRM';

const FROM_TODO_STATUS: Record<string, TaskStatus> = {
  notStarted: 'open',
  deferred: 'open',
  inProgress: 'in_progress',
  waitingOnOthers: 'in_progress',
  completed: 'closed',
};
export const TO_TODO_STATUS: Record<TaskStatus, TodoTask['status']> = {
  open: 'notStarted',
  in_progress: 'inProgress',
  closed: 'completed',
};

/**
 * `userZone`: the mailbox's time zone (`mailboxSettings.timeZone`, a Windows or IANA name),
 * when known. A due date set in To Do is the user's local midnight, which Graph answers as
 * an instant in UTC: `2020-08-25T04:00:00.0000000` for a user at UTC-4, the day before at
 * 22:00 for one at UTC+2 (Graph v1.0 "Update todoTask" example; /me/todo/lists/…/tasks).
 */
export function todoToFields(task: TodoTask, userZone?: string): TaskFields {
  const body = task.body?.content ?? '';
  return {
    title: task.title,
    description: task.body?.contentType === 'html' ? htmlToText(body) : body,
    dueDate: dueDateFromTodo(task.dueDateTime, userZone),
    status: FROM_TODO_STATUS[task.status] ?? 'open',
    priority: (['low', 'normal', 'high'] as const).includes(task.importance as TaskPriority)
      ? (task.importance as TaskPriority)
      : 'normal',
  };
}

/** Local midnight of D, for offsets over -11 h up to +13 h, is in UTC within [D-1 11:00, D 11:00). */
const NEAREST_DATE_SHIFT_MS = 13 * 3600_000;
const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/Universal', 'Etc/Zulu']);

/**
 * The calendar date of a To Do `dueDateTime`: in the task's own zone when Graph names one
 * other than UTC (the wall clock is then already local), else the instant seen from the
 * user's zone. Without a known user zone the date is the one whose local midnight the
 * instant can be for offsets over UTC-11 up to UTC+13 (New Zealand's summer time included;
 * only Samoa-Pago Pago at -11 and Kiritimati at +14 fall outside).
 */
export function dueDateFromTodo(
  due: { dateTime: string; timeZone: string } | null | undefined,
  userZone?: string,
): string | null {
  if (!due?.dateTime) {
    return null;
  }
  const own = toIana(due.timeZone);
  if (own && !UTC_NAMES.has(own)) {
    return due.dateTime.slice(0, 10);
  }
  const instant = zonedToUtc(due.dateTime, 'UTC');
  const zone = userZone === undefined ? undefined : toIana(userZone);
  if (zone) {
    return zonedDate(instant, zone);
  }
  return new Date(instant.getTime() + NEAREST_DATE_SHIFT_MS).toISOString().slice(0, 10);
}

/**
 * A neutral due date as To Do's `dueDateTime`: midnight of that date in the user's zone
 * (Graph keeps the date in the zone it is given and answers the instant in UTC), or in
 * UTC when the user's zone is unknown or not one Graph and we both can name.
 */
export const dueDateToTodo = (date: string | null, userZone?: string) =>
  date === null
    ? null
    : {
        dateTime: `${date}T00:00:00.0000000`,
        timeZone: userZone !== undefined && toIana(userZone) ? userZone : 'UTC',
      };

/** The Graph PATCH/POST body for the given neutral fields (only `changed` ones on update). */
export function fieldsToTodo(
  fields: TaskFields,
  changed?: readonly string[],
  userZone?: string,
): Record<string, unknown> {
  const want = (k: keyof TaskFields) => !changed || changed.includes(k);
  const body: Record<string, unknown> = {};
  if (want('title')) {
    body.title = fields.title;
  }
  if (want('description')) {
    body.body = { content: fields.description, contentType: 'text' };
  }
  if (want('dueDate')) {
    body.dueDateTime = dueDateToTodo(fields.dueDate, userZone);
  }
  if (want('status')) {
    body.status = TO_TODO_STATUS[fields.status];
  }
  if (want('priority')) {
    body.importance = fields.priority;
  }
  return body;
}

export function linkIdOf(task: TodoTask): string | undefined {
  return task.linkedResources?.find((r) => r.applicationName === LINKED_APPLICATION)?.externalId;
}
