import { isServiceBusError, ServiceBusClient } from '@azure/service-bus';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../../../dev/servicebus';
import { startHoldingRelay, type HoldingRelay } from './holding-relay';

/**
 * A receiver's drain request must be answered with a flow that says drain=true even when it
 * crossed the delivery that used the last credit (AMQP 1.0, 2.6.7 and 2.7.4: the sender's drain is the
 * receiver's last value; the sender consumes what credit is left and sends its flow state).
 * The SDK (@azure/service-bus 7.9.5, `receiveDrainTimeoutInMs` 200 ms) waits for that answer
 * and closes the receiver link without it: a session receiver then loses its session while
 * it still holds the message, and another receiver gets the session and the message again.
 */
const QUEUE = 'drain-sessions';
let emulator: ServiceBusEmulator;
let relay: HoldingRelay;
let viaRelay: ServiceBusClient;
let direct: ServiceBusClient;

beforeAll(async () => {
  emulator = await startServiceBusEmulator({
    queues: [{ name: QUEUE, requiresSession: true, lockDurationMs: 60_000 }],
  });
  relay = await startHoldingRelay(emulator.port);
  viaRelay = new ServiceBusClient(relay.connectionString);
  direct = new ServiceBusClient(emulator.connectionString);
});

afterAll(async () => {
  await viaRelay.close();
  await direct.close();
  await relay.close();
  await emulator.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function until(check: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5000; !check(); await sleep(5)) {
    if (Date.now() > deadline) {
      throw new Error('timed out waiting for the emulator');
    }
  }
}

it('answers a drain that crossed the last delivery: the receiver keeps its session and completes the message', async () => {
  const WAIT_MS = 1000;
  const receiver = await viaRelay.acceptSession(QUEUE, 'crossed');
  try {
    const started = Date.now();
    const receiving = receiver.receiveMessages(1, { maxWaitTimeInMs: WAIT_MS });
    // The credit of 1 has reached the emulator; from now on its frames wait in the relay.
    await sleep(200);
    relay.hold();
    const sender = direct.createSender(QUEUE);
    await sender.sendMessages({ body: 'work', sessionId: 'crossed' });
    await sender.close();
    // The emulator has delivered the message (locked to the receiver) into the relay ...
    await until(() => emulator.counts(QUEUE).locked === 1);
    // ... and the SDK, its wait over without it, asks to drain the credit it still sees.
    await sleep(started + WAIT_MS + 60 - Date.now());
    relay.release();
    const [message] = await receiving;
    expect(message?.body).toBe('work');
    // The session is still this receiver's: no other receiver gets it (nor the message again).
    const other = await direct.acceptNextSession(QUEUE).then(
      async (taken) => {
        await taken.close();
        return `took ${taken.sessionId}`;
      },
      (error: unknown) => (isServiceBusError(error) ? error.code : String(error)),
    );
    expect(other).toBe('SessionCannotBeLocked');
    await receiver.completeMessage(message!);
    expect(emulator.counts(QUEUE)).toMatchObject({ active: 0, locked: 0 });
  } finally {
    await receiver.close();
  }
});
