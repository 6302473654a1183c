import { ServiceBusClient } from '@azure/service-bus';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { DEMO } from '../../../dev/seed';
import type { Stack } from '../../../dev/stack';
import { QUEUES } from '../../../shared/messaging/messages';
import { connect } from '../../support/sign-in';
import { apiClient, startTestStack } from '../../support/stack';
import { inMemoryTelemetry } from '../../support/telemetry';
import { until } from '../../support/until';

// Traces of the dev host's function table (the same table Azure runs) with in-memory
// OpenTelemetry SDKs where Azure Monitor's would be registered: HTTP calls, the trace
// carried through the local Service Bus emulator to the run, and the Graph and Oro
// requests of the run under its span.

const telemetry = inMemoryTelemetry();
const USER = DEMO.inheritingUserId;
const MEGAN = 'megan.bowen@contoso.example';

const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const named = (name: string) => telemetry.spans().filter((s) => s.name === name);
/** The spans of `run`'s trace started under it, at any depth. */
function under(run: ReadableSpan): ReadableSpan[] {
  const ids = new Set([run.spanContext().spanId]);
  const found: ReadableSpan[] = [];
  for (let grew = true; grew;) {
    grew = false;
    for (const s of telemetry.spans()) {
      const parent = parentOf(s);
      if (parent && ids.has(parent) && !ids.has(s.spanContext().spanId)) {
        ids.add(s.spanContext().spanId);
        found.push(s);
        grew = true;
      }
    }
  }
  return found;
}
const byId = (id: string | undefined) => telemetry.spans().find((s) => s.spanContext().spanId === id);

describe('traces of HTTP calls, queued runs and their requests to Graph and Oro', () => {
  let stack: Stack;
  let api: ReturnType<typeof apiClient>;
  let offset = 0;

  beforeAll(async () => {
    stack = await startTestStack({ seed: true, clock: () => new Date(Date.now() + offset) });
    api = apiClient(stack.url, await stack.adminToken());
  });
  afterAll(() => stack?.close());

  it('an HTTP call is a span named by its route template, with method and status, never the URL', async () => {
    const r = await api('GET', `/api/users/${USER}/sync?entity=tasks&access_token=s3cr3t`);
    expect(r.status).toBe(200);
    const span = named('GET /api/users/{userId}/sync').at(-1);
    expect(span?.kind).toBe(SpanKind.SERVER);
    expect(span?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/api/users/{userId}/sync',
      'http.response.status_code': 200,
      'faas.name': 'syncStatus',
      'faas.trigger': 'http',
    });
    const text = JSON.stringify(span?.attributes);
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain(USER);
    expect(text).not.toMatch(/Bearer|eyJ/);

    const refused = await api('GET', `/api/users/${USER}/sync`, { token: null });
    expect(refused.status).toBe(401);
    expect(named('GET /api/users/{userId}/sync').at(-1)?.attributes['http.response.status_code']).toBe(401);
  });

  it('carries the trace of "sync now" through Service Bus to the run, with the Graph and Oro requests under the run', async () => {
    await api('PATCH', `/api/settings/users/${USER}`, { body: { tasks: { direction: 'bidirectional' } } });
    expect((await connect(api, USER)).message.ok).toBe(true);
    expect((await api('POST', `/api/users/${USER}/sync`, { body: { entity: 'tasks' } })).status).toBe(202);
    const run = await until('the manual run', () =>
      telemetry.spans().find((s) => s.name === 'sync tasks' && s.attributes['sync.reason'] === 'manual'),
    );
    // The consumer's span ends after the run's (the message is settled then).
    const consumer = await until('the end of its queue function', () => byId(parentOf(run)));
    expect(consumer?.name).toBe('process task-sync');
    expect(consumer?.kind).toBe(SpanKind.CONSUMER);
    const http = byId(consumer && parentOf(consumer));
    expect(http?.name).toBe('POST /api/users/{userId}/sync');
    expect(run.spanContext().traceId).toBe(http?.spanContext().traceId);
    // The run's structured log record: the invocation of the queue function is its run id.
    expect(run.attributes['sync.run_id']).toBe(consumer?.attributes['faas.invocation_id']);
    expect(run.events.find((e) => e.name === 'sync run')?.attributes).toMatchObject({
      'sync.user_id': USER,
      'sync.entity': 'tasks',
      'sync.run_id': run.attributes['sync.run_id'],
      'messaging.message.id': consumer?.attributes['messaging.message.id'],
      'sync.outcome': 'ok',
    });

    const requests = under(run).filter((s) => s.kind === SpanKind.CLIENT);
    const services = new Set(requests.map((s) => s.attributes['sync.service']));
    expect(services).toEqual(new Set(['oro', 'microsoft']));
    for (const r of requests) {
      expect(typeof r.attributes['http.request.method']).toBe('string');
      expect(typeof r.attributes['url.template']).toBe('string');
      expect(typeof r.attributes['http.response.status_code']).toBe('number');
      expect(r.attributes['sync.throttled']).toBe(false);
      expect(r.name).toBe(
        `${String(r.attributes['http.request.method'])} ${String(r.attributes['url.template'])}`,
      );
    }
    const templates = requests.map((s) => `${s.attributes['sync.service'] as string} ${s.name}`);
    expect(templates).toEqual(expect.arrayContaining(['oro POST /oauth2-token', 'oro GET /api/tasks']));
    expect(
      templates.some((t) => /^microsoft GET \/v1\.0\/me\/todo\/lists\/\{id\}\/tasks\/delta$/.test(t)),
    ).toBe(true);
  });

  it('carries the trace of a Graph change notification through Service Bus to the run it queued', async () => {
    const todo = stack.microsoft.todo(MEGAN);
    const task = todo.all().find((x) => x.title === 'Book the flight to Berlin')!;
    todo.update(task.id, { title: 'Book the flight to Berlin (window seat)' });
    const run = await until('the run the notification queued', () =>
      telemetry
        .spans()
        .find((s) => s.name === 'sync tasks' && s.attributes['sync.reason'] === 'notification'),
    );
    const consumer = await until('the end of its queue function', () => byId(parentOf(run)));
    const webhook = byId(consumer && parentOf(consumer));
    expect(consumer?.name).toBe('process task-sync');
    expect(webhook?.name).toBe('POST /api/notifications');
    expect(webhook?.attributes['http.response.status_code']).toBe(202);
    expect(run.spanContext().traceId).toBe(webhook?.spanContext().traceId);
    expect(under(run).some((s) => s.attributes['sync.service'] === 'oro')).toBe(true);
  });

  it('carries the trace of the schedule timer through its shard work item to the runs, and counts the fan-out', async () => {
    offset += 60 * 60_000; // past both entities' next slot
    await stack.timers.fire('scheduleTimer');
    const run = await until('a scheduled run', () =>
      telemetry.spans().find((s) => s.name === 'sync tasks' && s.attributes['sync.reason'] === 'schedule'),
    );
    await until('the end of the shard work item', () => named('process schedule-shards')[0]);
    await until('the end of its queue function', () => byId(parentOf(run)));
    const chain: string[] = [];
    for (let s: ReadableSpan | undefined = run; s; s = byId(parentOf(s))) {
      chain.push(s.name);
    }
    expect(chain).toEqual(['sync tasks', 'process task-sync', 'process schedule-shards', 'scheduleTimer']);
    // The user's two entities may sit in two shards, whose work items end in any order:
    // the counts are read once both have been counted (the wait above is for one of them).
    type Points = Awaited<ReturnType<typeof telemetry.points>>;
    const sum = (points: Points) => points.reduce((n, p) => n + Number(p.value), 0);
    const counted = async (name: string) => {
      const points = await telemetry.points(name);
      return sum(points) >= 2 ? points : undefined;
    };
    const due = await until('both entities counted due', () => counted('sync.fanout.due'));
    const enqueued = await until('both entities counted enqueued', () => counted('sync.fanout.enqueued'));
    expect(sum(due)).toBeGreaterThanOrEqual(2);
    expect(sum(enqueued)).toBeGreaterThanOrEqual(2);
    expect(due.every((p) => typeof p.attributes['sync.shard'] === 'number')).toBe(true);
  });

  it('takes a traceparent from a message only in its strict W3C form', async () => {
    const foreign = '0af7651916cd43dd8448eb211c80319c';
    const client = new ServiceBusClient(stack.serviceBus.connectionString);
    try {
      const sender = client.createSender(QUEUES.tasks);
      for (const [id, traceparent] of [
        ['valid', `00-${foreign}-b7ad6b7169203331-01`],
        ['forged', `00-${foreign.toUpperCase()}-b7ad6b7169203331-01`],
      ]) {
        await sender.sendMessages({
          body: { userId: USER, entity: 'tasks', reason: 'manual', requestedAt: new Date().toISOString() },
          contentType: 'application/json',
          messageId: `manual:${USER}:tasks:trace-${id}`,
          sessionId: USER,
          applicationProperties: { traceparent },
        });
      }
      await sender.close();
    } finally {
      await client.close();
    }
    const consumerOf = (id: string) =>
      named('process task-sync').find(
        (s) => s.attributes['messaging.message.id'] === `manual:${USER}:tasks:trace-${id}`,
      );
    const valid = await until('the valid message', () => consumerOf('valid'));
    const forged = await until('the forged message', () => consumerOf('forged'));
    expect(valid.spanContext().traceId).toBe(foreign);
    expect(parentOf(valid)).toBe('b7ad6b7169203331');
    expect(forged.spanContext().traceId).not.toBe(foreign);
    expect(parentOf(forged)).toBeUndefined();
  });

  it('counts throttled answers by service, and marks the request that was throttled', async () => {
    stack.microsoft.throttleNext(1, 0.01);
    stack.oro.failNext('throttle-429');
    expect((await api('POST', `/api/users/${USER}/sync`, { body: { entity: 'tasks' } })).status).toBe(202);
    const throttled = await until('the throttled answers', async () => {
      const points = await telemetry.points('sync.throttled');
      const by: Record<string, number> = {};
      for (const p of points) {
        by[String(p.attributes['sync.service'])] = Number(p.value);
      }
      return by.oro && by.microsoft ? by : undefined;
    });
    expect(throttled).toEqual({ oro: 1, microsoft: 1 });
    const marked = telemetry.spans().filter((s) => s.attributes['sync.throttled'] === true);
    expect(marked.map((s) => s.attributes['sync.service']).sort()).toEqual(expect.arrayContaining(['oro']));
  });

  it('records no token, secret, query string or item content in any span attribute or log record', () => {
    const spans = telemetry.spans();
    expect(spans.length).toBeGreaterThan(20);
    const values = spans.flatMap((s) =>
      [...Object.values(s.attributes), ...s.events.flatMap((e) => Object.values(e.attributes ?? {}))].map(
        String,
      ),
    );
    for (const value of values) {
      expect(value).not.toMatch(/eyJ|Bearer|secret|token=|\?|\$deltatoken|\$skiptoken|Berlin|@contoso/i);
    }
    // Ids of user data (To Do list and task ids, Oro task ids) are templated out of paths.
    const templates = spans.map((s) => s.attributes['url.template']).filter((t) => t !== undefined);
    expect(templates.every((t) => /^(\/(\{id\}|[\w.$-]+))*$/.test(String(t)))).toBe(true);
    const taskIds = stack.microsoft
      .todo(MEGAN)
      .all()
      .map((t) => t.id);
    expect(values.filter((v) => taskIds.some((id) => v.includes(id)))).toEqual([]);
  });
});
