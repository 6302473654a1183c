import { z } from 'zod';
import { hashFields, type Snapshot } from '../sync/model';
import type { Write } from '../sync/plan';
import { writeFailure, type WriteFailure } from '../sync/ports';
import type { TaskFields } from '../sync/tasks/fields';
import { dueDateToOro, oroToFields, type OroTask } from '../sync/tasks/oro-mapping';
import { oroAnswerClass, oroErrorDetail, type OroResponse } from './client';

/** A task as Oro's JSON:API sends it, what the tasks side reads of it, and what it writes. */

export const taskResource = z.object({
  type: z.literal('tasks'),
  id: z.string(),
  attributes: z
    .object({
      subject: z.string().nullable().optional(),
      description: z.string().nullable().optional(),
      dueDate: z.string().nullable().optional(),
      updatedAt: z.string(),
    })
    .loose(),
  relationships: z
    .object({
      status: z.object({ data: z.object({ id: z.string() }).nullable() }).optional(),
      taskPriority: z.object({ data: z.object({ id: z.string() }).nullable() }).optional(),
    })
    .loose()
    .optional(),
});
export const taskList = z.object({
  data: z.array(taskResource),
  links: z.object({ next: z.string().optional() }).loose().optional(),
});
/** Every task's id and update time (`fields[tasks]=updatedAt`); a resource without it is read in full. */

export const single = z.object({ data: taskResource });

export type TaskResource = z.infer<typeof taskResource>;

function toOroTask(r: TaskResource): OroTask {
  return {
    id: r.id,
    subject: r.attributes.subject ?? '',
    description: r.attributes.description ?? null,
    dueDate: r.attributes.dueDate ?? null,
    // Oro 6 enum option ids may carry their enum's code ("task_status.open"): tolerate both.
    status: (r.relationships?.status?.data?.id ?? 'open').replace(/^task_status\./, ''),
    priority: r.relationships?.taskPriority?.data?.id ?? 'normal',
    updatedAt: r.attributes.updatedAt,
  };
}

/** Oro's updatedAt has whole seconds, so the version also carries the content hash. */
export function snapshot(r: TaskResource): Snapshot<TaskFields> {
  const task = toOroTask(r);
  const fields = oroToFields(task);
  return {
    id: task.id,
    version: `${task.updatedAt}#${hashFields(fields)}`,
    fields,
    modifiedAt: task.updatedAt,
  };
}

/**
 * The JSON:API attributes and relationships of a write: every field for a create (with the
 * owner), only the changed ones for an update.
 */
export function taskPayload(
  w: Write<TaskFields>,
  ownerId: string,
): { attributes: Record<string, unknown>; relationships: Record<string, unknown> } {
  const fields = w.fields!;
  const changed = w.op === 'create' ? undefined : w.changed;
  const want = (k: keyof TaskFields) => !changed || changed.includes(k);
  const attributes: Record<string, unknown> = {};
  const relationships: Record<string, unknown> = {};
  if (want('title')) {
    attributes.subject = fields.title;
  }
  if (want('description')) {
    attributes.description = fields.description;
  }
  if (want('dueDate')) {
    attributes.dueDate = dueDateToOro(fields.dueDate, null);
  }
  if (want('status')) {
    relationships.status = { data: { type: 'taskstatuses', id: fields.status } };
  }
  if (want('priority')) {
    relationships.taskPriority = { data: { type: 'taskpriorities', id: fields.priority } };
  }
  if (w.op === 'create') {
    relationships.owner = { data: { type: 'users', id: ownerId } };
  }
  return { attributes, relationships };
}

export const errorDocument = z.object({
  errors: z.array(
    z
      .object({
        title: z.string().optional(),
        source: z.object({ pointer: z.string().optional() }).optional(),
      })
      .loose(),
  ),
});

/**
 * A 400 that refuses the status relationship: Oro's JSON:API validation error with its
 * pointer on the status, or the workflow's own constraint ("workflow entity constraint",
 * "Field could not be edited because of workflow restrictions.", OroCRMTaskBundle
 * Tests/Functional/Api/RestJsonApi/TaskTest.php testTryToUpdateRelationshipForStatus).
 */
export function statusRefused(res: OroResponse): boolean {
  if (res.status !== 400) {
    return false;
  }
  const doc = errorDocument.safeParse(res.body);
  return doc.success && refusesStatusOnly(doc.data.errors, '/data');
}

export type OroError = z.infer<typeof errorDocument>['errors'][number];

/**
 * Whether the errors of one resource (its pointer `at`: "/data", or "/data/3" in a batch)
 * all refuse its status relationship and nothing else.
 */
export function refusesStatusOnly(errors: readonly OroError[], at: string): boolean {
  const status = `${at}/relationships/status`;
  return (
    errors.length > 0 &&
    errors.every((e) => {
      const pointer = e.source?.pointer ?? '';
      return (
        pointer === status ||
        pointer.startsWith(`${status}/`) ||
        (e.title === 'workflow entity constraint' && (pointer === '' || pointer === at))
      );
    })
  );
}

export function failure(res: { status: number; body: unknown }): WriteFailure {
  return writeFailure(
    `Oro answered ${res.status}: ${oroErrorDetail(res.body)}`,
    oroAnswerClass(res),
    res.status,
  );
}
