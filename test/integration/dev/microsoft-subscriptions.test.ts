import { createServer, type IncomingMessage, type Server } from 'node:http';
import { trustInThisProcess } from '../../../dev/microsoft/certificate';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../../dev/microsoft/simulator';
import { closeNow, listen } from '../../../dev/ports';
import { readBody } from '../../../dev/microsoft/respond';

const MEGAN = 'megan.bowen@contoso.example';

/** A subscriber endpoint whose handshake answer the test chooses; it records what Graph posts. */
async function subscriber() {
  const received: { url: string; body: unknown }[] = [];
  let answer: (token: string) => { status: number; type: string; body: string } = (token) => ({
    status: 200,
    type: 'text/plain',
    body: token,
  });
  const server: Server = createServer((req: IncomingMessage, res) => {
    void readBody(req).then((body) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const token = url.searchParams.get('validationToken');
      if (token !== null) {
        const a = answer(token);
        res.writeHead(a.status, { 'Content-Type': a.type });
        res.end(a.body);
        return;
      }
      received.push({ url: url.pathname, body: JSON.parse(body.toString('utf8')) as unknown });
      res.writeHead(202);
      res.end();
    });
  });
  const port = await listen(server);
  return {
    url: `http://localhost:${port}`,
    received,
    answerWith: (f: typeof answer) => (answer = f),
    close: () => closeNow(server),
  };
}

describe('Microsoft simulator: change-notification subscriptions', () => {
  let sim: MicrosoftSimulator;
  let hook: Awaited<ReturnType<typeof subscriber>>;
  let token: string;

  beforeAll(async () => {
    sim = await startMicrosoftSimulator();
    trustInThisProcess(sim.certificate);
    hook = await subscriber();
    token = await sim.graphToken(MEGAN);
  });
  afterAll(async () => {
    await hook.close();
    await sim.close();
  });

  const graph = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sim.graphUrl}/v1.0${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
  };
  const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString();
  const todoResource = () => `/me/todo/lists/${sim.todo(MEGAN).listId}/tasks`;
  const valid = () => ({
    changeType: 'created,updated,deleted',
    notificationUrl: `${hook.url}/notify`,
    lifecycleNotificationUrl: `${hook.url}/lifecycle`,
    resource: todoResource(),
    expirationDateTime: minutes(4000),
    clientState: 'c'.repeat(128),
  });

  it('refuses what Graph refuses: unsupported resource, change type, non-https URL, lifetime over the maximum, long clientState', async () => {
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ resource: '/me/contacts' }, 400, /not supported/],
      [{ resource: '/me/todo/lists/nope/tasks' }, 404, /does not exist/],
      [{ changeType: 'created,renamed' }, 400, /changeType/],
      [{ notificationUrl: 'http://example.com/hook' }, 400, /https/],
      [{ expirationDateTime: minutes(4300) }, 400, /4230 minutes/],
      [{ resource: '/me/events', expirationDateTime: minutes(10_100) }, 400, /10080 minutes/],
      [{ expirationDateTime: minutes(-1) }, 400, /future/],
      [{ clientState: 'c'.repeat(129) }, 400, /128/],
    ];
    for (const [change, status, message] of cases) {
      const res = await graph('POST', '/subscriptions', { ...valid(), ...change });
      expect({ change, status: res.status }).toEqual({ change, status });
      expect((res.body.error as { message: string }).message).toMatch(message);
    }
    expect(sim.subscriptions.all()).toEqual([]);
  });

  it('requires the validation handshake on both URLs: a wrong echo or type fails the create', async () => {
    hook.answerWith(() => ({ status: 200, type: 'text/plain', body: 'something else' }));
    const wrong = await graph('POST', '/subscriptions', valid());
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ code: 'ValidationError' });
    hook.answerWith((t) => ({ status: 200, type: 'application/json', body: t }));
    expect((await graph('POST', '/subscriptions', valid())).status).toBe(400);
    hook.answerWith((t) => ({ status: 200, type: 'text/plain', body: t }));
    expect(sim.subscriptions.all()).toEqual([]);
  });

  it('creates, reads, renews within the maximum and deletes a subscription', async () => {
    const created = await graph('POST', '/subscriptions', valid());
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ resource: todoResource(), changeType: 'created,updated,deleted' });
    expect((await graph('GET', `/subscriptions/${id}`)).body.id).toBe(id);
    expect((await graph('PATCH', `/subscriptions/${id}`, { expirationDateTime: minutes(9000) })).status).toBe(
      400,
    );
    const renewed = await graph('PATCH', `/subscriptions/${id}`, { expirationDateTime: minutes(4200) });
    expect(renewed.status).toBe(200);
    expect(Date.parse(renewed.body.expirationDateTime as string)).toBeGreaterThan(Date.now() + 4100 * 60_000);
    expect((await graph('DELETE', `/subscriptions/${id}`)).status).toBe(204);
    expect((await graph('DELETE', `/subscriptions/${id}`)).status).toBe(404);
  });

  it("posts To Do changes in Graph's format, a burst in one request, and lifecycle events on demand", async () => {
    const created = await graph('POST', '/subscriptions', valid());
    const id = created.body.id as string;
    const todo = sim.todo(MEGAN);
    const task = todo.create({ title: 'one' });
    todo.update(task.id, { title: 'two' });
    todo.remove(task.id);
    await sim.subscriptions.idle();
    const changes = hook.received.filter((r) => r.url === '/notify');
    expect(changes).toHaveLength(1);
    const value = (changes[0]!.body as { value: Record<string, unknown>[] }).value;
    expect(value.map((v) => v.changeType)).toEqual(['created', 'updated', 'deleted']);
    expect(value[0]).toEqual({
      subscriptionId: id,
      subscriptionExpirationDateTime: created.body.expirationDateTime,
      changeType: 'created',
      resource: expect.stringMatching(
        new RegExp(`^Users/[^/]+/todo/lists/${todo.listId}/tasks/${task.id}$`),
      ) as unknown,
      resourceData: expect.objectContaining({
        '@odata.type': '#Microsoft.Graph.todoTask',
        id: task.id,
      }) as unknown,
      clientState: 'c'.repeat(128),
      tenantId: expect.any(String) as unknown,
    });

    sim.subscriptions.autoNotify = false;
    todo.create({ title: 'quiet' });
    await sim.subscriptions.idle();
    expect(hook.received.filter((r) => r.url === '/notify')).toHaveLength(1);
    sim.subscriptions.autoNotify = true;

    const delivery = await sim.subscriptions.fireLifecycle(id, 'subscriptionRemoved');
    expect(delivery.status).toBe(202);
    expect(hook.received.at(-1)).toEqual({
      url: '/lifecycle',
      body: {
        value: [expect.objectContaining({ subscriptionId: id, lifecycleEvent: 'subscriptionRemoved' })],
      },
    });
    expect(sim.subscriptions.all()).toEqual([]);
  });

  it('posts calendar changes to an /me/events subscription', async () => {
    const created = await graph('POST', '/subscriptions', {
      ...valid(),
      resource: 'me/events',
      expirationDateTime: minutes(10_000),
    });
    expect(created.status).toBe(201);
    const before = hook.received.length;
    const event = sim.calendar(MEGAN).create({
      subject: 'Quarterly review',
      start: { dateTime: '2026-12-01T10:00:00', timeZone: 'UTC' },
      end: { dateTime: '2026-12-01T11:00:00', timeZone: 'UTC' },
    });
    if ('error' in event) {
      throw new Error(event.error);
    }
    await sim.subscriptions.idle();
    const posted = hook.received.slice(before).filter((r) => r.url === '/notify');
    expect(posted).toHaveLength(1);
    expect((posted[0]!.body as { value: unknown[] }).value).toEqual([
      expect.objectContaining({
        subscriptionId: created.body.id,
        changeType: 'created',
        resource: expect.stringMatching(new RegExp(`/events/${event.id}$`)) as unknown,
        resourceData: expect.objectContaining({
          '@odata.type': '#Microsoft.Graph.Event',
          id: event.id,
        }) as unknown,
      }),
    ]);
  });
});
