import { startOroSimulator, type OroSimulator } from '../../dev/oro/simulator';
import { clientToken } from '../support/oro-rest';

/**
 * The Oro simulator's Batch API for tasks against what Oro publishes (ApiBundle = oroinc/platform
 * src/Oro/Bundle/ApiBundle at tag 6.1.0; OroCRMTaskBundle = oroinc/OroCRMTaskBundle):
 * stock Oro has no `update_list` for tasks, so PATCH on the list route is not allowed; an
 * Oro whose administrator enabled it answers the synchronous batch as SyncUpdateListTest does.
 */

const JSON_API = 'application/vnd.api+json';

let oro: OroSimulator;
let token = '';
/** Each test's tasks belong to an owner of its own. */
let owner = 30;

beforeAll(async () => {
  oro = await startOroSimulator({ taskWorkflow: false });
  oro.registerClient('sync', 'pw');
  token = await clientToken(oro.url, 'sync', 'pw');
});
afterAll(() => oro.close());
beforeEach(() => {
  oro.setTaskBatchApi(false);
  oro.resetCounts();
  owner++;
});

interface Resource {
  type: string;
  id: string;
  meta?: { dataId?: string };
  attributes: Record<string, unknown>;
}
interface Doc {
  data: Resource[];
  errors: { status: string; title: string; detail: string; source?: { pointer: string } }[];
}
type OperationDoc = { data: Resource };

async function call<T = Doc>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${oro.url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': JSON_API }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

const create = (subject: string, extra: Record<string, unknown> = {}) => ({
  type: 'tasks',
  attributes: { subject },
  relationships: { owner: { data: { type: 'users', id: String(owner) } } },
  ...extra,
});

describe('stock Oro 6.1: no Batch API for tasks', () => {
  it('answers PATCH on the list route with 405 and an Allow header without PATCH (RestPlain/UpdateListTest)', async () => {
    const res = await call('PATCH', '/api/tasks', { data: [create('a'), create('b')] }, { 'X-Mode': 'sync' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('OPTIONS, GET, POST, DELETE');
    expect(oro.tasks(String(owner))).toEqual([]);
  });

  it('says so to OPTIONS too (RestJsonApiSecurity/UnauthenticatedTest::testOptionsForList)', async () => {
    const res = await call('OPTIONS', '/api/tasks');
    expect(res.status).toBe(200);
    expect(res.headers.get('allow')).toBe('OPTIONS, GET, POST, DELETE');
  });
});

describe('Oro 6.1 with update_list enabled for tasks', () => {
  beforeEach(() => oro.setTaskBatchApi({ mode: 'sync' }));

  it('lists PATCH in Allow (RestJsonApi/OptionsRequestTest::testOptionsMethodForListRoute)', async () => {
    const res = await call('OPTIONS', '/api/tasks');
    expect(res.headers.get('allow')).toBe('OPTIONS, GET, PATCH, POST, DELETE');
  });

  it('writes a synchronous batch in one request: every record, in order, request ids as meta.dataId (SyncUpdateListTest::testSynchronousBatchApiRequestWithoutIncludedData)', async () => {
    const existing = oro.createTask(String(owner), { subject: 'existing' });
    const res = await call(
      'PATCH',
      '/api/tasks',
      {
        data: [
          create('new 1', { id: 'new_task1' }),
          create('new 2'),
          { type: 'tasks', id: existing.id, meta: { update: true }, attributes: { subject: 'updated' } },
        ],
      },
      { 'X-Mode': 'sync' },
    );
    expect(res.status).toBe(200);
    const [one, two, three] = res.body.data;
    expect(one).toMatchObject({
      type: 'tasks',
      meta: { dataId: 'new_task1' },
      attributes: { subject: 'new 1' },
    });
    expect(two).toMatchObject({ type: 'tasks', attributes: { subject: 'new 2' } });
    expect(two?.meta).toBeUndefined();
    expect(three).toMatchObject({
      id: existing.id,
      meta: { dataId: existing.id },
      attributes: { subject: 'updated' },
    });
    expect(
      oro
        .tasks(String(owner))
        .map((t) => t.subject)
        .sort(),
    ).toEqual(['new 1', 'new 2', 'updated']);
    expect(oro.requestCounts()).toEqual({ 'PATCH /api/tasks': 1 });
  });

  it('refuses the whole batch when a record is invalid, pointing at the record, and writes none (…WhenPrimaryRequestDataHaveErrors)', async () => {
    const res = await call(
      'PATCH',
      '/api/tasks',
      { data: [create(''), create('fine')] },
      { 'X-Mode': 'sync' },
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        status: '400',
        title: 'not blank constraint',
        detail: 'This value should not be blank.',
        source: { pointer: '/data/0/attributes/subject' },
      },
    ]);
    expect(oro.tasks(String(owner))).toEqual([]);
  });

  it('refuses a synchronous batch past its limit, 100 by default (…WhenPrimaryRequestDataLimitExceeded)', async () => {
    const data = Array.from({ length: 101 }, (_, i) => create(`t${i}`));
    const res = await call('PATCH', '/api/tasks', { data }, { 'X-Mode': 'sync' });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        status: '400',
        title: 'request data constraint',
        detail:
          'The data limit for the synchronous operation exceeded. The maximum number of records that can be processed by the synchronous operation is 100.',
      },
    ]);
    expect(oro.tasks(String(owner))).toEqual([]);
  });

  it('refuses an empty batch and an unknown X-Mode (…WhenRequestDataEmpty; UpdateList/CheckProcessingMode)', async () => {
    expect(
      (await call('PATCH', '/api/tasks', { data: [] }, { 'X-Mode': 'sync' })).body.errors[0],
    ).toMatchObject({
      title: 'request data constraint',
      detail: 'The request data should not be empty.',
    });
    const mode = await call('PATCH', '/api/tasks', { data: [create('x')] }, { 'X-Mode': 'later' });
    expect(mode.status).toBe(400);
    expect(mode.body.errors[0]?.detail).toBe('The accepted values for the "X-Mode" are "sync" or "async".');
  });

  it('queues a batch without X-Mode as an asynchronous operation (202, Content-Location; Resources/doc/api/async_operation.md)', async () => {
    const res = await call<OperationDoc>('PATCH', '/api/tasks', { data: [create('a'), create('b')] });
    expect(res.status).toBe(202);
    expect(res.body.data).toMatchObject({ type: 'asyncoperations', attributes: { status: 'new' } });
    expect(res.headers.get('content-location')).toBe(`/api/asyncoperations/${res.body.data.id}`);
    const op = await call<OperationDoc>('GET', `/api/asyncoperations/${res.body.data.id}`);
    expect(op.body.data.attributes.status).toBe('success');
    expect(oro.tasks(String(owner))).toHaveLength(2);
  });
});

describe('an Oro before 6.1 with update_list enabled', () => {
  it('does not know X-Mode: every batch is asynchronous (CheckProcessingMode came with 6.1.0)', async () => {
    oro.setTaskBatchApi({ mode: 'async' });
    const res = await call('PATCH', '/api/tasks', { data: [create('a'), create('b')] }, { 'X-Mode': 'sync' });
    expect(res.status).toBe(202);
  });
});
