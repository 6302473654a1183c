import type { TokenCredential } from '@azure/identity';
import {
  ServiceBusClient,
  type ServiceBusClientOptions,
  type ServiceBusMessage,
  type ServiceBusMessageBatch,
  type ServiceBusSender,
} from '@azure/service-bus';
import { AppError, validationError } from '../errors/app-error';
import { toFieldErrors } from '../http/validation';
import { traceProperties } from '../telemetry/trace-context';
import { QUEUES, syncMessage } from './messages';
import type { OutgoingSync, SyncQueue } from './sync-queue';

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface ServiceBusSyncQueue extends SyncQueue {
  /** A cheap round trip to the namespace (health check): peeks one message of task-sync. */
  ping(): Promise<void>;
}

/**
 * The namespace: a connection string (the local emulator, or SAS), or its host name
 * (`<namespace>.servicebus.windows.net`) with an Entra ID token credential, which the SDK
 * puts on the AMQP connection's CBS node as a JWT and renews before it expires.
 */
export type ServiceBusConnection = string | { fullyQualifiedNamespace: string; credential: TokenCredential };

/** An SDK client for the namespace, by connection string or by identity. */
export function serviceBusClient(
  connection: ServiceBusConnection,
  clientOptions: ServiceBusClientOptions = {},
): ServiceBusClient {
  return typeof connection === 'string'
    ? new ServiceBusClient(connection, clientOptions)
    : new ServiceBusClient(connection.fullyQualifiedNamespace, connection.credential, clientOptions);
}

/**
 * The SyncQueue on Service Bus: one sender per queue, sessionId = userId so one user's runs
 * never overlap, messageId for duplicate detection, scheduledAt through scheduleMessages.
 */
export function createServiceBusQueue(
  connection: ServiceBusConnection,
  /** The SDK's own (retries, timeouts); its defaults when omitted. */
  clientOptions: ServiceBusClientOptions = {},
): ServiceBusSyncQueue {
  const client = serviceBusClient(connection, clientOptions);
  const senders = new Map<QueueName, ServiceBusSender>();
  const senderFor = (queue: QueueName): ServiceBusSender => {
    let sender = senders.get(queue);
    if (!sender) {
      sender = client.createSender(queue);
      senders.set(queue, sender);
    }
    return sender;
  };

  return {
    async send(messages) {
      // Everything is checked before anything is sent: a bad message sends nothing.
      const byQueue = new Map<
        QueueName,
        { now: ServiceBusMessage[]; later: Map<number, ServiceBusMessage[]> }
      >();
      messages.forEach((m, index) => {
        const queue = QUEUES[validate(m, index).body.entity];
        const group = byQueue.get(queue) ?? { now: [], later: new Map<number, ServiceBusMessage[]>() };
        byQueue.set(queue, group);
        const message = toServiceBusMessage(m);
        if (m.scheduledAt === undefined) {
          group.now.push(message);
        } else {
          const at = m.scheduledAt.getTime();
          group.later.set(at, [...(group.later.get(at) ?? []), message]);
        }
      });
      for (const [queue, group] of byQueue) {
        const sender = senderFor(queue);
        try {
          await sendInBatches(sender, group.now);
          for (const [at, scheduled] of group.later) {
            await sender.scheduleMessages(scheduled, new Date(at));
          }
        } catch (error) {
          // The SDK has retried already. A resend of the same list is safe: duplicate detection.
          throw new AppError('dependency-unavailable', `Service Bus did not take the ${queue} messages.`, {
            cause: error,
          });
        }
      }
    },
    async ping() {
      const receiver = client.createReceiver(QUEUES.tasks, { receiveMode: 'peekLock' });
      try {
        await receiver.peekMessages(1);
      } finally {
        await receiver.close();
      }
    },
    async close() {
      for (const sender of senders.values()) {
        await sender.close();
      }
      senders.clear();
      await client.close();
    },
  };
}

function validate(m: OutgoingSync, index: number): OutgoingSync {
  const parsed = syncMessage.safeParse(m.body);
  const problems = parsed.success ? [] : toFieldErrors(parsed.error.issues, [index, 'body']);
  if (typeof m.messageId !== 'string' || m.messageId.length === 0 || m.messageId.length > 128) {
    problems.push({ path: `${index}.messageId`, message: 'a non-empty id of at most 128 characters' });
  }
  if (
    m.scheduledAt !== undefined &&
    !(m.scheduledAt instanceof Date && !Number.isNaN(m.scheduledAt.getTime()))
  ) {
    problems.push({ path: `${index}.scheduledAt`, message: 'not a valid date' });
  }
  if (problems.length > 0) {
    throw validationError(`Sync message ${index} is invalid; nothing was sent.`, problems);
  }
  return m;
}

function toServiceBusMessage(m: OutgoingSync): ServiceBusMessage {
  return {
    body: m.body,
    contentType: 'application/json',
    messageId: m.messageId,
    sessionId: m.body.userId,
    subject: m.body.reason,
    // The sender's trace, so the run is traced under what queued it (trace-context.ts).
    applicationProperties: traceProperties(),
  };
}

/** As few sends as the batch size allows; a message too large for an empty batch is an error. */
export async function sendInBatches(
  sender: ServiceBusSender,
  messages: readonly ServiceBusMessage[],
): Promise<void> {
  let batch: ServiceBusMessageBatch | undefined;
  for (const message of messages) {
    batch ??= await sender.createMessageBatch();
    if (batch.tryAddMessage(message)) {
      continue;
    }
    if (batch.count === 0) {
      throw new Error(`Message ${String(message.messageId)} is larger than a Service Bus batch.`);
    }
    await sender.sendMessages(batch);
    batch = await sender.createMessageBatch();
    if (!batch.tryAddMessage(message)) {
      throw new Error(`Message ${String(message.messageId)} is larger than a Service Bus batch.`);
    }
  }
  if (batch && batch.count > 0) {
    await sender.sendMessages(batch);
  }
}
