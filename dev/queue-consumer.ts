import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import {
  isServiceBusError,
  ServiceBusClient,
  type ServiceBusReceivedMessage,
  type ServiceBusSessionReceiver,
} from '@azure/service-bus';
import type { FunctionDefinition } from '../functions/index';
import type { QueueFunctionDefinition } from '../functions/queue';

export interface QueueConsumerOptions {
  connectionString: string;
  /** The function table; its serviceBusQueue entries are served. */
  functions: readonly FunctionDefinition[];
  /** Sessions held at once per function (host.json sessionHandlerOptions.maxConcurrentSessions). */
  maxConcurrentSessions?: number;
  /** host.json maxAutoLockRenewalDuration. */
  maxAutoLockRenewalDurationMs?: number;
  /** A session with no message for this long is released for others. */
  sessionIdleMs?: number;
  /** Pause between attempts when no session has messages (the emulator answers at once). */
  pollMs?: number;
  log?: (line: string) => void;
}

export interface QueueConsumers {
  close(): Promise<void>;
}

/**
 * The dev host's stand-in for the Functions Service Bus trigger with sessions: per queue
 * function, up to maxConcurrentSessions sessions at once, each session's messages one at a
 * time (one user's runs never overlap), complete on success and abandon on a thrown error,
 * so the queue's max delivery count dead-letters a poison message (autoComplete off).
 */
export function startQueueConsumers(options: QueueConsumerOptions): QueueConsumers {
  const log = options.log ?? (() => undefined);
  // A connection per function, as each trigger has its own listener in the Functions host:
  // an idle queue's failed session accepts never touch another queue's sessions.
  const clients = new Map<string, ServiceBusClient>();
  const clientFor = (fn: QueueFunctionDefinition): ServiceBusClient => {
    let c = clients.get(fn.name);
    if (!c) {
      c = new ServiceBusClient(options.connectionString);
      clients.set(fn.name, c);
    }
    return c;
  };
  const abort = new AbortController();
  const functions = options.functions.filter(
    (f): f is QueueFunctionDefinition => f.kind === 'serviceBusQueue',
  );
  const maxSessions = options.maxConcurrentSessions ?? 8;
  const running: Promise<void>[] = [];

  for (const fn of functions) {
    const sessions = new Set<Promise<void>>();
    running.push(
      (async () => {
        while (!abort.signal.aborted) {
          if (sessions.size >= maxSessions) {
            await Promise.race(sessions);
            continue;
          }
          const receiver = await acceptNext(fn);
          if (!receiver) {
            await sleep(options.pollMs ?? 200, abort.signal);
            continue;
          }
          const session = serveSession(fn, receiver).finally(() => sessions.delete(session));
          sessions.add(session);
        }
        await Promise.all(sessions);
      })(),
    );
  }

  async function acceptNext(fn: QueueFunctionDefinition): Promise<ServiceBusSessionReceiver | undefined> {
    try {
      // Not aborted on close: an accept cut off mid-open leaves the SDK's connection (and its
      // heartbeat timer) behind; the emulator answers at once, and close() waits for it.
      return await clientFor(fn).acceptNextSession(fn.queueName, {
        maxAutoLockRenewalDurationInMs: options.maxAutoLockRenewalDurationMs ?? 5 * 60_000,
      });
    } catch (error) {
      // No free session with messages: the emulator says so at once, the service after its timeout.
      const idle =
        isServiceBusError(error) && ['SessionCannotBeLocked', 'ServiceTimeout'].includes(error.code);
      if (!idle && !abort.signal.aborted) {
        log(`[warning] ${fn.name}: accepting a session failed: ${reason(error)}`);
      }
      return undefined;
    }
  }

  async function serveSession(
    fn: QueueFunctionDefinition,
    receiver: ServiceBusSessionReceiver,
  ): Promise<void> {
    try {
      while (!abort.signal.aborted) {
        const [message] = await receiver.receiveMessages(1, {
          maxWaitTimeInMs: options.sessionIdleMs ?? 1000,
          abortSignal: abort.signal,
        });
        if (!message) {
          return;
        }
        await invoke(fn, receiver, message);
      }
    } catch (error) {
      if (!abort.signal.aborted) {
        log(`[warning] ${fn.name}: session ${receiver.sessionId} ended: ${reason(error)}`);
      }
    } finally {
      await receiver.close().catch(() => undefined);
    }
  }

  async function invoke(
    fn: QueueFunctionDefinition,
    receiver: ServiceBusSessionReceiver,
    message: ServiceBusReceivedMessage,
  ): Promise<void> {
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName: fn.name,
      logHandler: (level, ...args) => log(`[${level}] ${fn.name}: ${args.map(formatArg).join(' ')}`),
      triggerMetadata: triggerMetadata(message),
      options: { trigger: { type: 'serviceBusTrigger', name: 'message', queueName: fn.queueName } },
    });
    let failure: unknown;
    try {
      await fn.handler(message.body, context);
    } catch (error) {
      failure = error;
    }
    try {
      if (failure === undefined) {
        await receiver.completeMessage(message);
      } else {
        log(
          `[error] ${fn.name}: message ${String(message.messageId)} failed (delivery ${message.deliveryCount! + 1}): ${reason(failure)}`,
        );
        await receiver.abandonMessage(message);
      }
    } catch (error) {
      // The lock was lost meanwhile: Service Bus delivers the message again, as in Azure.
      log(`[warning] ${fn.name}: settling message ${String(message.messageId)} failed: ${reason(error)}`);
    }
  }

  return {
    async close() {
      abort.abort();
      await Promise.all(running);
      for (const c of clients.values()) {
        await c.close();
      }
    },
  };
}

/** The binding data the Functions host gives a Service Bus trigger (deliveryCount counts from 1 there). */
function triggerMetadata(m: ServiceBusReceivedMessage): Record<string, unknown> {
  return {
    messageId: m.messageId,
    sessionId: m.sessionId,
    deliveryCount: (m.deliveryCount ?? 0) + 1,
    enqueuedTimeUtc: m.enqueuedTimeUtc?.toISOString(),
    expiresAtUtc: m.expiresAtUtc?.toISOString(),
    lockedUntilUtc: m.lockedUntilUtc?.toISOString(),
    sequenceNumber: m.sequenceNumber?.toNumber(),
    lockToken: m.lockToken,
    contentType: m.contentType,
    correlationId: m.correlationId,
    subject: m.subject,
    label: m.subject,
    applicationProperties: m.applicationProperties ?? {},
    userProperties: m.applicationProperties ?? {},
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function formatArg(arg: unknown): string {
  if (arg instanceof Error) {
    return arg.stack ?? arg.message;
  }
  return typeof arg === 'string' ? arg : JSON.stringify(arg);
}
