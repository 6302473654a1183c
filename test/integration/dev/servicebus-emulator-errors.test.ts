import { isServiceBusError, ServiceBusClient } from '@azure/service-bus';
import { connect, type EventContext, type Message } from 'rhea';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../dev/servicebus';

/** What the emulator answers to requests it does not serve: a clear error, never a hang. */
let emulator: ServiceBusEmulator;
let client: ServiceBusClient;

beforeAll(async () => {
  emulator = await startServiceBusEmulator({
    queues: [{ name: 'plain' }, { name: 'sessions', requiresSession: true }],
  });
  client = new ServiceBusClient(emulator.connectionString, {
    retryOptions: { maxRetries: 0, timeoutInMs: 5000 },
  });
});

afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

async function failure(work: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isServiceBusError(error)) {
    throw new Error(`expected a ServiceBusError, got ${String(error)}`);
  }
  return { code: error.code, message: error.message };
}

it('refuses a send to a queue that does not exist', async () => {
  const sender = client.createSender('nowhere');
  expect(await failure(sender.sendMessages({ body: 1 }))).toMatchObject({
    code: 'MessagingEntityNotFound',
    message: expect.stringContaining('nowhere') as unknown,
  });
  await sender.close();
});

it('refuses a message without a sessionId on a session queue, and keeps nothing', async () => {
  const sender = client.createSender('sessions');
  const error = await sender.sendMessages({ body: 1 }).catch((e: unknown) => e);
  expect(String(error)).toContain('requires a sessionId');
  expect(emulator.counts('sessions')).toMatchObject({ active: 0, scheduled: 0 });
  await sender.close();
});

it('refuses a receiver without a session on a session queue', async () => {
  const receiver = client.createReceiver('sessions');
  const error = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 }).catch((e: unknown) => e);
  expect(String(error)).toContain('requires sessions');
  await receiver.close();
});

it('answers an unknown $management operation with 501 and the operation named', async () => {
  const connection = connect({ host: '127.0.0.1', port: emulator.port, reconnect: false });
  try {
    const response = await new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer')), 3000);
      connection.open_receiver({
        source: { address: 'plain/$management' },
        target: { address: 'me' },
        name: 'me',
      });
      const sender = connection.open_sender({ target: { address: 'plain/$management' } });
      connection.on('message', (context: EventContext) => {
        clearTimeout(timer);
        resolve(context.message as Message);
      });
      sender.once('sendable', () => {
        sender.send({
          message_id: 'req-1',
          reply_to: 'me',
          application_properties: { operation: 'com.microsoft:make-coffee' },
          body: {},
        });
      });
    });
    expect(response.correlation_id).toBe('req-1');
    expect(response.application_properties).toMatchObject({
      statusCode: 501,
      errorCondition: 'amqp:not-implemented',
      statusDescription: expect.stringContaining('com.microsoft:make-coffee') as unknown,
    });
  } finally {
    connection.close();
  }
});
