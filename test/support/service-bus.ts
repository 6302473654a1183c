import { isServiceBusError, ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../dev/servicebus';
import { QUEUES } from '../../shared/messaging/messages';
import { SCHEDULE_QUEUE } from '../../shared/messaging/schedule-queue';
import { createServiceBusQueue, type ServiceBusSyncQueue } from '../../shared/messaging/service-bus-queue';
import { MAX_DELIVERY_COUNT } from '../../shared/scheduling/sync-worker';

export interface TestServiceBus {
  emulator: ServiceBusEmulator;
  queue: ServiceBusSyncQueue;
  client: ServiceBusClient;
  /** Receives and completes every available message of one user's session. */
  drain(queueName: string, sessionId: string): Promise<ServiceBusReceivedMessage[]>;
  /** Looks at every message of a queue, scheduled ones included, without taking them. */
  peek(queueName: string): Promise<ServiceBusReceivedMessage[]>;
  close(): Promise<void>;
}

/**
 * Receives and completes every available message of one session of a queue, in order.
 *
 * The SDK closes a receiver whose credit drain is not answered within 200 ms
 * (`receiveDrainTimeoutInMs` in @azure/service-bus 7.9.5) and then reports the session
 * lock as lost. On a loaded test machine, with the emulator in the test's own process, that
 * happens now and then; the session is free again and its unsettled messages return, so
 * the drain takes the session again and goes on (each message counted once).
 */
export async function drainSession(
  client: ServiceBusClient,
  queueName: string,
  sessionId: string,
): Promise<ServiceBusReceivedMessage[]> {
  const got = new Map<bigint, ServiceBusReceivedMessage>();
  for (let attempt = 1; ; attempt++) {
    const receiver = await client.acceptSession(queueName, sessionId);
    try {
      for (;;) {
        const batch = await receiver.receiveMessages(100, { maxWaitTimeInMs: 300 });
        if (batch.length === 0) {
          return [...got.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, m]) => m);
        }
        for (const m of batch) {
          await receiver.completeMessage(m);
          got.set(BigInt(String(m.sequenceNumber)), m);
        }
      }
    } catch (error) {
      if (!(isServiceBusError(error) && error.code === 'SessionLockLost') || attempt >= 5) {
        throw error;
      }
    } finally {
      await receiver.close();
    }
  }
}

/** The local Service Bus with the deployed queue settings, the SyncQueue on it, and an SDK client to look. */
export async function startTestServiceBus(): Promise<TestServiceBus> {
  const emulator = await startServiceBusEmulator({
    queues: [...Object.values(QUEUES), SCHEDULE_QUEUE].map((name) => ({
      name,
      requiresSession: true,
      maxDeliveryCount: MAX_DELIVERY_COUNT,
    })),
  });
  const queue = createServiceBusQueue(emulator.connectionString);
  const client = new ServiceBusClient(emulator.connectionString);
  return {
    emulator,
    queue,
    client,
    drain: (queueName, sessionId) => drainSession(client, queueName, sessionId),
    peek: async (queueName) => {
      // A client of its own: the SDK remembers the last peeked sequence number per client and queue.
      const own = new ServiceBusClient(emulator.connectionString);
      try {
        return await own.createReceiver(queueName).peekMessages(100);
      } finally {
        await own.close();
      }
    },
    close: async () => {
      await queue.close();
      await client.close();
      await emulator.close();
    },
  };
}
