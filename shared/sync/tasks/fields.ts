import { z } from 'zod';

/** A task in the neutral model both sides map to. */
export const taskFields = z.object({
  title: z.string(),
  description: z.string(),
  /** A calendar date (YYYY-MM-DD), never shifted through time zones. */
  dueDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .nullable(),
  status: z.enum(['open', 'in_progress', 'closed']),
  priority: z.enum(['low', 'normal', 'high']),
});
export type TaskFields = z.infer<typeof taskFields>;
export type TaskStatus = TaskFields['status'];
export type TaskPriority = TaskFields['priority'];
