import { createServer, type IncomingMessage, type Server } from 'node:http';
import { startOroSimulator, type OroSimulator } from '../../dev/oro/simulator';
import { closeNow, listen } from '../../dev/ports';
import { OroClient, OroTokenCache } from '../../shared/oro/client';
import { OroTasksSide } from '../../shared/oro/tasks-side';
import type { TaskFields } from '../../shared/sync/tasks/fields';

/**
 * Published Oro JSON:API task examples (our transcriptions; the source of each is named),
 * replayed against the Oro simulator (does it answer as Oro does?) and against the tasks
 * adapter (does it read Oro's answers and send Oro's requests?). OroCRMTaskBundle =
 * oroinc/OroCRMTaskBundle (src/Oro/Bundle/TaskBundle in oroinc/crm); ApiBundle = oroinc/platform
 * src/Oro/Bundle/ApiBundle.
 */

const JSON_API = 'application/vnd.api+json';

/** OroCRMTaskBundle Tests/Functional/Api/RestJsonApi/responses/get_task.yml, values filled in. */
const GET_TASK = {
  data: {
    type: 'tasks',
    id: '1',
    attributes: {
      subject: 'Meet James',
      description: 'Meet James in the office',
      // '@task1->dueDate->format("Y-m-d\TH:i:s\Z")'
      dueDate: '2035-02-16T22:36:37Z',
      createdAt: '2035-01-02T10:00:00Z',
      updatedAt: '2035-01-03T10:00:00Z',
    },
    relationships: {
      taskPriority: { data: { type: 'taskpriorities', id: 'normal' } },
      status: { data: { type: 'taskstatuses', id: 'open' } },
      activityTargets: { data: [{ type: 'contacts', id: '7' }] },
    },
  },
};

/** OroCRMTaskBundle …/RestJsonApi/responses/cget_task.yml: the second item (no description, no due date). */
const CGET_TASK_2 = {
  type: 'tasks',
  id: '2',
  attributes: { subject: 'Task 2', description: null, dueDate: null, updatedAt: '2035-01-03T11:00:00Z' },
  relationships: {
    taskPriority: { data: { type: 'taskpriorities', id: 'normal' } },
    status: { data: { type: 'taskstatuses', id: 'open' } },
    activityTargets: { data: [] },
  },
};

/** OroCRMTaskBundle …/RestJsonApi/requests/update_task.yml (the activityTargets left out: not synced). */
const UPDATE_TASK = {
  data: {
    type: 'tasks',
    id: '1',
    attributes: {
      subject: 'New subject of test task',
      description: 'New description of test task',
      dueDate: '2036-02-16T22:36:37Z',
    },
    relationships: { taskPriority: { data: { type: 'taskpriorities', id: 'high' } } },
  },
};

/** OroCRMTaskBundle …/RestJsonApi/TaskTest.php testTryToUpdateRelationshipForStatus (a validation error document). */
const WORKFLOW_REFUSAL = {
  errors: [
    {
      status: '400',
      title: 'workflow entity constraint',
      detail: 'Field could not be edited because of workflow restrictions.',
      source: { pointer: '/data/relationships/status/data' },
    },
  ],
};

interface Recorded {
  method: string;
  url: URL;
  body: unknown;
}

/** A stand-in that answers the adapter with the transcriptions, recording what it was sent. */
async function replay(answer: (r: Recorded) => { status: number; body?: unknown }) {
  const seen: Recorded[] = [];
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString('utf8')));
      req.on('end', () => resolve(text));
    });
  const server: Server = createServer((req, res) => {
    void read(req).then((text) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/oauth2-token') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ token_type: 'Bearer', expires_in: 3600, access_token: 'replayed' }));
        return;
      }
      const r = { method: req.method ?? 'GET', url, body: text ? (JSON.parse(text) as unknown) : undefined };
      seen.push(r);
      const { status, body } = answer(r);
      res.writeHead(status, body === undefined ? {} : { 'Content-Type': JSON_API });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    });
  });
  const port = await listen(server, 0);
  const side = new OroTasksSide(
    new OroClient(
      { baseUrl: `http://localhost:${port}`, clientId: 'c', clientSecret: 's' },
      new OroTokenCache(),
      {
        sleep: () => Promise.resolve(),
      },
    ),
    '5',
  );
  return { side, seen, close: () => closeNow(server) };
}

describe('Oro tasks conformance: the simulator answers as Oro does', () => {
  let oro: OroSimulator;
  let client: OroClient;
  beforeAll(async () => {
    oro = await startOroSimulator();
    oro.registerClient('sync', 'pw');
    client = new OroClient({ baseUrl: oro.url, clientId: 'sync', clientSecret: 'pw' }, new OroTokenCache());
  });
  afterAll(() => oro.close());

  it('get_task.yml: string ids, status and taskPriority as relationships, dueDate in whole seconds with Z', async () => {
    const t = oro.createTask('5', { subject: 'Meet James', dueDate: '2035-02-16T22:36:37Z' });
    const res = await client.request('GET', `/api/tasks/${t.id}`);
    expect(res.status).toBe(200);
    const doc = res.body as typeof GET_TASK;
    expect(doc.data.id).toBe(t.id);
    expect(typeof doc.data.id).toBe('string');
    expect(doc.data.type).toBe(GET_TASK.data.type);
    expect(doc.data.attributes.dueDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(doc.data.relationships.status.data).toEqual({ type: 'taskstatuses', id: 'open' });
    expect(doc.data.relationships.taskPriority.data).toEqual({ type: 'taskpriorities', id: 'normal' });
    for (const key of Object.keys(GET_TASK.data.attributes)) {
      expect(doc.data.attributes).toHaveProperty(key);
    }
  });

  it('cget_task.yml: a task without description or due date lists them as null', async () => {
    oro.createTask('6', { subject: 'Task 2' });
    const res = await client.request('GET', '/api/tasks?filter[owner]=6');
    const [item] = (res.body as { data: (typeof CGET_TASK_2)[] }).data;
    expect(item?.attributes).toMatchObject({ subject: 'Task 2', description: null, dueDate: null });
  });

  it('update_task.yml: the PATCH is accepted and leaves the status as it was (TaskTest::testUpdate)', async () => {
    const t = oro.createTask('5', { subject: 'Before', status: 'in_progress' });
    const res = await client.request('PATCH', `/api/tasks/${t.id}`, {
      data: { ...UPDATE_TASK.data, id: t.id },
    });
    expect(res.status).toBe(200);
    expect(oro.tasks('5').find((x) => x.id === t.id)).toMatchObject({
      subject: 'New subject of test task',
      description: 'New description of test task',
      dueDate: '2036-02-16T22:36:37Z',
      priority: 'high',
      status: 'in_progress',
    });
  });

  it('TaskTest::testTryToUpdateRelationshipForStatus: the workflow refuses a status change with a JSON:API error document', async () => {
    // No switch: task_flow.yml has `defaults: active: true`, so a stock Oro refuses it.
    const t = oro.createTask('5', { subject: 'Flow' });
    const res = await client.request('PATCH', `/api/tasks/${t.id}`, {
      data: {
        type: 'tasks',
        id: t.id,
        relationships: { status: { data: { type: 'taskstatuses', id: 'closed' } } },
      },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(WORKFLOW_REFUSAL);
  });

  it('task_flow/entity_restrictions.yml: a stock Oro creates a task open only, and keeps a status an update leaves alone', async () => {
    const create = (status: string) =>
      client.request('POST', '/api/tasks', {
        data: {
          type: 'tasks',
          attributes: { subject: `Born ${status}` },
          relationships: {
            status: { data: { type: 'taskstatuses', id: status } },
            owner: { data: { type: 'users', id: '5' } },
          },
        },
      });
    expect((await create('in_progress')).status).toBe(400);
    const open = await create('open');
    expect(open.status).toBe(201);
    const id = (open.body as { data: { id: string } }).data.id;
    // The status sent unchanged is no change: the rest of the update lands.
    const same = await client.request('PATCH', `/api/tasks/${id}`, {
      data: {
        type: 'tasks',
        id,
        attributes: { subject: 'Still open' },
        relationships: { status: { data: { type: 'taskstatuses', id: 'open' } } },
      },
    });
    expect(same.status).toBe(200);
    expect(oro.tasks('5').find((x) => x.id === id)).toMatchObject({ subject: 'Still open', status: 'open' });
  });

  it('GetWithIncludeFieldsTest testFieldsFilter / testFieldsFilterWithEmptyValue: sparse fieldsets', async () => {
    const t = oro.createTask('8', { subject: 'Sparse' });
    const some = await client.request(
      'GET',
      `/api/tasks?filter[owner]=8&fields[tasks]=subject,activityTargets`,
    );
    expect((some.body as { data: unknown[] }).data).toEqual([
      { type: 'tasks', id: t.id, attributes: { subject: 'Sparse' } },
    ]);
    const none = await client.request('GET', `/api/tasks?filter[owner]=8&fields[tasks]=`);
    expect((none.body as { data: unknown[] }).data).toEqual([{ type: 'tasks', id: t.id }]);
    // GetWithIncludeFieldsTest testFieldsFilterWithEndingComma.
    const bad = await client.request('GET', `/api/tasks?fields[tasks]=subject,`);
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      errors: [
        {
          status: '400',
          title: 'filter constraint',
          detail: 'Expected an array of strings. Given "subject,".',
          source: { parameter: 'fields[tasks]' },
        },
      ],
    });
  });

  it('TaskUpdateListTest: filter[…][gt] is the operator spelling; our watermark filter uses it', async () => {
    const t = oro.createTask('9', { subject: 'Recent' });
    const all = await client.request(
      'GET',
      `/api/tasks?filter[owner]=9&filter[updatedAt][gt]=2000-01-01T00:00:00Z`,
    );
    expect((all.body as { data: { id: string }[] }).data.map((d) => d.id)).toEqual([t.id]);
    const none = await client.request(
      'GET',
      `/api/tasks?filter[owner]=9&filter[updatedAt][gt]=2999-01-01T00:00:00Z`,
    );
    expect((none.body as { data: unknown[] }).data).toEqual([]);
  });
});

describe('Oro tasks conformance: the adapter reads and writes what Oro answers and expects', () => {
  const expected = (over: Partial<TaskFields>): TaskFields => ({
    title: 'Meet James',
    description: 'Meet James in the office',
    dueDate: '2035-02-16',
    status: 'open',
    priority: 'normal',
    ...over,
  });

  it('reads get_task.yml and cget_task.yml items (null description and due date included)', async () => {
    const r = await replay(() => ({ status: 200, body: { data: [GET_TASK.data, CGET_TASK_2] } }));
    try {
      const read = await r.side.read(undefined, new Set());
      expect(read.changes).toEqual([
        { type: 'upsert', item: expect.objectContaining({ id: '1', fields: expected({}) }) as unknown },
        {
          type: 'upsert',
          item: expect.objectContaining({
            id: '2',
            fields: expected({ title: 'Task 2', description: '', dueDate: null }),
          }) as unknown,
        },
      ]);
      // The listing's spelling: filter[owner], sort, page[size] (TaskTest, TaskUpdateListTest).
      const query = r.seen[0]!.url.searchParams;
      expect(query.get('filter[owner]')).toBe('5');
      expect(query.get('sort')).toBe('updatedAt');
      expect(query.get('page[size]')).toMatch(/^\d+$/);
    } finally {
      await r.close();
    }
  });

  it('asks for ids and update times with a sparse fieldset and reads resources that have no attributes', async () => {
    const r = await replay((req) =>
      req.url.searchParams.has('fields[tasks]')
        ? { status: 200, body: { data: [{ type: 'tasks', id: '1' }] } }
        : { status: 200, body: { data: [] } },
    );
    try {
      const read = await r.side.read(
        JSON.stringify({ watermark: '2035-01-01T00:00:00.000Z' }),
        new Set(['1', '2']),
      );
      expect(read.changes).toEqual([{ type: 'delete', id: '2' }]);
      const ids = r.seen.find((s) => s.url.searchParams.has('fields[tasks]'))!.url.searchParams;
      expect(ids.get('fields[tasks]')).toBe('updatedAt');
      // No update time in the answer: the changed tasks are listed from the watermark, to be sure.
      expect(r.seen[1]!.url.searchParams.get('filter[updatedAt][gt]')).toBe('2035-01-01T00:00:00.000Z');
    } finally {
      await r.close();
    }
  });

  it('sends an update shaped as update_task.yml: type, string id, attributes, taskPriority relationship', async () => {
    const r = await replay((req) => ({
      status: 200,
      body: {
        data: {
          ...GET_TASK.data,
          attributes: { ...GET_TASK.data.attributes, ...(req.body as typeof UPDATE_TASK).data.attributes },
        },
      },
    }));
    try {
      const [result] = await r.side.write([
        {
          op: 'update',
          side: 'oro',
          linkId: 'L',
          id: '1',
          fields: expected({
            title: 'New subject of test task',
            description: 'New description of test task',
            dueDate: '2036-02-16',
            priority: 'high',
          }),
          changed: ['title', 'description', 'dueDate', 'priority'],
        },
      ]);
      expect(result).toMatchObject({ ok: true, id: '1' });
      const sent = r.seen[0]!;
      expect(sent.method).toBe('PATCH');
      expect(sent.url.pathname).toBe('/api/tasks/1');
      const body = sent.body as typeof UPDATE_TASK;
      expect(Object.keys(body.data).sort()).toEqual(Object.keys(UPDATE_TASK.data).sort());
      expect(body.data.id).toBe(UPDATE_TASK.data.id);
      expect(body.data.relationships).toEqual(UPDATE_TASK.data.relationships);
      expect(Object.keys(body.data.attributes).sort()).toEqual(
        Object.keys(UPDATE_TASK.data.attributes).sort(),
      );
      expect(body.data.attributes.dueDate).toMatch(/^2036-02-16T\d{2}:\d{2}:\d{2}Z$/);
    } finally {
      await r.close();
    }
  });

  it('a workflow refusal (TaskTest::testTryToUpdateRelationshipForStatus) lands the rest without the status', async () => {
    const r = await replay((req) => {
      const body = req.body as { data: { relationships?: Record<string, unknown> } };
      return body.data.relationships?.status
        ? { status: 400, body: WORKFLOW_REFUSAL }
        : { status: 200, body: GET_TASK };
    });
    try {
      const [result] = await r.side.write([
        {
          op: 'update',
          side: 'oro',
          linkId: 'L',
          id: '1',
          fields: expected({ status: 'closed' }),
          changed: ['title', 'status'],
        },
      ]);
      expect(result?.ok && result.note).toContain('workflow entity constraint');
      expect(r.seen).toHaveLength(2);
      expect((r.seen[1]!.body as { data: { relationships: unknown } }).data.relationships).toEqual({});
    } finally {
      await r.close();
    }
  });
});
