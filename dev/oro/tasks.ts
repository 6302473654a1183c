import type { ServerResponse } from 'node:http';
import { textOf } from '../text-of';
import { JSON_API, error, send } from './jsonapi';
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
  res: ServerResponse;
  /** Sends a success (or, under an apply-then-drop fault, drops it once the change is made). */
  answer: (status: number, payload?: unknown) => void;
}

const STATUSES = ['open', 'in_progress', 'closed'];
const PRIORITIES = ['low', 'normal', 'high'];

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
  options: { webhooks: OroWebhooks; taskWorkflow: boolean; baseUrl: () => string },
) {
  const { webhooks, baseUrl } = options;
  const tasks = new Map<string, OroTaskRecord>();
  let nextId = 1;
  let taskWorkflow = options.taskWorkflow;

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
    const idMatch = /^\/api\/tasks\/(\d+)$/.exec(url.pathname);
    if (url.pathname !== '/api/tasks' && !idMatch) {
      return false;
    }
    if (url.pathname === '/api/tasks' && method === 'GET') {
      list(url, res);
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
    error(res, 405, 'method not allowed', `${method} is not allowed on ${url.pathname}.`);
    return true;
  }

  /** A create (POST, no id) or an update (PATCH of `id`). */
  function write({ method, body, contentType, res, answer }: TaskRequest, idInUrl: string | undefined): void {
    if (!contentType?.includes(JSON_API)) {
      return error(
        res,
        415,
        'unsupported media type',
        `The "Content-Type" request header must be "${JSON_API}".`,
      );
    }
    let doc: {
      data?: {
        type?: string;
        id?: string;
        attributes?: Record<string, unknown>;
        relationships?: Record<string, { data?: { id?: string } }>;
      };
    };
    try {
      doc = JSON.parse(body) as typeof doc;
    } catch {
      return error(res, 400, 'request data constraint', 'The request data should not be empty.');
    }
    const data = doc.data;
    if (!data || data.type !== 'tasks') {
      return error(res, 400, 'entity type constraint', 'This value should be "tasks".', '/data/type');
    }
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
    for (const [relation, allowed, field] of [
      ['status', STATUSES, 'status'],
      ['taskPriority', PRIORITIES, 'priority'],
    ] as const) {
      const id = r[relation]?.data?.id;
      if (id === undefined) {
        continue;
      }
      if (!allowed.includes(id)) {
        return error(
          res,
          400,
          'form constraint',
          'This value is not valid.',
          `/data/relationships/${relation}/data`,
        );
      }
      fields[field] = id;
    }
    // task_flow's entity restrictions (Resources/config/oro/workflows/task_flow/
    // entity_restrictions.yml): a create may only be open; in any step the status is
    // read-only. The refusal as in TaskTest::testTryToUpdateRelationshipForStatus.
    const current = idInUrl ? tasks.get(idInUrl) : undefined;
    if (
      taskWorkflow &&
      fields.status !== undefined &&
      (method === 'POST'
        ? fields.status !== 'open'
        : current !== undefined && fields.status !== current.status)
    ) {
      return error(
        res,
        400,
        'workflow entity constraint',
        'Field could not be edited because of workflow restrictions.',
        '/data/relationships/status/data',
      );
    }
    const blank = (pointer: string) =>
      error(res, 400, 'not blank constraint', 'This value should not be blank.', pointer);
    const owner = r.owner?.data?.id;
    // A create needs a subject and an owner; an update may not blank the subject.
    if (method === 'POST' ? !fields.subject?.trim() : fields.subject?.trim() === '') {
      return blank('/data/attributes/subject');
    }
    if (method === 'POST') {
      if (!owner) {
        return blank('/data/relationships/owner/data');
      }
      return answer(201, { data: resource(create(owner, fields)) });
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
    if (!tasks.has(id)) {
      return error(res, 404, 'not found exception', 'The entity does not exist.');
    }
    return answer(200, { data: resource(edit(id, fields)) });
  }

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
  };
}
