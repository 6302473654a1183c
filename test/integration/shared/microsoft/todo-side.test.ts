import { trustInThisProcess } from '../../../../dev/microsoft/certificate';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../../../dev/microsoft/simulator';
import { createGraphClient } from '../../../../shared/microsoft/graph-client';
import { TodoTasksSide } from '../../../../shared/microsoft/todo-side';
import type { Write } from '../../../../shared/sync/plan';
import type { TaskFields } from '../../../../shared/sync/tasks/fields';

const USER = 'megan.bowen@contoso.example';
const fields = (title: string): TaskFields => ({
  title,
  description: 'd',
  dueDate: '2026-07-01',
  status: 'open',
  priority: 'high',
});
const create = (title: string, linkId = `L-${title}`): Write<TaskFields> => ({
  op: 'create',
  side: 'microsoft',
  linkId,
  fields: fields(title),
});

describe('To Do side against the Graph simulator', () => {
  let sim: MicrosoftSimulator;
  let sleeps: number[];
  const side = () =>
    new TodoTasksSide(
      createGraphClient(sim.graphUrl, () => sim.graphToken(USER)),
      {
        sleep: (ms) => {
          sleeps.push(ms);
          return Promise.resolve();
        },
      },
    );

  beforeAll(async () => {
    sim = await startMicrosoftSimulator();
    trustInThisProcess(sim.certificate);
  });
  beforeEach(() => {
    sleeps = [];
  });
  afterAll(() => sim.close());

  it('creates 45 tasks in 3 batch requests, each carrying its link id', async () => {
    const s = side();
    sim.resetCounts();
    const results = await s.write(Array.from({ length: 45 }, (_, i) => create(`t${i}`)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(sim.requestCounts()['POST /v1.0/$batch']).toBe(3);
    const stored = sim.todo(USER).all();
    expect(stored).toHaveLength(45);
    expect(stored[0]).toMatchObject({
      title: 't0',
      importance: 'high',
      // Megan's mailbox is in Pacific time: the due day starts at 07:00 UTC in July, which is
      // how To Do stores a date set in the app (Graph "Update todoTask" example).
      dueDateTime: { dateTime: '2026-07-01T07:00:00.0000000', timeZone: 'UTC' },
      linkedResources: [expect.objectContaining({ applicationName: 'Oro CRM', externalId: 'L-t0' })],
    });
  });

  it('reads everything first (paged), then only changes, with link ids', async () => {
    const s = side();
    const first = await s.read(undefined, new Set());
    expect(first.full).toBe(true);
    expect(first.changes).toHaveLength(45);
    expect(first.changes[0]).toMatchObject({
      type: 'upsert',
      item: { linkId: 'L-t0', fields: fields('t0') },
    });

    const [one, two] = sim.todo(USER).all();
    sim.todo(USER).update(one!.id, { title: 'renamed' });
    sim.todo(USER).remove(two!.id);
    const next = await s.read(first.cursor, new Set([one!.id, two!.id]));
    expect(next.full).toBe(false);
    expect(next.changes).toEqual([
      {
        type: 'upsert',
        item: expect.objectContaining({
          id: one!.id,
          fields: expect.objectContaining({ title: 'renamed' }) as unknown,
        }) as unknown,
      },
      { type: 'delete', id: two!.id },
    ]);

    // Idle: one request.
    const idle = side();
    const before = sim.requestCounts();
    const quiet = await idle.read(next.cursor, new Set());
    expect(quiet.changes).toEqual([]);
    expect(idle.requests).toBe(1);
    expect(
      Object.values(sim.requestCounts()).reduce((a, b) => a + b, 0) -
        Object.values(before).reduce((a, b) => a + b, 0),
    ).toBe(1);
  });

  it('re-reads everything after a lost delta token (410) and reports linked tasks that vanished', async () => {
    const s = side();
    const first = await s.read(undefined, new Set());
    const gone = sim.todo(USER).all()[0]!;
    sim.todo(USER).expireDeltaTokens();
    sim.todo(USER).remove(gone.id);
    const next = await s.read(first.cursor, new Set([gone.id]));
    expect(next.full).toBe(true);
    expect(next.changes.filter((c) => c.type === 'delete')).toEqual([{ type: 'delete', id: gone.id }]);
    expect(next.changes.filter((c) => c.type === 'upsert')).toHaveLength(sim.todo(USER).all().length);
  });

  it.each([
    [400, 'syncStateNotFound'],
    [404, 'syncStateNotFound'],
    [400, 'resyncRequired'],
  ] as const)(
    're-reads everything when Graph answers %d %s to the delta token, and drops it',
    async (status, code) => {
      const s = side();
      const first = await s.read(undefined, new Set());
      sim.todo(USER).expireDeltaTokens({ status, code });
      const next = await s.read(first.cursor, new Set());
      expect(next.full).toBe(true);
      expect(next.changes.filter((c) => c.type === 'upsert')).toHaveLength(sim.todo(USER).all().length);
      const token = (c: string) => (JSON.parse(c) as { deltaLink?: string }).deltaLink;
      expect(token(next.cursor)).not.toBe(token(first.cursor));
      await expect(s.read(next.cursor, new Set())).resolves.toMatchObject({ full: false, changes: [] });
    },
  );

  it('does not retry a refused token (401: auth), nor a 501; retries a 503', async () => {
    const refused = new TodoTasksSide(
      createGraphClient(sim.graphUrl, () => Promise.resolve('not-a-token')),
      {
        sleep: () => Promise.resolve(),
      },
    );
    await expect(refused.read(undefined, new Set())).rejects.toMatchObject({
      name: 'SideError',
      kind: 'auth',
      retryable: false,
      status: 401,
    });
    const s = side();
    await s.read(undefined, new Set());
    sim.failNext(501, 'notSupported');
    const [notImplemented] = await s.write([create('never')]);
    expect(notImplemented).toMatchObject({ ok: false, kind: 'permanent', retryable: false, status: 501 });
    sim.failNext(503, 'serviceNotAvailable', 5);
    const [unavailable] = await s.write([create('later')]);
    expect(unavailable).toMatchObject({ ok: false, kind: 'retryable', retryable: true, status: 503 });
  });

  it('waits out 429s inside a batch and retries only the throttled steps', async () => {
    const s = side();
    await s.write([create('warm-up')]); // finds the list first, so only batch steps meet the 429s
    sim.throttleNext(2, 0.5);
    const results = await s.write([create('a'), create('b'), create('c')]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(sleeps).toEqual([500]);
    expect(
      sim
        .todo(USER)
        .all()
        .filter((t) => ['a', 'b', 'c'].includes(t.title)),
    ).toHaveLength(3);
  });

  it('updates only the changed fields and deletes idempotently', async () => {
    const s = side();
    const task = sim.todo(USER).all()[0]!;
    sim.todo(USER).update(task.id, { status: 'deferred' });
    const [updated] = await s.write([
      {
        op: 'update',
        side: 'microsoft',
        linkId: 'L',
        id: task.id,
        fields: { ...fields('x'), priority: 'low' },
        changed: ['priority'],
      },
    ]);
    expect(updated).toMatchObject({ ok: true });
    expect(sim.todo(USER).get(task.id)).toMatchObject({
      importance: 'low',
      status: 'deferred',
      title: task.title,
    });
    expect(await s.write([{ op: 'delete', side: 'microsoft', linkId: 'L', id: task.id }])).toEqual([
      { ok: true, id: task.id, version: '' },
    ]);
    expect(await s.write([{ op: 'delete', side: 'microsoft', linkId: 'L', id: task.id }])).toEqual([
      { ok: true, id: task.id, version: '' },
    ]);
  });

  it('sees our own create deleted before the next delta read (defect: goneOf never ran on delta reads)', async () => {
    const s = side();
    const first = await s.read(undefined, new Set());
    const [made] = await s.write([create('short-lived')]);
    if (!made?.ok) {
      throw new Error('create failed');
    }
    sim.todo(USER).remove(made.id);
    // Graph's delta reports net changes: a task created and deleted since the token is not mentioned.
    const next = await side().read(first.cursor, new Set([made.id]), new Set([made.id]));
    expect(next.full).toBe(false);
    expect(next.changes).toEqual([{ type: 'delete', id: made.id }]);
  });
});

describe('To Do due dates in the mailbox time zone', () => {
  const ADELE = 'adele.vance@contoso.example';
  const WITH_MAILBOX = ['User.Read', 'Calendars.ReadWrite', 'Tasks.ReadWrite', 'MailboxSettings.Read'];
  let sim: MicrosoftSimulator;
  const side = (scopes = WITH_MAILBOX) =>
    new TodoTasksSide(
      createGraphClient(sim.graphUrl, () => sim.graphToken(ADELE, scopes)),
      {
        sleep: () => Promise.resolve(),
      },
    );
  const due = (title: string, dueDate: string): Write<TaskFields> => ({
    op: 'create',
    side: 'microsoft',
    linkId: `Z-${title}`,
    fields: { ...fields(title), dueDate },
  });
  const stored = (title: string) =>
    sim
      .todo(ADELE)
      .all()
      .find((t) => t.title === title)?.dueDateTime;
  const readDue = async (s: TodoTasksSide, title: string) => {
    const result = await s.read(undefined, new Set());
    const item = result.changes.find((c) => c.type === 'upsert' && c.item.fields.title === title);
    return item?.type === 'upsert' ? item.item.fields.dueDate : undefined;
  };

  beforeAll(async () => {
    sim = await startMicrosoftSimulator();
    trustInThisProcess(sim.certificate);
  });
  afterAll(() => sim.close());

  it.each([
    ['W. Europe Standard Time', '2026-06-30T22:00:00.0000000'],
    ['Pacific Standard Time', '2026-07-01T07:00:00.0000000'],
    ['Asia/Tokyo', '2026-06-30T15:00:00.0000000'],
    ['America/Sao_Paulo', '2026-07-01T03:00:00.0000000'],
  ])('writes and reads a due date as a date in %s', async (zone, utc) => {
    sim.setMailboxTimeZone(ADELE, zone);
    const title = `due ${zone}`;
    expect(await side().write([due(title, '2026-07-01')])).toEqual([expect.objectContaining({ ok: true })]);
    expect(stored(title)).toEqual({ dateTime: utc, timeZone: 'UTC' });
    expect(await readDue(side(), title)).toBe('2026-07-01');
  });

  it('reads a due date set in the To Do app in Berlin as that date, not the UTC day before', async () => {
    sim.setMailboxTimeZone(ADELE, 'W. Europe Standard Time');
    sim.todo(ADELE).create({
      title: 'set in the app',
      dueDateTime: { dateTime: '2026-03-12T00:00:00', timeZone: 'W. Europe Standard Time' },
    });
    expect(stored('set in the app')).toEqual({ dateTime: '2026-03-11T23:00:00.0000000', timeZone: 'UTC' });
    expect(await readDue(side(), 'set in the app')).toBe('2026-03-12');
    // Without MailboxSettings.Read (403) the instant is rounded to the nearest midnight.
    expect(await readDue(side(['Tasks.ReadWrite']), 'set in the app')).toBe('2026-03-12');
  });

  it('reads the mailbox zone once a day, keeping it on the cursor', async () => {
    sim.resetCounts();
    const first = await side().read(undefined, new Set());
    const again = await side().read(first.cursor, new Set());
    await side().read(again.cursor, new Set());
    expect(sim.requestCounts()['GET /v1.0/me/mailboxSettings']).toBe(1);
    expect(JSON.parse(again.cursor)).toMatchObject({ zone: 'W. Europe Standard Time' });
  });
});
