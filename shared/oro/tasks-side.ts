import { z } from 'zod';
import { hashFields, type Change, type Snapshot } from '../sync/model';
import type { Write } from '../sync/plan';
import {
  SideError,
  writeFailure,
  type ReadResult,
  type SidePort,
  type WriteFailure,
  type WriteResult,
} from '../sync/ports';
import type { TaskFields } from '../sync/tasks/fields';
import { dueDateToOro, oroToFields, type OroTask } from '../sync/tasks/oro-mapping';
import { oroAnswerClass, oroErrorDetail, oroWriteFailure, type OroClient, type OroResponse } from './client';

/**
 * How late an update may become visible to a listing (clock skew between Oro's servers,
 * transactions committing late). The watermark never moves closer than this to Oro's own
 * clock, so such an update is still read next time; older seconds are final and never
 * read again, which keeps an idle sync at one listing.
 */
export const SETTLE_MS = 5_000;
const PAGE_SIZE = 500;
/** Parallel writes to Oro: enough to hide latency, few enough not to load one user's Oro. */
const WRITE_CONCURRENCY = 4;

const taskResource = z.object({
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
const taskList = z.object({
  data: z.array(taskResource),
  links: z.object({ next: z.string().optional() }).loose().optional(),
});
/** Every task's id and update time (`fields[tasks]=updatedAt`); a resource without it is read in full. */
const stampList = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      attributes: z.object({ updatedAt: z.string().nullable().optional() }).loose().optional(),
    }),
  ),
  links: z.object({ next: z.string().optional() }).loose().optional(),
});
const single = z.object({ data: taskResource });

const cursorSchema = z.object({ watermark: z.string().optional() });

type TaskResource = z.infer<typeof taskResource>;

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
function snapshot(r: TaskResource): Snapshot<TaskFields> {
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
 * Oro tasks of one user (the owner) as a sync side: changes by updatedAt watermark,
 * deletions by an id-only listing, writes over JSON:API one request each.
 */
export class OroTasksSide implements SidePort<TaskFields> {
  readonly side = 'oro' as const;

  constructor(
    private readonly client: OroClient,
    private readonly ownerId: string,
  ) {}

  get requests(): number {
    return this.client.requests;
  }

  /**
   * With a watermark, one listing of every task's id and update time comes first: it says
   * which linked tasks still exist and whether any task is newer than the watermark, so an
   * idle run costs that one request. Only when something is newer (or Oro did not say when a
   * task changed) are the changed tasks listed in full, from the watermark.
   */
  async read(cursor: string | undefined, linkedIds: ReadonlySet<string>): Promise<ReadResult<TaskFields>> {
    const { watermark } = cursorSchema.parse(cursor ? JSON.parse(cursor) : {});
    const stamps = watermark ? await this.stamps() : undefined;
    const since = watermark ? Date.parse(watermark) : 0;
    const newer =
      !stamps || [...stamps.updated.values()].some((at) => at === undefined || !(Date.parse(at) <= since));
    const changes: Change<TaskFields>[] = [];
    let latest = since;
    let serverTime = stamps?.serverTime;
    const seen = new Set<string>();
    if (newer) {
      const query = new URLSearchParams({
        'filter[owner]': this.ownerId,
        sort: 'updatedAt',
        'page[size]': String(PAGE_SIZE),
      });
      if (watermark) {
        query.set('filter[updatedAt][gt]', watermark);
      }
      for (let path: string | undefined = `/api/tasks?${query.toString()}`; path;) {
        const res = await this.get(path);
        serverTime ??= res.serverTime;
        const page = taskList.parse(res.body);
        for (const r of page.data) {
          const s = snapshot(r);
          changes.push({ type: 'upsert', item: s });
          seen.add(s.id);
          latest = Math.max(latest, Date.parse(s.modifiedAt) || 0);
        }
        path = page.links?.next;
      }
    }
    // Seconds older than the settle time are final; a more recent one may still gain updates.
    const settled = Math.floor(((serverTime ?? Date.now()) - SETTLE_MS) / 1000) * 1000 - 1000;
    const next = latest > 0 ? new Date(Math.min(latest, settled)).toISOString() : undefined;
    // A full read saw every task; otherwise the stamp listing says which linked ones still exist.
    const existing = stamps ? new Set(stamps.updated.keys()) : seen;
    for (const id of linkedIds) {
      if (!existing.has(id)) {
        changes.push({ type: 'delete', id });
      }
    }
    return { changes, cursor: JSON.stringify(next ? { watermark: next } : {}), full: !watermark };
  }

  /** All of the owner's task ids with their update times, in one request (page[size]=-1). */
  private async stamps(): Promise<{ updated: Map<string, string | undefined>; serverTime?: number }> {
    const updated = new Map<string, string | undefined>();
    let serverTime: number | undefined;
    const query = new URLSearchParams({
      'filter[owner]': this.ownerId,
      'fields[tasks]': 'updatedAt',
      'page[size]': '-1',
    });
    for (let path: string | undefined = `/api/tasks?${query.toString()}`; path;) {
      const res = await this.get(path);
      serverTime ??= res.serverTime;
      const page = stampList.parse(res.body);
      for (const r of page.data) {
        updated.set(r.id, r.attributes?.updatedAt ?? undefined);
      }
      path = page.links?.next;
    }
    return serverTime === undefined ? { updated } : { updated, serverTime };
  }

  /** One request per write (JSON:API has no batch), a few at a time; results keep the order of `writes`. */
  async write(writes: readonly Write<TaskFields>[]): Promise<WriteResult<TaskFields>[]> {
    const results = new Array<WriteResult<TaskFields>>(writes.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < writes.length; i = next++) {
        results[i] = await this.writeOne(writes[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, writes.length) }, worker));
    return results;
  }

  private async writeOne(w: Write<TaskFields>): Promise<WriteResult<TaskFields>> {
    try {
      if (w.op === 'delete') {
        const res = await this.client.request('DELETE', `/api/tasks/${encodeURIComponent(w.id ?? '')}`);
        // Already gone is what we wanted.
        return res.status === 204 || res.status === 404
          ? { ok: true, id: w.id ?? '', version: '' }
          : failure(res);
      }
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
        relationships.owner = { data: { type: 'users', id: this.ownerId } };
      }
      let res = await this.send(w, attributes, relationships);
      let note: string | undefined;
      if (relationships.status !== undefined && statusRefused(res)) {
        // Oro's task workflow (task_flow) may refuse a status change or a create in a
        // status other than open; the other fields of the same write still land. The
        // answer's version is Oro's actual state, so the refused status is not retried
        // every run: it waits until the item changes again.
        note = `Oro refused status "${fields.status}" (${oroErrorDetail(res.body)}); the other fields were written`;
        const { status: _refused, ...rest } = relationships;
        res = await this.send(w, attributes, rest);
      }
      if (res.status !== 200 && res.status !== 201) {
        return failure(res);
      }
      const s = snapshot(single.parse(res.body).data);
      return { ok: true, id: s.id, version: s.version, ...(note ? { note } : {}) };
    } catch (error) {
      return oroWriteFailure(error);
    }
  }

  private send(
    w: Write<TaskFields>,
    attributes: Record<string, unknown>,
    relationships: Record<string, unknown>,
  ): Promise<OroResponse> {
    const data = { type: 'tasks', ...(w.op === 'update' ? { id: w.id } : {}), attributes, relationships };
    return w.op === 'create'
      ? this.client.request('POST', '/api/tasks', { data })
      : this.client.request('PATCH', `/api/tasks/${encodeURIComponent(w.id ?? '')}`, { data });
  }

  private async get(path: string): Promise<OroResponse> {
    const res = await this.client.request('GET', path);
    if (res.status !== 200) {
      throw new SideError(
        'oro',
        `Oro answered ${res.status} to GET ${path.split('?')[0]}: ${oroErrorDetail(res.body)}`,
        oroAnswerClass(res),
        res.status,
        { retryAfterMs: res.retryAfterMs },
      );
    }
    return res;
  }
}

const errorDocument = z.object({
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
function statusRefused(res: OroResponse): boolean {
  if (res.status !== 400) {
    return false;
  }
  const doc = errorDocument.safeParse(res.body);
  return (
    doc.success &&
    doc.data.errors.length > 0 &&
    doc.data.errors.every(
      (e) =>
        /^\/data\/relationships\/status(\/|$)/.test(e.source?.pointer ?? '') ||
        (e.title === 'workflow entity constraint' && !e.source?.pointer),
    )
  );
}

function failure(res: { status: number; body: unknown }): WriteFailure {
  return writeFailure(
    `Oro answered ${res.status}: ${oroErrorDetail(res.body)}`,
    oroAnswerClass(res),
    res.status,
  );
}
