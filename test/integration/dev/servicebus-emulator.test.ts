import { randomUUID } from 'node:crypto';
import {
  isServiceBusError,
  ServiceBusClient,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
} from '@azure/service-bus';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../dev/servicebus';

/**
 * The Service Bus behaviour the project relies on, pinned through the real SDK. Runs against
 * the local emulator, or against a real namespace when SERVICEBUS_CONNECTION_STRING is set
 * (then SERVICEBUS_TEST_QUEUE and SERVICEBUS_TEST_SESSION_QUEUE name two existing queues with
 * duplicate detection on, and the SERVICEBUS_TEST_* numbers below state their settings).
 */
const real = process.env.SERVICEBUS_CONNECTION_STRING;
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const QUEUE = real ? (process.env.SERVICEBUS_TEST_QUEUE ?? 'contract') : 'contract';
const SESSION_QUEUE = real
  ? (process.env.SERVICEBUS_TEST_SESSION_QUEUE ?? 'contract-sessions')
  : 'contract-sessions';
const LOCK_MS = real ? env('SERVICEBUS_TEST_LOCK_DURATION_MS', 5000) : 1000;
const MAX_DELIVERY = real ? env('SERVICEBUS_TEST_MAX_DELIVERY_COUNT', 3) : 3;

let emulator: ServiceBusEmulator | undefined;
let client: ServiceBusClient;
const opened: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  if (!real) {
    emulator = await startServiceBusEmulator({
      queues: [
        {
          name: QUEUE,
          maxDeliveryCount: MAX_DELIVERY,
          lockDurationMs: LOCK_MS,
          duplicateDetectionWindowMs: 60_000,
        },
        {
          name: SESSION_QUEUE,
          requiresSession: true,
          maxDeliveryCount: MAX_DELIVERY,
          lockDurationMs: LOCK_MS,
          duplicateDetectionWindowMs: 60_000,
        },
      ],
    });
  }
  // A short operation timeout: on a real namespace, accepting from an empty session queue waits that long.
  client = new ServiceBusClient(real ?? emulator!.connectionString, {
    retryOptions: { maxRetries: 1, timeoutInMs: 5000 },
  });
  await purgeSessions(SESSION_QUEUE);
}, 60_000);

beforeEach(async () => {
  await purge(QUEUE);
  await purge(QUEUE, true);
});

afterEach(async () => {
  for (const link of opened.splice(0)) {
    await link.close();
  }
});

afterAll(async () => {
  await client?.close();
  await emulator?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const id = () => randomUUID();

function receiver(options: { deadLetter?: boolean; autoRenew?: boolean } = {}): ServiceBusReceiver {
  const r = client.createReceiver(QUEUE, {
    ...(options.deadLetter ? { subQueueType: 'deadLetter' as const } : {}),
    // Lock expiry is part of what is tested: the SDK must not renew behind the test's back.
    maxAutoLockRenewalDurationInMs: options.autoRenew ? 5 * 60_000 : 0,
  });
  opened.push(r);
  return r;
}

async function purge(queue: string, deadLetter = false): Promise<void> {
  const r = client.createReceiver(queue, {
    receiveMode: 'receiveAndDelete',
    ...(deadLetter ? { subQueueType: 'deadLetter' as const } : {}),
  });
  try {
    while ((await r.receiveMessages(100, { maxWaitTimeInMs: real ? 1000 : 100 })).length > 0) {
      // drained and deleted as received
    }
  } finally {
    await r.close();
  }
}

/** Left-overs of an earlier run would be taken by acceptNextSession; drain every session first. */
async function purgeSessions(queue: string): Promise<void> {
  for (;;) {
    const r = await client
      .acceptNextSession(queue, { receiveMode: 'receiveAndDelete' })
      .catch(() => undefined);
    if (!r) {
      return;
    }
    try {
      while ((await r.receiveMessages(100, { maxWaitTimeInMs: real ? 1000 : 100 })).length > 0) {
        // drained and deleted as received
      }
      await r.setSessionState(undefined);
    } finally {
      await r.close();
    }
  }
}

async function receiveOne(r: ServiceBusReceiver, maxWaitTimeInMs = 2000): Promise<ServiceBusReceivedMessage> {
  const [m] = await r.receiveMessages(1, { maxWaitTimeInMs });
  if (!m) {
    throw new Error('no message arrived');
  }
  return m;
}

async function errorCode(work: Promise<unknown>): Promise<string> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isServiceBusError(error)) {
    throw new Error(`expected a ServiceBusError, got ${String(error)}`);
  }
  return error.code;
}

describe(`Service Bus contract (${real ? 'real namespace' : 'emulator'})`, () => {
  it('delivers single and batched sends in order; complete removes the message', async () => {
    const sender = client.createSender(QUEUE);
    opened.push(sender);
    const tag = id();
    await sender.sendMessages({ body: { n: 1, tag }, messageId: `${tag}-1`, subject: 'first' });
    const batch = await sender.createMessageBatch();
    expect(batch.tryAddMessage({ body: { n: 2, tag }, messageId: `${tag}-2` })).toBe(true);
    expect(batch.tryAddMessage({ body: { n: 3, tag }, messageId: `${tag}-3` })).toBe(true);
    await sender.sendMessages(batch);

    const r = receiver();
    const got: ServiceBusReceivedMessage[] = [];
    while (got.length < 3) {
      got.push(...(await r.receiveMessages(3 - got.length, { maxWaitTimeInMs: 2000 })));
    }
    expect(got.map((m) => m.body as unknown)).toEqual([1, 2, 3].map((n) => ({ n, tag })));
    expect(got[0]).toMatchObject({ messageId: `${tag}-1`, subject: 'first', deliveryCount: 0 });
    const sequence = got.map((m) => Number(m.sequenceNumber));
    expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
    expect(got[0]?.lockedUntilUtc?.getTime()).toBeGreaterThan(Date.now());
    for (const m of got) {
      await r.completeMessage(m);
    }

    expect(await r.receiveMessages(1, { maxWaitTimeInMs: 500 })).toEqual([]);
    expect(await r.peekMessages(10)).toEqual([]);
    if (emulator) {
      expect(emulator.counts(QUEUE)).toMatchObject({ active: 0, locked: 0 });
    }
  });

  it('abandon makes the message available again with the delivery count raised', async () => {
    const tag = id();
    await client.createSender(QUEUE).sendMessages({ body: tag, messageId: tag });
    const r = receiver();
    const first = await receiveOne(r);
    await r.abandonMessage(first);
    const second = await receiveOne(r);
    expect(second.messageId).toBe(tag);
    expect(second.deliveryCount).toBe(first.deliveryCount! + 1);
    await r.completeMessage(second);
  });

  it(`after ${MAX_DELIVERY} deliveries an abandoned message is dead-lettered as MaxDeliveryCountExceeded`, async () => {
    const tag = id();
    await client.createSender(QUEUE).sendMessages({ body: { poison: tag }, messageId: tag });
    const r = receiver();
    for (let i = 0; i < MAX_DELIVERY; i++) {
      await r.abandonMessage(await receiveOne(r));
    }
    expect(await r.receiveMessages(1, { maxWaitTimeInMs: 500 })).toEqual([]);

    if (emulator) {
      expect(emulator.deadLettered(QUEUE)).toEqual([
        expect.objectContaining({
          messageId: tag,
          reason: 'MaxDeliveryCountExceeded',
          deliveryCount: MAX_DELIVERY,
        }),
      ]);
    }
    const dead = await receiveOne(receiver({ deadLetter: true }));
    expect(dead.body).toEqual({ poison: tag });
    expect(dead.deadLetterReason).toBe('MaxDeliveryCountExceeded');
  });

  it('dead-letters explicitly with the reason and description, readable from the dead-letter sub-queue', async () => {
    const tag = id();
    await client.createSender(QUEUE).sendMessages({ body: tag, messageId: tag });
    const r = receiver();
    await r.deadLetterMessage(await receiveOne(r), {
      deadLetterReason: 'InvalidMessage',
      deadLetterErrorDescription: 'userId: required',
    });
    if (emulator) {
      expect(emulator.deadLettered(QUEUE)).toEqual([
        expect.objectContaining({
          messageId: tag,
          reason: 'InvalidMessage',
          description: 'userId: required',
        }),
      ]);
    }
    const dlq = receiver({ deadLetter: true });
    const dead = await receiveOne(dlq);
    expect(dead).toMatchObject({
      messageId: tag,
      deadLetterReason: 'InvalidMessage',
      deadLetterErrorDescription: 'userId: required',
    });
    await dlq.completeMessage(dead);
    expect(await dlq.receiveMessages(1, { maxWaitTimeInMs: 300 })).toEqual([]);
  });

  it('defers a message: skipped by receive, fetched by sequence number, then completed', async () => {
    const tag = id();
    await client.createSender(QUEUE).sendMessages({ body: tag, messageId: tag });
    const r = receiver();
    const m = await receiveOne(r);
    await r.deferMessage(m);
    expect(await r.receiveMessages(1, { maxWaitTimeInMs: 500 })).toEqual([]);

    const [deferred] = await r.receiveDeferredMessages(m.sequenceNumber!);
    expect(deferred).toMatchObject({ messageId: tag, body: tag, state: 'deferred' });
    await r.completeMessage(deferred!);
    expect(await r.receiveDeferredMessages(m.sequenceNumber!).catch((e: { code?: string }) => e.code)).toBe(
      'MessageNotFound',
    );
  });

  it('a scheduled message is invisible until its time; a cancelled one never appears', async () => {
    const tag = id();
    const sender = client.createSender(QUEUE);
    opened.push(sender);
    const at = new Date(Date.now() + 1500);
    await sender.scheduleMessages({ body: `${tag}-kept`, messageId: `${tag}-kept` }, at);
    const [cancelled] = await sender.scheduleMessages(
      { body: `${tag}-cancelled`, messageId: `${tag}-c` },
      at,
    );
    await sender.cancelScheduledMessages(cancelled!);

    const r = receiver();
    const peeked = await r.peekMessages(10);
    expect(peeked.map((m) => [m.messageId, m.state])).toEqual([[`${tag}-kept`, 'scheduled']]);
    expect(await r.receiveMessages(1, { maxWaitTimeInMs: 500 })).toEqual([]);

    const m = await receiveOne(r, 4000);
    expect(Date.now()).toBeGreaterThanOrEqual(at.getTime() - 50);
    expect(m.messageId).toBe(`${tag}-kept`);
    await r.completeMessage(m);
    expect(await r.receiveMessages(1, { maxWaitTimeInMs: 1000 })).toEqual([]);
  });

  it('drops a second message with the same messageId within the duplicate detection window', async () => {
    const tag = id();
    const sender = client.createSender(QUEUE);
    opened.push(sender);
    const dropped = emulator?.sent(QUEUE).duplicatesDropped ?? 0;
    await sender.sendMessages({ body: 'first', messageId: tag });
    await sender.sendMessages({ body: 'second', messageId: tag });
    const batch = await sender.createMessageBatch();
    batch.tryAddMessage({ body: 'third', messageId: tag });
    await sender.sendMessages(batch);

    const r = receiver();
    const m = await receiveOne(r);
    expect(m.body).toBe('first');
    await r.completeMessage(m);
    expect(await r.receiveMessages(5, { maxWaitTimeInMs: 500 })).toEqual([]);
    if (emulator) {
      expect(emulator.sent(QUEUE).duplicatesDropped - dropped).toBe(2);
    }
  });

  it('renewing the lock keeps the message locked past the lock duration', async () => {
    const tag = id();
    await client.createSender(QUEUE).sendMessages({ body: tag, messageId: tag });
    const r = receiver();
    const m = await receiveOne(r);
    const other = receiver();
    const end = Date.now() + LOCK_MS * 1.6;
    while (Date.now() < end) {
      await sleep(LOCK_MS / 3);
      const until = await r.renewMessageLock(m);
      expect(until.getTime()).toBeGreaterThan(Date.now());
    }
    expect(await other.receiveMessages(1, { maxWaitTimeInMs: 300 })).toEqual([]);
    await r.completeMessage(m);
  });

  it('an expired lock makes the message available again; settling with the lost lock fails', async () => {
    const tag = id();
    await client.createSender(QUEUE).sendMessages({ body: tag, messageId: tag });
    const r = receiver();
    const first = await receiveOne(r);
    await sleep(LOCK_MS + 300);
    const again = await receiveOne(receiver(), LOCK_MS);
    expect(again.messageId).toBe(tag);
    expect(again.deliveryCount).toBe(first.deliveryCount! + 1);
    expect(await errorCode(r.completeMessage(first))).toBe('MessageLockLost');
  });

  describe('sessions', () => {
    it('delivers each session in order while two sessions are interleaved', async () => {
      const [a, b] = [id(), id()];
      const sender = client.createSender(SESSION_QUEUE);
      opened.push(sender);
      for (let i = 0; i < 3; i++) {
        await sender.sendMessages([
          { body: { s: 'a', i }, sessionId: a, messageId: `${a}-${i}` },
          { body: { s: 'b', i }, sessionId: b, messageId: `${b}-${i}` },
        ]);
      }
      for (const session of [b, a]) {
        const r = await client.acceptSession(SESSION_QUEUE, session);
        opened.push(r);
        expect(r.sessionId).toBe(session);
        const got: ServiceBusReceivedMessage[] = [];
        while (got.length < 3) {
          got.push(...(await r.receiveMessages(3, { maxWaitTimeInMs: 1000 })));
        }
        expect(got.map((m) => (m.body as { i: number }).i)).toEqual([0, 1, 2]);
        expect(new Set(got.map((m) => m.sessionId))).toEqual(new Set([session]));
        for (const m of got) {
          await r.completeMessage(m);
        }
      }
    });

    it('acceptNextSession takes a session with messages; a held session cannot be accepted twice', async () => {
      const s = id();
      await client.createSender(SESSION_QUEUE).sendMessages({ body: 'x', sessionId: s, messageId: s });
      const holder = await client.acceptNextSession(SESSION_QUEUE);
      opened.push(holder);
      expect(holder.sessionId).toBe(s);
      expect(holder.sessionLockedUntilUtc.getTime()).toBeGreaterThan(Date.now());
      expect(await errorCode(client.acceptSession(SESSION_QUEUE, s))).toBe('SessionCannotBeLocked');

      await holder.setSessionState('cursor-1');
      expect(await holder.getSessionState()).toBe('cursor-1');
      const renewed = await holder.renewSessionLock();
      expect(renewed.getTime()).toBeGreaterThan(Date.now());
      const m = await receiveOne(holder);
      await holder.completeMessage(m);
      await holder.close();

      // Released: the session can be accepted again, by another receiver.
      const next = await client.acceptSession(SESSION_QUEUE, s);
      opened.push(next);
      expect(await next.getSessionState()).toBe('cursor-1');
      await next.setSessionState(undefined);
    });

    it('a session lock that is not renewed expires: another receiver takes the session and its messages', async () => {
      const s = id();
      await client.createSender(SESSION_QUEUE).sendMessages({ body: 'y', sessionId: s, messageId: s });
      const first = await client.acceptSession(SESSION_QUEUE, s, { maxAutoLockRenewalDurationInMs: 0 });
      opened.push(first);
      expect(await errorCode(client.acceptSession(SESSION_QUEUE, s))).toBe('SessionCannotBeLocked');
      await sleep(LOCK_MS + 300);

      const second = await client.acceptSession(SESSION_QUEUE, s);
      opened.push(second);
      const m = await receiveOne(second);
      expect(m.messageId).toBe(s);
      await second.completeMessage(m);
      expect(await errorCode(first.renewSessionLock())).toBe('SessionLockLost');
    });
  });
});
