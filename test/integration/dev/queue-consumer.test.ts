import type { InvocationContext } from '@azure/functions';
import { ServiceBusClient } from '@azure/service-bus';
import type { QueueFunctionDefinition } from '../../../functions/queue';
import { startQueueConsumers, type QueueConsumers } from '../../../dev/queue-consumer';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../dev/servicebus';

interface Call {
  body: unknown;
  session: string;
  start: number;
  end: number;
  meta: Record<string, unknown>;
}

let emulator: ServiceBusEmulator;
let client: ServiceBusClient;
let consumers: QueueConsumers | undefined;
const calls: Call[] = [];
const logs: string[] = [];

/** A queue function that records each invocation; it takes `ms` and throws when the body says so. */
const recorder = (queueName: string): QueueFunctionDefinition => ({
  kind: 'serviceBusQueue',
  name: `record-${queueName}`,
  queueName,
  handler: async (body: unknown, context: InvocationContext) => {
    const start = Date.now();
    const b = body as { ms?: number; fail?: boolean };
    await new Promise((r) => setTimeout(r, b.ms ?? 0));
    calls.push({
      body,
      session: String(context.triggerMetadata?.sessionId),
      start,
      end: Date.now(),
      meta: context.triggerMetadata ?? {},
    });
    if (b.fail) {
      throw new Error('this message is poison');
    }
  },
});

beforeAll(async () => {
  emulator = await startServiceBusEmulator({
    queues: [{ name: 'work', requiresSession: true, maxDeliveryCount: 3, lockDurationMs: 5000 }],
  });
  client = new ServiceBusClient(emulator.connectionString);
});

beforeEach(() => {
  calls.length = 0;
  logs.length = 0;
  consumers = startQueueConsumers({
    connectionString: emulator.connectionString,
    functions: [recorder('work')],
    maxConcurrentSessions: 2,
    sessionIdleMs: 300,
    pollMs: 50,
    log: (line) => logs.push(line),
  });
});

afterEach(async () => {
  await consumers?.close();
});

afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

async function until(check: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error('timed out waiting');
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

it('invokes the function with the parsed body and Service Bus trigger metadata, then completes', async () => {
  await client
    .createSender('work')
    .sendMessages({ body: { n: 1 }, sessionId: 'u1', messageId: 'm-1', subject: 'manual' });
  await until(() => calls.length === 1);
  expect(calls[0]?.body).toEqual({ n: 1 });
  expect(calls[0]?.meta).toMatchObject({
    messageId: 'm-1',
    sessionId: 'u1',
    deliveryCount: 1,
    subject: 'manual',
    enqueuedTimeUtc: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
    sequenceNumber: expect.any(Number) as unknown,
  });
  await until(() => emulator.counts('work').locked === 0);
  expect(emulator.counts('work')).toMatchObject({ active: 0, locked: 0, deadLettered: 0 });
});

it("runs one session's messages one at a time in order, and different sessions side by side", async () => {
  const sender = client.createSender('work');
  await sender.sendMessages(
    [0, 1, 2].flatMap((i) => [
      { body: { s: 'a', i, ms: 150 }, sessionId: 'a', messageId: `a-${i}` },
      { body: { s: 'b', i, ms: 150 }, sessionId: 'b', messageId: `b-${i}` },
    ]),
  );
  await until(() => calls.length === 6);
  for (const s of ['a', 'b']) {
    const mine = calls.filter((c) => c.session === s);
    expect(mine.map((c) => (c.body as { i: number }).i)).toEqual([0, 1, 2]);
    for (let i = 1; i < mine.length; i++) {
      expect(mine[i]!.start).toBeGreaterThanOrEqual(mine[i - 1]!.end);
    }
  }
  // Both sessions were served at once: some a-call overlaps some b-call.
  const a = calls.filter((c) => c.session === 'a');
  const b = calls.filter((c) => c.session === 'b');
  expect(a.some((x) => b.some((y) => x.start < y.end && y.start < x.end))).toBe(true);
});

it('abandons a message whose function throws, so it is retried and then dead-lettered', async () => {
  await client
    .createSender('work')
    .sendMessages({ body: { fail: true }, sessionId: 'p', messageId: 'poison-1' });
  await until(() => emulator.counts('work').deadLettered === 1);
  expect(calls.map((c) => c.meta.deliveryCount)).toEqual([1, 2, 3]);
  expect(emulator.deadLettered('work')).toEqual([
    expect.objectContaining({ messageId: 'poison-1', reason: 'MaxDeliveryCountExceeded' }),
  ]);
  expect(logs.filter((l) => l.includes('poison-1') && l.includes('this message is poison'))).toHaveLength(3);
});

it('stops taking messages once closed, leaving them on the queue', async () => {
  await consumers!.close();
  consumers = undefined;
  await client.createSender('work').sendMessages({ body: { n: 2 }, sessionId: 'late', messageId: 'late-1' });
  await new Promise((r) => setTimeout(r, 400));
  expect(calls).toEqual([]);
  expect(emulator.counts('work').active).toBe(1);
});
