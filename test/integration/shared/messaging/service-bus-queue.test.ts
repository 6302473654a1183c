import { ServiceBusClient } from '@azure/service-bus';
import { freePort } from '../../../../dev/ports';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../../dev/servicebus';
import { AppError } from '../../../../shared/errors/app-error';
import { QUEUES, type SyncMessage } from '../../../../shared/messaging/messages';
import {
  createServiceBusQueue,
  type ServiceBusSyncQueue,
} from '../../../../shared/messaging/service-bus-queue';
import type { OutgoingSync } from '../../../../shared/messaging/sync-queue';
import { drainSession } from '../../../support/service-bus';

let emulator: ServiceBusEmulator;
let queue: ServiceBusSyncQueue;
let client: ServiceBusClient;

beforeAll(async () => {
  emulator = await startServiceBusEmulator({
    queues: [
      { name: QUEUES.tasks, requiresSession: true, duplicateDetectionWindowMs: 60_000 },
      { name: QUEUES.calendar, requiresSession: true, duplicateDetectionWindowMs: 60_000 },
    ],
  });
  queue = createServiceBusQueue(emulator.connectionString);
  client = new ServiceBusClient(emulator.connectionString);
});

afterAll(async () => {
  await queue?.close();
  await client?.close();
  await emulator?.close();
});

const body = (
  userId: string,
  entity: SyncMessage['entity'],
  reason: SyncMessage['reason'] = 'manual',
): SyncMessage => ({
  userId,
  entity,
  reason,
  requestedAt: '2026-11-24T10:00:00Z',
});

it('sends each message to its entity queue with sessionId = userId, the messageId and a JSON body', async () => {
  await queue.send([
    { body: body('201', 'tasks'), messageId: 'manual:201:tasks:a' },
    { body: body('201', 'calendar'), messageId: 'manual:201:calendar:a' },
  ]);
  const tasks = await drainSession(client, QUEUES.tasks, '201');
  const calendar = await drainSession(client, QUEUES.calendar, '201');
  expect(tasks.map((m) => [m.messageId, m.sessionId, m.body as unknown])).toEqual([
    ['manual:201:tasks:a', '201', body('201', 'tasks')],
  ]);
  expect(calendar.map((m) => [m.messageId, m.body as unknown])).toEqual([
    ['manual:201:calendar:a', body('201', 'calendar')],
  ]);
  expect(tasks[0]?.contentType).toBe('application/json');
});

it('sends more messages than fit in one batch in several batches, in order', async () => {
  // ~300 bytes each against the link's 256 KB: 1200 messages need two transfers.
  const before = emulator.sent(QUEUES.tasks);
  const ids = Array.from(
    { length: 1200 },
    (_, i) => `manual:202:${String(i).padStart(4, '0')}:${'x'.repeat(100)}`,
  );
  await queue.send(ids.map((messageId) => ({ body: body('202', 'tasks'), messageId })));
  const after = emulator.sent(QUEUES.tasks);
  expect(after.accepted - before.accepted).toBe(1200);
  expect(after.transfers - before.transfers).toBe(2);
  const received = await drainSession(client, QUEUES.tasks, '202');
  expect(received.map((m) => m.messageId)).toEqual(ids);
});

it('drops a resend with the same messageId within the duplicate detection window', async () => {
  const message = { body: body('203', 'tasks', 'schedule'), messageId: 'schedule:203:tasks:slot-1' };
  await queue.send([message]);
  await queue.send([message]);
  const received = await drainSession(client, QUEUES.tasks, '203');
  expect(received).toHaveLength(1);
});

it('schedules a message with scheduledAt: invisible before its time, delivered after', async () => {
  const scheduledAt = new Date(Date.now() + 700);
  await queue.send([{ body: body('204', 'tasks', 'retry'), messageId: 'retry:204:1', scheduledAt }]);
  expect(emulator.counts(QUEUES.tasks).scheduled).toBe(1);
  expect(await drainSession(client, QUEUES.tasks, '204')).toHaveLength(0);
  await new Promise((r) => setTimeout(r, 800));
  const received = await drainSession(client, QUEUES.tasks, '204');
  expect(received.map((m) => m.messageId)).toEqual(['retry:204:1']);
  expect(received[0]?.enqueuedTimeUtc?.getTime()).toBeGreaterThanOrEqual(scheduledAt.getTime());
});

it('refuses an invalid message with the field named, and sends none of the list', async () => {
  const before = emulator.sent(QUEUES.tasks).accepted;
  const bad = {
    body: { ...body('205', 'tasks'), reason: 'whim' },
    messageId: 'x',
  } as unknown as OutgoingSync;
  const error = await queue
    .send([{ body: body('205', 'tasks'), messageId: 'ok:205' }, bad])
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).fieldErrors.map((f) => f.path)).toEqual(['1.body.reason']);
  await expect(queue.send([{ body: body('205', 'tasks'), messageId: '' }])).rejects.toThrow(AppError);
  expect(emulator.sent(QUEUES.tasks).accepted).toBe(before);
});

it('answers ping while the namespace is up', async () => {
  await expect(queue.ping()).resolves.toBeUndefined();
});

it('reports an unreachable namespace as dependency-unavailable', async () => {
  const port = await freePort();
  const unreachable = createServiceBusQueue(
    `Endpoint=sb://localhost:${port};SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true`,
  );
  try {
    const error = await unreachable
      .send([{ body: body('206', 'tasks'), messageId: 'manual:206' }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: 'dependency-unavailable',
      message: expect.stringContaining('task-sync') as unknown,
    });
  } finally {
    await unreachable.close();
  }
});
