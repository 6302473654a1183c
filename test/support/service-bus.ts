import { InvocationContext } from '@azure/functions';
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../../dev/servicebus';
import type { Stack } from '../../dev/stack';
import { buildFunctionTable } from '../../functions/index';
import { QUEUES } from '../../shared/messaging/messages';
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

/** The local Service Bus with the deployed queue settings, the SyncQueue on it, and an SDK client to look. */
export async function startTestServiceBus(): Promise<TestServiceBus> {
  const emulator = await startServiceBusEmulator({
    queues: Object.values(QUEUES).map((name) => ({
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
    drain: async (queueName, sessionId) => {
      const receiver = await client.acceptSession(queueName, sessionId);
      try {
        const got: ServiceBusReceivedMessage[] = [];
        for (;;) {
          const batch = await receiver.receiveMessages(100, { maxWaitTimeInMs: 200 });
          if (batch.length === 0) return got;
          for (const m of batch) await receiver.completeMessage(m);
          got.push(...batch);
        }
      } finally {
        await receiver.close();
      }
    },
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

export interface Delivered {
  messageId: string | undefined;
  body: unknown;
  deliveryCount: number;
  /** The function's error, when it threw (the message was abandoned for redelivery). */
  error?: string;
}

/**
 * Delivers one user's available messages on a queue to the function table's queue function
 * the way the Functions host does: peek-lock per session, the body and the delivery count in
 * triggerMetadata, complete on success, abandon when it throws (redelivered, and
 * dead-lettered by Service Bus after the max delivery count).
 */
export async function deliverQueued(
  stack: Stack,
  queueName: string,
  sessionId: string,
): Promise<Delivered[]> {
  const fn = buildFunctionTable(() => stack.services).find(
    (f) => f.kind === 'serviceBusQueue' && f.queueName === queueName,
  );
  if (fn?.kind !== 'serviceBusQueue') throw new Error(`No queue function on ${queueName}`);
  const client = new ServiceBusClient(stack.serviceBus.connectionString);
  const out: Delivered[] = [];
  try {
    const receiver = await client.acceptSession(queueName, sessionId);
    try {
      for (;;) {
        const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 });
        if (!m) return out;
        // The AMQP header (and so this SDK) counts earlier deliveries; the Functions host
        // passes .NET's DeliveryCount, which counts this one too (1 on the first delivery).
        const deliveryCount = (m.deliveryCount ?? 0) + 1;
        const context = new InvocationContext({
          functionName: fn.name,
          triggerMetadata: { messageId: m.messageId, deliveryCount, sessionId },
          logHandler: () => undefined,
        });
        try {
          await fn.handler(m.body, context);
          await receiver.completeMessage(m);
          out.push({
            messageId: m.messageId as string | undefined,
            body: m.body,
            deliveryCount,
          });
        } catch (error) {
          await receiver.abandonMessage(m);
          out.push({
            messageId: m.messageId as string | undefined,
            body: m.body,
            deliveryCount,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    } finally {
      await receiver.close();
    }
  } finally {
    await client.close();
  }
}
