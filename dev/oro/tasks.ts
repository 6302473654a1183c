import type { ServerResponse } from 'node:http';
import { textOf } from '../text-of';
import { JSON_API, error, send } from './jsonapi';
import { createTaskBatch, taskListAllow, type OroTaskBatchApi } from './tasks-batch';
import type { OroWebhooks } from './webhooks';

/** A task as the simulator keeps it (status and priority by their enum ids). */
export interface OroTaskRecord {
  id: string;
  subject: string;
  description: string | null;
  dueDate: string | null;
  status: string;
  priority: string;
  ownerId: string;
  createdAt: string;
  updatedAt: string;
}

export type OroTaskFields = Partial<Omit<OroTaskRecord, 'id' | 'ownerId'>>;

/** A request to /api/tasks, as the simulator's front hands it on. */
export interface TaskRequest {
  method: string;
  url: URL;
  body: string;
  contentType: string | undefined;
  /** The X-Mode request header (the Batch API's processing mode). */
  mode?: string | undefined;
  res: ServerResponse;
  /** Sends a success (or, under an apply-then-drop fault, drops it once the change is made). */
  answer: (status: number, payload?: unknown) => void;
}

/** A task resource of a request document. */
export interface TaskDocument {
  type?: string;
  id?: string;
  meta?: Record<string, unknown>;
  attributes?: Record<string, unknown>;
  relationships?: Record<string, { data?: { id?: string } }>;
}

/** A task document checked: the fields to write, or Oro's refusal (pointer below the resource). */
export type Checked =
  | { ok: true; fields: Partial<OroTaskRecord>; owner?: string }
  | { ok: false; status: number; title: string; detail: string; pointer?: string };

const STATUSES = ['open', 'in_progress', 'closed'];
const PRIORITIES = ['low', 'normal', 'high'];

export const unsupportedMediaType = (res: ServerResponse) =>
  error(res, 415, 'unsupported media type', `The "Content-Type" request header must be "${JSON_API}".`);

/** Oro's API answers with whole seconds. */
const nowSeconds = (clock: () => number) =>
  new Date(Math.floor(clock() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * Oro's tasks (OroCRMTaskBundle) over JSON:API at /api/tasks, with Oro's wire details (string
 * ids, status and priority as relationships, page[size]=-1 for all), and the task workflow's
 * restriction on the status. `baseUrl`: the simulator's address, for the resources' links.
 */
export function createOroTasks(
  clock: () => number,
  options: {
    webhooks: OroWebhooks;
    taskWorkflow: boolean;
    baseUrl: () => string;
    /** The Batch API for tasks (dev/oro/tasks-batch.ts); stock Oro: false. */
    batchApi?: OroTaskBatchApi;
  },
) {
  const { webhooks, baseUrl } = options;
  const tasks = new Map<string, OroTaskRecord>();
  let nextId = 1;
  let taskWorkflow = options.taskWorkflow;
  let batchApi: OroTaskBatchApi = options.batchApi ?? false;

  const touch = () => nowSeconds(clock);

  function create(ownerId: string, fields: Partial<OroTaskRecord>): OroTaskRecord {
    const stamp = touch();
    const task: OroTaskRecord = {
      id: String(nextId++),
      subject: fields.subject ?? 'Untitled',
      description: fields.description ?? null,
      dueDate: fields.dueDate ?? null,
      status: fields.status ?? 'open',
      priority: fields.priority ?? 'normal',
      ownerId,
      createdAt: stamp,
      updatedAt: stamp,
    };
    tasks.set(task.id, task);
    webhooks.emit('task.created', () => ({ data: resource(task) }));
    return task;
  }

  function edit(id: string, fields: Partial<OroTaskRecord>): OroTaskRecord {
    const task = tasks.get(id);
    if (!task) {
      throw new Error(`no task ${id}`);
    }
    const next = { ...task, ...fields, id, ownerId: task.ownerId, updatedAt: touch() };
    tasks.set(id, next);
    webhooks.emit('task.updated', () => ({ data: resource(next) }));
    return next;
  }

  /**
   * A task's JSON:API resource; `fields`: a sparse fieldset (`fields[tasks]=`), as in
   * oroinc/platform ApiBundle Tests/Functional/RestJsonApi/GetWithIncludeFieldsTest: only
   * the named attributes and relationships (unknown names ignored), none for an empty one.
   */
  const resource = (t: OroTaskRecord, fields?: readonly string[]) => {
    const attributes: Record<string, unknown> = {
      subject: t.subject,
      description: t.description,
      dueDate: t.dueDate,
      createdAt: t.createdAt,
      updatedAt: t.updatedAt,
    };
    const relationships: Record<string, unknown> = {
      status: { data: { type: 'taskstatuses', id: t.status } },
      taskPriority: { data: { type: 'taskpriorities', id: t.priority } },
      owner: { data: { type: 'users', id: t.ownerId } },
    };
    const pick = (all: Record<string, unknown>) =>
      fields ? Object.fromEntries(Object.entries(all).filter(([k]) => fields.includes(k))) : all;
    const a = pick(attributes);
    const r = pick(relationships);
    return {
      type: 'tasks',
      id: t.id,
      ...(fields ? {} : { links: { self: `${baseUrl()}/api/tasks/${t.id}` } }),
      ...(Object.keys(a).length > 0 ? { attributes: a } : {}),
      ...(Object.keys(r).length > 0 ? { relationships: r } : {}),
    };
  };

  /** `fields[tasks]`: undefined when absent; a starting or ending comma is refused as Oro does. */
  const fieldset = (url: URL): readonly string[] | undefined | 'bad' => {
    const raw = url.searchParams.get('fields[tasks]');
    if (raw === null) {
      return undefined;
    }
    if (raw.startsWith(',') || raw.endsWith(',')) {
      return 'bad';
    }
    return raw === '' ? [] : raw.split(',');
  };

  const badFieldset = (res: ServerResponse, url: URL) =>
    send(res, 400, {
      errors: [
        {
          status: '400',
          title: 'filter constraint',
          detail: `Expected an array of strings. Given "${url.searchParams.get('fields[tasks]') ?? ''}".`,
          source: { parameter: 'fields[tasks]' },
        },
      ],
    });

  /** Answers a request to /api/tasks or /api/tasks/{id}; false for any other path. */
  function handle(request: TaskRequest): boolean {
    const { method, url, res, answer } = request;
    const operation = /^\/api\/asyncoperations\/(\d+)$/.exec(url.pathname);
    if (operation?.[1] && method === 'GET') {
      batch.operation(operation[1], res);
      return true;
    }
    const idMatch = /^\/api\/tasks\/(\d+)$/.exec(url.pathname);
    if (url.pathname !== '/api/tasks' && !idMatch) {
      return false;
    }
    if (url.pathname === '/api/tasks' && method === 'GET') {
      list(url, res);
      return true;
    }
    if (url.pathname === '/api/tasks' && (method === 'PATCH' || method === 'OPTIONS')) {
      batch.handle(request);
      return true;
    }
    if (idMatch?.[1] && method === 'GET') {
      const task = tasks.get(idMatch[1]);
      const fields = fieldset(url);
      if (fields === 'bad') {
        badFieldset(res, url);
      } else if (task) {
        send(res, 200, { data: resource(task, fields) });
      } else {
        error(res, 404, 'not found exception', 'The entity does not exist.');
      }
      return true;
    }
    if (idMatch?.[1] && method === 'DELETE') {
      if (!tasks.delete(idMatch[1])) {
        error(res, 404, 'not found exception', 'The entity does not exist.');
      } else {
        answer(204);
      }
      return true;
    }
    if ((url.pathname === '/api/tasks' && method === 'POST') || (idMatch?.[1] && method === 'PATCH')) {
      write(request, idMatch?.[1]);
      return true;
    }
    if (url.pathname === '/api/tasks') {
      res.setHeader('Allow', taskListAllow(batchApi));
    }
    error(res, 405, 'method not allowed', `${method} is not allowed on ${url.pathname}.`);
    return true;
  }

  /** A create (POST, no id) or an update (PATCH of `id`). */
  function write({ method, body, contentType, res, answer }: TaskRequest, idInUrl: string | undefined): void {
    if (!contentType?.includes(JSON_API)) {
      return unsupportedMediaType(res);
    }
    let doc: { data?: TaskDocument };
    try {
      doc = JSON.parse(body) as typeof doc;
    } catch {
      return error(res, 400, 'request data constraint', 'The request data should not be empty.');
    }
    const data = doc.data;
    if (!data || data.type !== 'tasks') {
      return error(res, 400, 'entity type constraint', 'This value should be "tasks".', '/data/type');
    }
    const checked = check(data, method === 'POST' ? undefined : idInUrl);
    const refuse = (c: Extract<Checked, { ok: false }>) =>
      error(res, c.status, c.title, c.detail, c.pointer === undefined ? undefined : `/data${c.pointer}`);
    // A task that does not exist is told after the identifier check, as before.
    if (!checked.ok && checked.status !== 404) {
      return refuse(checked);
    }
    if (method === 'POST' && checked.ok) {
      return answer(201, { data: resource(create(checked.owner!, checked.fields)) });
    }
    const id = idInUrl!;
    if (data.id !== id) {
      return error(
        res,
        409,
        'conflict constraint',
        'The entity identifier does not match the URL.',
        '/data/id',
      );
    }
    if (!checked.ok) {
      return refuse(checked);
    }
    return answer(200, { data: resource(edit(id, checked.fields)) });
  }

  /**
   * Validates one task document, as a create (`id` undefined) or an update of `id`: the
   * fields to write, or Oro's error with its pointer below the resource (`/attributes/…`).
   * Shared by the single-resource routes and the Batch API (dev/oro/tasks-batch.ts).
   */
  function check(data: TaskDocument, id: string | undefined): Checked {
    const a = data.attributes ?? {};
    const r = data.relationships ?? {};
    const fields: Partial<OroTaskRecord> = {};
    if ('subject' in a) {
      fields.subject = textOf(a.subject ?? '');
    }
    if ('description' in a) {
      fields.description = a.description === null ? null : textOf(a.description);
    }
    if ('dueDate' in a) {
      fields.dueDate = a.dueDate === null ? null : textOf(a.dueDate);
    }
    const refused = (status: number, title: string, detail: string, pointer?: string): Checked => ({
      ok: false,
      status,
      title,
      detail,
      ...(pointer === undefined ? {} : { pointer }),
    });
    for (const [relation, allowed, field] of [
      ['status', STATUSES, 'status'],
      ['taskPriority', PRIORITIES, 'priority'],
    ] as const) {
      const value = r[relation]?.data?.id;
      if (value === undefined) {
        continue;
      }
      if (!allowed.includes(value)) {
        return refused(400, 'form constraint', 'This value is not valid.', `/relationships/${relation}/data`);
      }
      fields[field] = value;
    }
    // task_flow's entity restrictions (Resources/config/oro/workflows/task_flow/
    // entity_restrictions.yml): a create may only be open; in any step the status is
    // read-only. The refusal as in TaskTest::testTryToUpdateRelationshipForStatus.
    const current = id === undefined ? undefined : tasks.get(id);
    if (
      taskWorkflow &&
      fields.status !== undefined &&
      (id === undefined
        ? fields.status !== 'open'
        : current !== undefined && fields.status !== current.status)
    ) {
      return refused(
        400,
        'workflow entity constraint',
        'Field could not be edited because of workflow restrictions.',
        '/relationships/status/data',
      );
    }
    const blank = (pointer: string) =>
      refused(400, 'not blank constraint', 'This value should not be blank.', pointer);
    const owner = r.owner?.data?.id;
    // A create needs a subject and an owner; an update may not blank the subject.
    if (id === undefined ? !fields.subject?.trim() : fields.subject?.trim() === '') {
      return blank('/attributes/subject');
    }
    if (id === undefined) {
      return owner ? { ok: true, fields, owner } : blank('/relationships/owner/data');
    }
    if (!current) {
      return refused(404, 'not found exception', 'The entity does not exist.');
    }
    return { ok: true, fields };
  }

  const batch = createTaskBatch({ batch: () => batchApi, check, create, edit, resource: (t) => resource(t) });

  function list(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const owner = q.get('filter[owner]');
    const gt = q.get('filter[updatedAt][gt]');
    const fields = fieldset(url);
    if (fields === 'bad') {
      return badFieldset(res, url);
    }
    let items = [...tasks.values()].filter((t) => (owner ? t.ownerId === owner : true));
    if (gt) {
      items = items.filter((t) => Date.parse(t.updatedAt) > Date.parse(gt));
    }
    const sort = q.get('sort') ?? 'id';
    items.sort((a, b) =>
      sort === 'updatedAt'
        ? a.updatedAt.localeCompare(b.updatedAt) || Number(a.id) - Number(b.id)
        : Number(a.id) - Number(b.id),
    );
    const size = Number(q.get('page[size]') ?? 10);
    const number = Number(q.get('page[number]') ?? 1);
    const page = size === -1 ? items : items.slice((number - 1) * size, number * size);
    const hasNext = size !== -1 && number * size < items.length;
    const next = new URL(url.toString());
    next.searchParams.set('page[number]', String(number + 1));
    send(res, 200, {
      data: page.map((t) => resource(t, fields)),
      links: { self: url.toString(), ...(hasNext ? { next: next.toString() } : {}) },
    });
  }

  return {
    handle,
    /** The user's tasks (all with no owner), as copies. */
    list: (ownerId?: string) =>
      [...tasks.values()].filter((t) => !ownerId || t.ownerId === ownerId).map((t) => ({ ...t })),
    /** An owner's tasks as stored, for the calendar listing. */
    of: (ownerId: string) => [...tasks.values()].filter((t) => t.ownerId === ownerId),
    create: (ownerId: string, fields: OroTaskFields) => ({ ...create(ownerId, fields) }),
    edit: (id: string, fields: OroTaskFields) => ({ ...edit(id, fields) }),
    delete: (id: string) => {
      tasks.delete(id);
    },
    setTaskWorkflow: (active: boolean) => {
      taskWorkflow = active;
    },
    setTaskBatchApi: (api: OroTaskBatchApi) => {
      batchApi = api;
    },
  };
}
