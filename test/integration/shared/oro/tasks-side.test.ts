import { startOroSimulator, type OroSimulator } from '../../../../dev/oro/simulator';
import { OroClient, OroTokenCache } from '../../../../shared/oro/client';
import { OroTasksSide } from '../../../../shared/oro/tasks-side';
import type { TaskFields } from '../../../../shared/sync/tasks/fields';

const conn = (oro: OroSimulator) => ({ baseUrl: oro.url, clientId: 'sync', clientSecret: 'pw' });
const fields = (title: string): TaskFields => ({
  title,
  description: '',
  dueDate: null,
  status: 'open',
  priority: 'normal',
});

describe('Oro tasks side against the Oro simulator', () => {
  let oro: OroSimulator;
  let clock = Date.parse('2026-05-01T10:00:00Z');
  const tokens = new OroTokenCache();
  const side = () =>
    new OroTasksSide(new OroClient(conn(oro), tokens, { sleep: () => Promise.resolve() }), '7');

  beforeAll(async () => {
    // task_flow deactivated (stock Oro has it active) so status writes land; the workflow
    // test below turns it on.
    oro = await startOroSimulator({ clock: () => clock, taskWorkflow: false });
    oro.registerClient('sync', 'pw');
  });
  afterAll(() => oro.close());

  it('reads everything first, then what changed; recent seconds once more, settled ones never again', async () => {
    const a = oro.createTask('7', { subject: 'A', dueDate: '2026-05-02T09:00:00Z', priority: 'high' });
    oro.createTask('8', { subject: 'someone else' });
    const first = await side().read(undefined, new Set());
    expect(first.full).toBe(true);
    expect(first.changes).toEqual([
      {
        type: 'upsert',
        item: expect.objectContaining({
          id: a.id,
          fields: { title: 'A', description: '', dueDate: '2026-05-02', status: 'open', priority: 'high' },
        }) as unknown,
      },
    ]);
    const ids = (r: typeof first) => r.changes.map((c) => (c.type === 'upsert' ? c.item.id : c.id));

    clock += 5 * 60_000;
    const b = oro.createTask('7', { subject: 'B' });
    const next = await side().read(first.cursor, new Set([a.id]));
    expect(next.full).toBe(false);
    // A was changed within the settle time of the first read: read once more (same version: a no-op).
    expect(ids(next)).toEqual([a.id, b.id]);

    // An edit in the same second as B, after the read, is seen next time.
    oro.editTask(b.id, { subject: 'B, same second' });
    const third = await side().read(next.cursor, new Set([a.id, b.id]));
    expect(third.changes).toEqual([
      {
        type: 'upsert',
        item: expect.objectContaining({
          id: b.id,
          fields: expect.objectContaining({ title: 'B, same second' }) as unknown,
        }) as unknown,
      },
    ]);

    // Once settled, nothing is read again.
    clock += 60_000;
    const fourth = await side().read(third.cursor, new Set([a.id, b.id]));
    const fifth = await side().read(fourth.cursor, new Set([a.id, b.id]));
    expect(ids(fifth)).toEqual([]);
  });

  it('reports linked tasks that disappeared as deletions, in one request when nothing is newer', async () => {
    const s = side();
    const first = await s.read(undefined, new Set());
    const ids = new Set(oro.tasks('7').map((t) => t.id));
    const [gone] = [...ids];
    oro.deleteTask(gone!);
    clock += 5 * 60_000;
    const before = s.requests;
    const next = await s.read(first.cursor, ids);
    expect(next.changes).toEqual([{ type: 'delete', id: gone }]);
    expect(s.requests - before).toBe(1);
    // Something newer: the stamp listing, then the changed tasks from the watermark.
    const [kept] = [...ids].filter((id) => id !== gone);
    oro.editTask(kept!, { subject: 'changed' });
    const again = s.requests;
    const changed = await s.read(next.cursor, new Set([kept!]));
    expect(changed.changes.map((c) => (c.type === 'upsert' ? c.item.id : c.id))).toEqual([kept]);
    expect(s.requests - again).toBe(2);
  });

  it('writes: create, update only the changed fields, delete (twice is fine)', async () => {
    const s = side();
    const [created] = await s.write([
      { op: 'create', side: 'oro', linkId: 'L', fields: { ...fields('new'), dueDate: '2026-06-01' } },
    ]);
    expect(created).toMatchObject({ ok: true });
    const id = created!.ok ? created!.id : '';
    expect(oro.tasks('7').find((t) => t.id === id)).toMatchObject({
      subject: 'new',
      dueDate: '2026-06-01T12:00:00Z',
      ownerId: '7',
    });

    oro.editTask(id, { description: 'kept by Oro' });
    const [updated] = await s.write([
      {
        op: 'update',
        side: 'oro',
        linkId: 'L',
        id,
        fields: { ...fields('new'), status: 'closed' },
        changed: ['status'],
      },
    ]);
    expect(updated).toMatchObject({ ok: true });
    expect(oro.tasks('7').find((t) => t.id === id)).toMatchObject({
      status: 'closed',
      description: 'kept by Oro',
    });

    expect(await s.write([{ op: 'delete', side: 'oro', linkId: 'L', id }])).toEqual([
      { ok: true, id, version: '' },
    ]);
    expect(await s.write([{ op: 'delete', side: 'oro', linkId: 'L', id }])).toEqual([
      { ok: true, id, version: '' },
    ]);
  });

  it('waits out a 429 and reports a 500 or a dropped answer as a retryable failure', async () => {
    const s = side();
    oro.failNext('throttle-429');
    expect(
      (await s.write([{ op: 'create', side: 'oro', linkId: 'L', fields: fields('after 429') }]))[0],
    ).toMatchObject({ ok: true });
    oro.failNext('error-500');
    expect(
      (await s.write([{ op: 'create', side: 'oro', linkId: 'L', fields: fields('x') }]))[0],
    ).toMatchObject({ ok: false, retryable: true });
    oro.failNext('apply-then-drop');
    const count = oro.tasks('7').length;
    expect(
      (await s.write([{ op: 'create', side: 'oro', linkId: 'L', fields: fields('ambiguous') }]))[0],
    ).toMatchObject({ ok: false, retryable: true });
    expect(oro.tasks('7')).toHaveLength(count + 1); // made, though we never heard
  });

  it('gives up on a request Oro never answers, as a retryable failure that changed nothing', async () => {
    const impatient = new OroTasksSide(new OroClient(conn(oro), tokens, { timeoutMs: 200 }), '7');
    const count = oro.tasks('7').length;
    oro.failNext('hang');
    const [result] = await impatient.write([
      { op: 'create', side: 'oro', linkId: 'L', fields: fields('never') },
    ]);
    expect(result).toMatchObject({
      ok: false,
      retryable: true,
      error: expect.stringContaining('did not answer') as unknown,
    });
    expect(oro.tasks('7')).toHaveLength(count);
  });

  it('classifies what Oro refuses: wrong credentials are auth (not retried), a task gone is gone', async () => {
    const refused = new OroTasksSide(
      new OroClient({ ...conn(oro), clientSecret: 'wrong' }, new OroTokenCache(), {
        sleep: () => Promise.resolve(),
      }),
      '7',
    );
    const [denied] = await refused.write([{ op: 'create', side: 'oro', linkId: 'L', fields: fields('no') }]);
    expect(denied).toMatchObject({ ok: false, kind: 'auth', retryable: false, status: 401 });
    const [gone] = await side().write([
      { op: 'update', side: 'oro', linkId: 'L', id: '999999', fields: fields('gone'), changed: ['title'] },
    ]);
    expect(gone).toMatchObject({ ok: false, kind: 'gone', retryable: false, status: 404 });
  });

  it('fails reads with a SideError that names the status', async () => {
    oro.failNext('error-500');
    await expect(side().read(undefined, new Set())).rejects.toMatchObject({
      name: 'SideError',
      side: 'oro',
      retryable: true,
      status: 500,
    });
  });

  it('simulator: answers an invalid status or priority as Oro does, naming the relationship', async () => {
    const token = (await (
      await fetch(`${oro.url}/oauth2-token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'sync',
          client_secret: 'pw',
        }),
      })
    ).json()) as { access_token: string };
    for (const [relation, type] of [
      ['status', 'taskstatuses'],
      ['taskPriority', 'taskpriorities'],
    ]) {
      const res = await fetch(`${oro.url}/api/tasks`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token.access_token}`,
          'Content-Type': 'application/vnd.api+json',
        },
        body: JSON.stringify({
          data: {
            type: 'tasks',
            attributes: { subject: 'x' },
            relationships: {
              owner: { data: { type: 'users', id: '7' } },
              [relation!]: { data: { type, id: 'bogus' } },
            },
          },
        }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        errors: [
          {
            status: '400',
            title: 'form constraint',
            detail: 'This value is not valid.',
            source: { pointer: `/data/relationships/${relation}/data` },
          },
        ],
      });
    }
  });

  it('refuses wrong integration credentials clearly', async () => {
    const bad = new OroTasksSide(
      new OroClient({ ...conn(oro), clientSecret: 'nope' }, new OroTokenCache()),
      '7',
    );
    await expect(bad.read(undefined, new Set())).rejects.toThrow(
      /refused the integration credentials: Client authentication failed/,
    );
  });

  it('lands the other fields when Oro’s task workflow refuses the status, and says so', async () => {
    const task = oro.createTask('7', { subject: 'Workflow', status: 'open', priority: 'low' });
    oro.setTaskWorkflow(true);
    try {
      const [updated] = await side().write([
        {
          op: 'update',
          side: 'oro',
          linkId: 'W',
          id: task.id,
          fields: { ...fields('Workflow v2'), status: 'closed', priority: 'high' },
          changed: ['title', 'status', 'priority'],
        },
      ]);
      expect(updated).toMatchObject({
        ok: true,
        id: task.id,
      });
      expect(updated?.ok && updated.note).toContain('status "closed"');
      expect(oro.tasks('7').find((t) => t.id === task.id)).toMatchObject({
        subject: 'Workflow v2',
        priority: 'high',
        status: 'open',
      });
      // The version is Oro's actual state: the next read finds it unchanged.
      const read = await side().read(undefined, new Set());
      const item = read.changes.find((c) => c.type === 'upsert' && c.item.id === task.id);
      expect(item?.type === 'upsert' && item.item.version).toBe(updated?.ok && updated.version);

      // A create in a status the workflow does not allow at creation is made open.
      const [created] = await side().write([
        { op: 'create', side: 'oro', linkId: 'W2', fields: { ...fields('Born closed'), status: 'closed' } },
      ]);
      expect(created?.ok && created.note).toContain('status "closed"');
      expect(oro.tasks('7').find((t) => t.subject === 'Born closed')).toMatchObject({ status: 'open' });
    } finally {
      oro.setTaskWorkflow(false);
    }
  });
});
