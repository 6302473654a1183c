import { SpanStatusCode } from '@opentelemetry/api';
import { MAX_DELIVERY_COUNT } from '../../../../shared/scheduling/sync-worker';
import { authenticationClientId, traceSyncRun } from '../../../../shared/telemetry/telemetry';
import { inMemoryTelemetry } from '../../../support/telemetry';

const telemetry = inMemoryTelemetry();
const result = { created: 2, updated: 1, deleted: 0, conflicts: 1, errors: 0 };

describe('traceSyncRun', () => {
  it('wraps a run in a span with its ids and counts it by entity and outcome, items written per operation', async () => {
    const run = await traceSyncRun(
      {
        userId: '101',
        entity: 'tasks',
        reason: 'schedule',
        messageId: 'schedule:101:tasks:1',
        deliveryCount: 1,
      },
      () =>
        Promise.resolve({
          entity: 'tasks' as const,
          status: 'ok' as const,
          result,
          requests: { oro: 3, microsoft: 2 },
        }),
    );
    expect(run.status).toBe('ok');
    const span = telemetry.spans().find((s) => s.name === 'sync tasks');
    expect(span?.attributes).toEqual({
      'sync.user_id': '101',
      'sync.entity': 'tasks',
      'sync.reason': 'schedule',
      'messaging.message.id': 'schedule:101:tasks:1',
      'messaging.servicebus.delivery_count': 1,
      'sync.outcome': 'ok',
    });
    expect(span?.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(await telemetry.points('sync.runs')).toEqual([
      expect.objectContaining({ attributes: { 'sync.entity': 'tasks', 'sync.outcome': 'ok' }, value: 1 }),
    ]);
    const written = await telemetry.points('sync.items.written');
    expect(written.map((p) => [p.attributes['sync.operation'], p.value]).sort()).toEqual([
      ['created', 2],
      ['updated', 1],
    ]);
    expect((await telemetry.points('sync.conflicts'))[0]?.value).toBe(1);
    expect(await telemetry.points('sync.run.duration')).toHaveLength(1);
  });

  it('marks a failed run and a thrown error on the span, with the message only, and rethrows', async () => {
    await traceSyncRun({ userId: '102', entity: 'calendar', reason: 'manual' }, () =>
      Promise.resolve({ entity: 'calendar' as const, status: 'not-ready' as const, error: 'not connected' }),
    );
    const failure = new Error('Oro did not answer');
    await expect(
      traceSyncRun({ userId: '103', entity: 'calendar', reason: 'retry' }, () => Promise.reject(failure)),
    ).rejects.toBe(failure);
    const spans = telemetry.spans().filter((s) => s.name === 'sync calendar');
    expect(spans.map((s) => [s.attributes['sync.user_id'], s.status.code, s.status.message])).toEqual([
      ['102', SpanStatusCode.ERROR, 'not connected'],
      ['103', SpanStatusCode.ERROR, 'Oro did not answer'],
    ]);
    const runs = await telemetry.points('sync.runs');
    expect(
      runs
        .filter((p) => p.attributes['sync.entity'] === 'calendar')
        .map((p) => p.attributes['sync.outcome'])
        .sort(),
    ).toEqual(['error', 'not-ready']);
  });
});

it('counts a run that throws on its last delivery as dead-lettered, and not before', async () => {
  const failure = new Error('unexpected');
  for (const deliveryCount of [MAX_DELIVERY_COUNT - 1, MAX_DELIVERY_COUNT]) {
    await expect(
      traceSyncRun({ userId: '104', entity: 'tasks', reason: 'schedule', deliveryCount }, () =>
        Promise.reject(failure),
      ),
    ).rejects.toBe(failure);
  }
  expect(await telemetry.points('sync.dead_letters')).toEqual([
    expect.objectContaining({ attributes: { 'sync.entity': 'tasks' }, value: 1 }),
  ]);
  const spans = telemetry.spans().filter((s) => s.attributes['sync.user_id'] === '104');
  expect(spans.map((s) => s.attributes['sync.dead_lettered'])).toEqual([undefined, true]);
});

describe('authenticationClientId', () => {
  it('reads the client id of an Entra ID ingestion setting, and nothing else', () => {
    const id = 'c1c1c1c1-0000-4000-8000-000000000001';
    expect(authenticationClientId(`ClientId=${id};Authorization=AAD`)).toBe(id);
    expect(authenticationClientId(`Authorization=aad; ClientId=${id}`)).toBe(id);
    expect(authenticationClientId('Authorization=AAD')).toBeUndefined();
    expect(authenticationClientId(`ClientId=${id}`)).toBeUndefined();
    expect(authenticationClientId(undefined)).toBeUndefined();
  });
});

describe('the structured log record of a run', () => {
  it('is an event on the run span with the ids, outcome and counts, and no error text', async () => {
    await traceSyncRun(
      {
        userId: '105',
        entity: 'tasks',
        reason: 'notification',
        messageId: 'notification:105:tasks:x',
        deliveryCount: 1,
        runId: 'invocation-1',
      },
      () =>
        Promise.resolve({
          entity: 'tasks' as const,
          status: 'failed' as const,
          result: { ...result, errors: 1 },
          error: 'Oro refused "Quarterly review with Contoso": validation failed',
          requests: { oro: 1, microsoft: 1 },
        }),
    );
    const span = telemetry.spans().find((s) => s.attributes['sync.user_id'] === '105');
    expect(span?.attributes['sync.run_id']).toBe('invocation-1');
    expect(span?.events.map((e) => e.name)).toEqual(['sync run']);
    expect(span?.events[0]?.attributes).toEqual({
      'sync.user_id': '105',
      'sync.entity': 'tasks',
      'sync.reason': 'notification',
      'sync.run_id': 'invocation-1',
      'messaging.message.id': 'notification:105:tasks:x',
      'sync.outcome': 'failed',
      'sync.duration_ms': expect.any(Number) as unknown,
      'sync.created': 2,
      'sync.updated': 1,
      'sync.deleted': 0,
      'sync.conflicts': 1,
      'sync.item_errors': 1,
    });
    expect(JSON.stringify(span?.events)).not.toContain('Quarterly');
  });

  it('is written for a run that throws too, with the outcome "error"', async () => {
    await expect(
      traceSyncRun({ userId: '106', entity: 'calendar', reason: 'manual', runId: 'invocation-2' }, () =>
        Promise.reject(new Error('boom')),
      ),
    ).rejects.toThrow('boom');
    const span = telemetry.spans().find((s) => s.attributes['sync.user_id'] === '106');
    expect(span?.events[0]?.attributes).toMatchObject({
      'sync.run_id': 'invocation-2',
      'sync.outcome': 'error',
    });
  });
});
