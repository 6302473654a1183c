import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readBody } from '../microsoft/respond';
import { closeNow, listen } from '../ports';
import { createOroCalendar, type OroCalendarEventRecord, type OroCalendarSimulator } from './calendar';
import { withCapacity, type OroCapacity, type OroLoad } from './capacity';
import { createOroFaults, type OroFault } from './faults';
import { error } from './jsonapi';
import { createOroOAuth } from './oauth';
import { createOroTasks, type OroTaskFields, type OroTaskRecord } from './tasks';
import type { OroTaskBatchApi } from './tasks-batch';
import { createOroWebhooks, type OroWebhooks } from './webhooks';

export type { OroCapacity, OroLoad } from './capacity';
export type { OroFault } from './faults';
export type { OroTaskRecord } from './tasks';
export type { OroTaskBatchApi } from './tasks-batch';

/**
 * A local stand-in for Oro's APIs as the sync uses them: OAuth2 client credentials at
 * /oauth2-token (dev/oro/oauth.ts), tasks over JSON:API at /api/tasks (dev/oro/tasks.ts) and
 * calendar events (dev/oro/calendar.ts), with Oro's wire details (string ids, status and
 * priority as relationships, errors with string statuses, page[size]=-1 for all).
 * Tests edit data directly, inject faults and count requests (dev/oro/faults.ts).
 */
export interface OroSimulator {
  url: string;
  registerClient(clientId: string, clientSecret: string): void;
  /** Calendar events (dev/oro/calendar.ts). */
  calendar: OroCalendarSimulator;
  /** Outgoing webhooks of task and calendar event changes (dev/oro/webhooks.ts). */
  webhooks: OroWebhooks;
  tasks(ownerId?: string): OroTaskRecord[];
  createTask(ownerId: string, fields: OroTaskFields): OroTaskRecord;
  editTask(id: string, fields: OroTaskFields): OroTaskRecord;
  deleteTask(id: string): void;
  /**
   * Turns Oro's task workflow (OroCRMTaskBundle `task_flow`, active by default in stock
   * Oro) on or off: while on, the status field is workflow-restricted, so an API write
   * that changes a task's status, or creates one in a status other than open, is refused.
   */
  setTaskWorkflow(active: boolean): void;
  /**
   * Turns the Batch API for tasks (`PATCH /api/tasks` with a list) on, as an Oro whose admin
   * enabled `update_list` for tasks in an api.yml, or off (stock Oro). See dev/oro/tasks-batch.ts.
   */
  setTaskBatchApi(api: OroTaskBatchApi): void;
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
    /** The Batch API for tasks (dev/oro/tasks-batch.ts); stock Oro 6.1 has none (false). */
    taskBatchApi?: OroTaskBatchApi;
  } = {},
): Promise<OroSimulator> {
  const clock = options.clock ?? Date.now;
  let base = '';
  const oauth = createOroOAuth(clock);
  const faults = createOroFaults();
  const webhooks = createOroWebhooks(clock);
  const tasks = createOroTasks(clock, {
    webhooks,
    taskWorkflow: options.taskWorkflow ?? true,
    baseUrl: () => base,
    batchApi: options.taskBatchApi ?? false,
  });
  // The calendar listing mixes in the calling user's tasks, as Oro's task provider does.
  const calendar = createOroCalendar(clock, {
    ...(options.integrationUserId ? { integrationUserId: options.integrationUserId } : {}),
    ...(options.calendarsJsonApi ? { calendarsJsonApi: true } : {}),
    tasksOf: tasks.of,
    onChange: (event, row, owner) =>
      webhooks.emit(`calendarevent.${event}`, () => calendarEventData(row, owner)),
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Date', new Date(clock()).toUTCString()); // Oro's own clock
    const url = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    faults.count(method, url.pathname);
    const body = (await readBody(req)).toString('utf8');
    const contentType = req.headers['content-type'];
    const mode = req.headers['x-mode'];

    if (method === 'POST' && url.pathname === '/oauth2-token') {
      return oauth.token(body, contentType, res);
    }
    if (!url.pathname.startsWith('/api/')) {
      return error(res, 404, 'resource not found', `No route ${url.pathname}`);
    }
    if (!oauth.authorized(req.headers.authorization)) {
      return error(res, 401, 'access denied', 'The access token is invalid or expired.');
    }
    const met = faults.apply(res);
    if (met.done) {
      return;
    }
    const { reply } = met;
    if (calendar.handle({ method, url, body, contentType, reply })) {
      return;
    }
    const answer = (status: number, payload?: unknown) => reply(status, payload);
    if (
      tasks.handle({
        method,
        url,
        body,
        contentType,
        mode: typeof mode === 'string' ? mode : undefined,
        res,
        answer,
      })
    ) {
      return;
    }
    return error(res, 405, 'method not allowed', `${method} is not allowed on ${url.pathname}.`);
  }

  const { listener, load } = withCapacity(options.capacity, handle, (res, e) =>
    error(res, 500, 'runtime exception', String(e)),
  );
  const server: Server = createServer(listener);
  const port = await listen(server, options.port ?? 0);
  base = `http://localhost:${port}`;

  return {
    url: base,
    webhooks,
    registerClient: oauth.registerClient,
    calendar: calendar.api,
    tasks: tasks.list,
    createTask: tasks.create,
    editTask: tasks.edit,
    deleteTask: tasks.delete,
    setTaskWorkflow: tasks.setTaskWorkflow,
    setTaskBatchApi: tasks.setTaskBatchApi,
    failNext: faults.failNext,
    armed: faults.armed,
    requestCounts: faults.requestCounts,
    load,
    resetCounts: faults.resetCounts,
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
