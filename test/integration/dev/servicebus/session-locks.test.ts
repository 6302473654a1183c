import { isServiceBusError, ServiceBusClient, type ServiceBusSessionReceiver } from '@azure/service-bus';
import { create_container, type Connection } from 'rhea';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../../dev/servicebus';

/**
 * A session is locked to one receiver until that receiver closes or stops renewing, and the
 * session lock covers the messages its receiver takes (learn.microsoft.com,
 * azure/service-bus-messaging/message-sessions: the client holds an exclusive lock on all of
 * the session's messages; the SDK refuses to renew a session message's own lock).
 */
const QUEUE = 'locked-sessions';
const LOCK_MS = 2000;
let emulator: ServiceBusEmulator;
let client: ServiceBusClient;

beforeAll(async () => {
  emulator = await startServiceBusEmulator({
    queues: [{ name: QUEUE, requiresSession: true, lockDurationMs: LOCK_MS, maxDeliveryCount: 10 }],
  });
  client = new ServiceBusClient(emulator.connectionString);
});

afterAll(async () => {
  await client.close();
  await emulator.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const codeOf = (error: unknown) => (isServiceBusError(error) ? error.code : String(error));

async function send(messages: { body: unknown; sessionId: string; messageId: string }[]) {
  const sender = client.createSender(QUEUE);
  await sender.sendMessages(messages);
  await sender.close();
}

it('keeps a session message locked past the lock duration while the session lock is renewed', async () => {
  await send([{ body: 'slow', sessionId: 'renewed', messageId: 'renewed-1' }]);
  const receiver = await client.acceptSession(QUEUE, 'renewed');
  try {
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    await sleep(LOCK_MS * 1.6);
    expect(emulator.counts(QUEUE)).toMatchObject({ active: 0, locked: 1 });
    await receiver.completeMessage(message!);
    expect(emulator.counts(QUEUE)).toMatchObject({ active: 0, locked: 0 });
  } finally {
    await receiver.close();
  }
});

it('frees the session of a receiver whose AMQP session ended without a detach', async () => {
  await send([{ body: 'x', sessionId: 'ended', messageId: 'ended-1' }]);
  const connection: Connection = create_container().connect({ host: '127.0.0.1', port: emulator.port });
  try {
    const link = connection.open_receiver({
      source: { address: QUEUE, filter: { 'com.microsoft:session-filter': 'ended' } },
      credit_window: 0,
    });
    await new Promise((resolve) => link.once('receiver_open', resolve));
    expect(codeOf(await client.acceptSession(QUEUE, 'ended').catch((e: unknown) => e))).toBe(
      'SessionCannotBeLocked',
    );
    const session = link.session;
    session.close();
    await new Promise((resolve) => session.once('session_close', resolve));

    const next = await client.acceptSession(QUEUE, 'ended');
    const [message] = await next.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(message?.messageId).toBe('ended-1');
    await next.completeMessage(message!);
    await next.close();
  } finally {
    connection.close();
  }
});

it('never gives a session to two receivers at once, nor a message twice, with 8 receivers renewing through work that outlasts the lock', async () => {
  const SESSIONS = 16;
  const PER_SESSION = 2;
  await send(
    Array.from({ length: SESSIONS * PER_SESSION }, (_, i) => ({
      body: i,
      sessionId: `stress-${i % SESSIONS}`,
      messageId: `stress-${i}`,
    })),
  );
  const holders = new Map<string, number>();
  const overlaps: string[] = [];
  const failures: string[] = [];
  const processed = new Map<string, number>();
  const left = () => {
    const c = emulator.counts(QUEUE);
    return c.active + c.locked;
  };

  const worker = async (w: number) => {
    for (let round = 0; ; round++) {
      let receiver: ServiceBusSessionReceiver;
      try {
        receiver = await client.acceptNextSession(QUEUE, { maxAutoLockRenewalDurationInMs: 60_000 });
      } catch (error) {
        if (codeOf(error) !== 'SessionCannotBeLocked') {
          throw error;
        }
        if (left() === 0) {
          return;
        }
        // Every session with messages is held by another receiver for now.
        await sleep(50);
        continue;
      }
      const sessionId = receiver.sessionId;
      if (holders.has(sessionId)) {
        overlaps.push(`${sessionId}: receiver ${w} while ${holders.get(sessionId)} holds it`);
      }
      holders.set(sessionId, w);
      try {
        for (let n = 0; ; n++) {
          const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 });
          if (!message) {
            break;
          }
          const id = String(message.messageId);
          processed.set(id, (processed.get(id) ?? 0) + 1);
          // Work from well within the lock to half as long again as the lock.
          await sleep(300 + ((w * 7 + round * 13 + n * 29) % 10) * ((LOCK_MS * 1.5 - 300) / 9));
          await receiver.completeMessage(message);
        }
      } catch (error) {
        failures.push(`${sessionId}: ${codeOf(error)}`);
      } finally {
        holders.delete(sessionId);
        await receiver.close();
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));

  expect(overlaps).toEqual([]);
  expect(failures).toEqual([]);
  expect([...processed.values()].filter((n) => n !== 1)).toEqual([]);
  expect(processed.size).toBe(SESSIONS * PER_SESSION);
  expect(emulator.counts(QUEUE)).toMatchObject({ active: 0, locked: 0, deadLettered: 0 });
}, 60_000);
