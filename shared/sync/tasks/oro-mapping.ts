import type { TaskFields, TaskPriority, TaskStatus } from './fields';

/** An Oro task as its JSON:API document carries it (the parts we sync). */
export interface OroTask {
  id: string;
  subject: string;
  description: string | null;
  /** Oro's due date is a date-time (ISO, UTC). */
  dueDate: string | null;
  status: string;
  priority: string;
  updatedAt: string;
}

const STATUSES: readonly TaskStatus[] = ['open', 'in_progress', 'closed'];
const PRIORITIES: readonly TaskPriority[] = ['low', 'normal', 'high'];

export function oroToFields(task: OroTask): TaskFields {
  return {
    title: task.subject,
    description: task.description ?? '',
    dueDate: task.dueDate ? task.dueDate.slice(0, 10) : null,
    status: (STATUSES as readonly string[]).includes(task.status) ? (task.status as TaskStatus) : 'open',
    priority: (PRIORITIES as readonly string[]).includes(task.priority)
      ? (task.priority as TaskPriority)
      : 'normal',
  };
}

/**
 * Neutral due date → Oro's date-time. Keeps the time of day Oro already has for that date;
 * a new date gets noon UTC, which stays on the same calendar day in every zone within ±12 h.
 */
export function dueDateToOro(date: string | null, current: string | null): string | null {
  if (date === null) {
    return null;
  }
  if (current && current.slice(0, 10) === date) {
    return current;
  }
  return `${date}T12:00:00Z`;
}
