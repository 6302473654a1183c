import { htmlToText } from '../text';
import type { TaskFields, TaskPriority, TaskStatus } from './fields';

/** A Microsoft To Do task (todoTask) as Graph returns it (the parts we sync). */
export interface TodoTask {
  id: string;
  title: string;
  body?: { content?: string; contentType?: string };
  dueDateTime?: { dateTime: string; timeZone: string } | null;
  status: 'notStarted' | 'inProgress' | 'completed' | 'waitingOnOthers' | 'deferred' | string;
  importance: 'low' | 'normal' | 'high' | string;
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

export function todoToFields(task: TodoTask): TaskFields {
  const body = task.body?.content ?? '';
  return {
    title: task.title,
    description: task.body?.contentType === 'html' ? htmlToText(body) : body,
    // To Do due dates are dates: keep the date part as written, never convert zones.
    dueDate: task.dueDateTime?.dateTime ? task.dueDateTime.dateTime.slice(0, 10) : null,
    status: FROM_TODO_STATUS[task.status] ?? 'open',
    priority: (['low', 'normal', 'high'] as const).includes(task.importance as TaskPriority)
      ? (task.importance as TaskPriority)
      : 'normal',
  };
}

export const dueDateToTodo = (date: string | null) =>
  date === null ? null : { dateTime: `${date}T00:00:00.0000000`, timeZone: 'UTC' };

/** The Graph PATCH/POST body for the given neutral fields (only `changed` ones on update). */
export function fieldsToTodo(fields: TaskFields, changed?: readonly string[]): Record<string, unknown> {
  const want = (k: keyof TaskFields) => !changed || changed.includes(k);
  const body: Record<string, unknown> = {};
  if (want('title')) {
    body.title = fields.title;
  }
  if (want('description')) {
    body.body = { content: fields.description, contentType: 'text' };
  }
  if (want('dueDate')) {
    body.dueDateTime = dueDateToTodo(fields.dueDate);
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
