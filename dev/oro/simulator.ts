import { textOf } from '../text-of';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readBody } from '../microsoft/respond';
import { closeNow, listen } from '../ports';
import { createOroCalendar, type OroCalendarEventRecord, type OroCalendarSimulator } from './calendar';
import { createOroWebhooks, type OroWebhooks } from './webhooks';

/**
 * A local stand-in for Oro's APIs as the sync uses them: OAuth2 client credentials at
 * /oauth2-token and tasks over JSON:API at /api/tasks, with Oro's wire details (string ids,
 * status and priority as relationships, errors with string statuses, page[size]=-1 for all).
 * Tests edit data directly, inject faults and count requests.
 */
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

/** 'hang': the request is never answered (the client must time out); nothing changes. */
export type OroFault = 'error-500' | 'throttle-429' | 'apply-then-drop' | 'hang';

export interface OroSimulator {
  url: string;
  registerClient(clientId: string, clientSecret: string): void;
  /** Calendar events (dev/oro/calendar.ts). */
  calendar: OroCalendarSimulator;
  /** Outgoing webhooks of task and calendar event changes (dev/oro/webhooks.ts). */
  webhooks: OroWebhooks;
  tasks(ownerId?: string): OroTaskRecord[];
  createTask(ownerId: string, fields: Partial<Omit<OroTaskRecord, 'id' | 'ownerId'>>): OroTaskRecord;
  editTask(id: string, fields: Partial<Omit<OroTaskRecord, 'id' | 'ownerId'>>): OroTaskRecord;
  deleteTask(id: string): void;
  /**
   * Turns Oro's task workflow (OroCRMTaskBundle `task_flow`, active by default in stock
   * Oro) on or off: while on, the status field is workflow-restricted, so an API write
   * that changes a task's status, or creates one in a status other than open, is refused.
   */
  setTaskWorkflow(active: boolean): void;
  /** The next `count` API requests (not token requests) fail as `fault` says. */
  failNext(fault: OroFault, count?: number): void;
  /** The faults asked for and not yet met, the next first. */
  armed(): readonly OroFault[];
  /** Requests per "METHOD /path" (ids replaced by {id}). */
  requestCounts(): Record<string, number>;
  /** With the `capacity` option: the load the API saw (peak concurrency, served, refused). */
  load(): OroLoad;
  resetCounts(): void;
  close(): Promise<void>;
}

/**
 * A test double of load, not a claim about Oro: a fixed pool of workers (as PHP-FPM's
 * `pm.max_children` gives a real instance) each taking `serviceMs` per API request. A
 * request that finds every worker busy is refused at once with `refuseStatus` (429 or 503)
 * and `Retry-After`, as a front proxy's connection limit answers (nginx `limit_conn`).
 * Token requests are not counted.
 */
export interface OroCapacity {
  concurrent: number;
  serviceMs: number;
  refuseStatus?: 429 | 503;
  retryAfterSeconds?: number;
}

export interface OroLoad {
  /** Most API requests being served at once (refused ones are answered at once and not counted). */
  peak: number;
  /** Most API requests that wanted serving at once: those in progress plus the one arriving. */
  peakOffered: number;
  inProgress: number;
  served: number;
  refused: number;
}

const JSON_API = 'application/vnd.api+json';
const STATUSES = ['open', 'in_progress', 'closed'];
const PRIORITIES = ['low', 'normal', 'high'];

/** Oro's API answers with whole seconds. */
const nowSeconds = (clock: () => number) =>
  new Date(Math.floor(clock() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * `calendarsJsonApi`: play an Oro instance that exposes calendars in its JSON:API (stock
 * Oro does not); `integrationUserId`: the user the OAuth client acts as ('1').
 */
export async function startOroSimulator(
  options: {
    port?: number;
    clock?: () => number;
    calendarsJsonApi?: boolean;
    integrationUserId?: string;
    /** Load testing only (bench/backpressure.ts): see OroCapacity. */
    capacity?: OroCapacity;
    /**
     * Whether Oro's task workflow (`task_flow`) is active: as in stock Oro (its
     * `defaults: active: true`) unless false, for an Oro whose administrator deactivated it
     * (System → Workflows) so that statuses set in To Do can land. See setTaskWorkflow.
     */
    taskWorkflow?: boolean;
  } = {},
): Promise<OroSimulator> {
  const clock = options.clock ?? Date.now;
  const clients = new Map<string, string>();
  const tokens = new Map<string, number>();
  const tasks = new Map<string, OroTaskRecord>();
  const counts: Record<string, number> = {};
  const faults: OroFault[] = [];
  let nextId = 1;
  let base = '';
  let taskWorkflow = options.taskWorkflow ?? true;
  const webhooks = createOroWebhooks(clock);
  // The calendar listing mixes in the calling user's tasks, as Oro's task provider does.
  const calendar = createOroCalendar(clock, {
    ...(options.integrationUserId ? { integrationUserId: options.integrationUserId } : {}),
    ...(options.calendarsJsonApi ? { calendarsJsonApi: true } : {}),
    tasksOf: (owner) => [...tasks.values()].filter((t) => t.ownerId === owner),
    onChange: (event, row, owner) =>
      webhooks.emit(`calendarevent.${event}`, () => calendarEventData(row, owner)),
  });

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
      ...(fields ? {} : { links: { self: `${base}/api/tasks/${t.id}` } }),
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

  const send = (res: ServerResponse, status: number, body?: unknown, type = JSON_API) => {
    if (body === undefined) {
      res.writeHead(status);
      res.end();
      return;
    }
    res.writeHead(status, { 'Content-Type': type });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, title: string, detail: string, pointer?: string) =>
    send(res, status, {
      errors: [{ status: String(status), title, detail, ...(pointer ? { source: { pointer } } : {}) }],
    });

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

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Date', new Date(clock()).toUTCString()); // Oro's own clock
    const url = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    counts[`${method} ${url.pathname.replace(/\/\d+$/, '/{id}')}`] =
      (counts[`${method} ${url.pathname.replace(/\/\d+$/, '/{id}')}`] ?? 0) + 1;
    const body = (await readBody(req)).toString('utf8');

    if (method === 'POST' && url.pathname === '/oauth2-token') {
      const form = req.headers['content-type']?.includes('json')
        ? new URLSearchParams(JSON.parse(body || '{}') as Record<string, string>)
        : new URLSearchParams(body);
      if (form.get('grant_type') !== 'client_credentials') {
        return send(
          res,
          400,
          {
            error: 'unsupported_grant_type',
            error_description: 'The authorization grant type is not supported.',
            message: 'The authorization grant type is not supported.',
          },
          'application/json',
        );
      }
      if (clients.get(form.get('client_id') ?? '') !== form.get('client_secret')) {
        return send(
          res,
          401,
          {
            error: 'invalid_client',
            error_description: 'Client authentication failed',
            message: 'Client authentication failed',
          },
          'application/json',
        );
      }
      const token = randomBytes(24).toString('base64url');
      tokens.set(token, clock() + 3600_000);
      return send(
        res,
        200,
        { token_type: 'Bearer', expires_in: 3600, access_token: token },
        'application/json',
      );
    }

    if (!url.pathname.startsWith('/api/')) {
      return error(res, 404, 'resource not found', `No route ${url.pathname}`);
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || (tokens.get(bearer) ?? 0) < clock()) {
      return error(res, 401, 'access denied', 'The access token is invalid or expired.');
    }

    const fault = faults.shift();
    if (fault === 'hang') {
      return;
    } // the socket stays open until the client gives up
    if (fault === 'error-500') {
      return error(res, 500, 'runtime exception', 'Simulated server failure.');
    }
    if (fault === 'throttle-429') {
      res.writeHead(429, { 'Content-Type': JSON_API, 'Retry-After': '1' });
      res.end(
        JSON.stringify({ errors: [{ status: '429', title: 'too many requests', detail: 'Slow down.' }] }),
      );
      return;
    }
    const dropAfter = fault === 'apply-then-drop';
    const answer = (status: number, payload?: unknown): void => {
      // The change is made, but the client never hears back: an ambiguous outcome.
      if (dropAfter) {
        res.destroy();
      } else {
        send(res, status, payload);
      }
    };

    const reply = (status: number, payload?: unknown, type?: string): void => {
      if (dropAfter) {
        res.destroy();
      } else {
        send(res, status, payload, type);
      }
    };
    if (calendar.handle({ method, url, body, contentType: req.headers['content-type'], reply })) {
      return;
    }

    const idMatch = /^\/api\/tasks\/(\d+)$/.exec(url.pathname);
    if (url.pathname === '/api/tasks' && method === 'GET') {
      return list(url, res);
    }
    if (idMatch?.[1] && method === 'GET') {
      const task = tasks.get(idMatch[1]);
      const fields = fieldset(url);
      if (fields === 'bad') {
        return badFieldset(res, url);
      }
      return task
        ? send(res, 200, { data: resource(task, fields) })
        : error(res, 404, 'not found exception', 'The entity does not exist.');
    }
    if (idMatch?.[1] && method === 'DELETE') {
      if (!tasks.delete(idMatch[1])) {
        return error(res, 404, 'not found exception', 'The entity does not exist.');
      }
      return answer(204);
    }
    if ((url.pathname === '/api/tasks' && method === 'POST') || (idMatch?.[1] && method === 'PATCH')) {
      if (!req.headers['content-type']?.includes(JSON_API)) {
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
      const current = idMatch?.[1] ? tasks.get(idMatch[1]) : undefined;
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
      const id = idMatch![1]!;
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
    return error(res, 405, 'method not allowed', `${method} is not allowed on ${url.pathname}.`);
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

  const load: OroLoad = { peak: 0, peakOffered: 0, inProgress: 0, served: 0, refused: 0 };
  const capacity = options.capacity;
  const server: Server = createServer((req, res) => {
    if (!capacity || !(req.url ?? '').startsWith('/api/')) {
      handle(req, res).catch((e: unknown) => error(res, 500, 'runtime exception', String(e)));
      return;
    }
    load.peakOffered = Math.max(load.peakOffered, load.inProgress + 1);
    if (load.inProgress >= capacity.concurrent) {
      load.refused++;
      const status = capacity.refuseStatus ?? 429;
      res.writeHead(status, {
        'Content-Type': JSON_API,
        'Retry-After': String(capacity.retryAfterSeconds ?? 1),
      });
      res.end(JSON.stringify({ errors: [{ status: String(status), title: 'too many requests' }] }));
      return;
    }
    load.inProgress++;
    load.peak = Math.max(load.peak, load.inProgress);
    setTimeout(() => {
      handle(req, res)
        .catch((e: unknown) => error(res, 500, 'runtime exception', String(e)))
        .finally(() => {
          load.inProgress--;
          load.served++;
        });
    }, capacity.serviceMs);
  });
  const port = await listen(server, options.port ?? 0);
  base = `http://localhost:${port}`;

  return {
    url: base,
    webhooks,
    registerClient: (id, secret) => clients.set(id, secret),
    calendar: calendar.api,
    tasks: (ownerId) =>
      [...tasks.values()].filter((t) => !ownerId || t.ownerId === ownerId).map((t) => ({ ...t })),
    createTask: (ownerId, fields) => ({ ...create(ownerId, fields) }),
    editTask: (id, fields) => ({ ...edit(id, fields) }),
    deleteTask: (id) => {
      tasks.delete(id);
    },
    setTaskWorkflow: (active) => {
      taskWorkflow = active;
    },
    failNext: (fault, count = 1) => {
      for (let i = 0; i < count; i++) {
        faults.push(fault);
      }
    },
    armed: () => [...faults],
    requestCounts: () => ({ ...counts }),
    load: () => ({ ...load }),
    resetCounts: () => {
      for (const k of Object.keys(counts)) {
        delete counts[k];
      }
    },
    close: () => closeNow(server),
  };
}

/**
 * A calendar event as a webhook's eventData: the JSON:API `calendarevents` resource with its
 * calendar, and the calendar with its owner in `included` (the entity config
 * `webhook_relations_includes: calendar`, which a calendar event needs to name its user).
 */
function calendarEventData(row: OroCalendarEventRecord, ownerId: string) {
  return {
    data: {
      type: 'calendarevents',
      id: String(row.id),
      attributes: {
        title: row.title,
        description: row.description,
        start: row.start,
        end: row.end,
        allDay: row.allDay,
        createdAt: row.createdAt,
        updatedAt: row.updatedAt,
      },
      relationships: { calendar: { data: { type: 'calendars', id: String(row.calendar) } } },
    },
    included: [
      {
        type: 'calendars',
        id: String(row.calendar),
        relationships: { owner: { data: { type: 'users', id: ownerId } } },
      },
    ],
  };
}
