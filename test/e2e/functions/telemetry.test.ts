import { SpanStatusCode } from '@opentelemetry/api';
import { DEMO } from '../../../dev/seed';
import type { Stack } from '../../../dev/stack';
import { apiClient, startTestStack } from '../../support/stack';
import { inMemoryTelemetry } from '../../support/telemetry';

// Telemetry of a queued run through the dev host's task-sync function, with in-memory
// OpenTelemetry SDKs where Azure Monitor's would be registered on Azure.

const telemetry = inMemoryTelemetry();

describe('telemetry of a queued sync run', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startTestStack({ seed: true });
  });
  afterAll(() => stack?.close());

  it('records a span with the message ids and the outcome, and counts the run', async () => {
    const api = apiClient(stack.url, await stack.adminToken());
    const run = await api('POST', '/dev/queues/task-sync', {
      body: {
        userId: DEMO.inheritingUserId,
        entity: 'tasks',
        reason: 'manual',
        requestedAt: new Date().toISOString(),
      },
    });
    expect(run.status).toBe(204);
    const span = telemetry.spans().find((s) => s.name === 'sync tasks');
    expect(span?.attributes).toMatchObject({
      'sync.user_id': DEMO.inheritingUserId,
      'sync.entity': 'tasks',
      'sync.reason': 'manual',
      'sync.outcome': 'not-ready',
    });
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    // Ids and outcomes only: no token, secret or item content in what is exported.
    expect(JSON.stringify(telemetry.spans().map((s) => s.attributes))).not.toMatch(/eyJ|secret|Bearer/i);
    expect(await telemetry.points('sync.runs')).toEqual([
      expect.objectContaining({
        attributes: { 'sync.entity': 'tasks', 'sync.outcome': 'not-ready' },
        value: 1,
      }),
    ]);
  });
});
