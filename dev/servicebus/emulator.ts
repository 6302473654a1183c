import type { AddressInfo } from 'node:net';
import {
  create_container,
  message as amqpMessage,
  type Connection,
  type Delivery,
  type EventContext,
  type Message,
  type Receiver,
  type Sender,
} from 'rhea';
import {
  DEAD_LETTER_CONDITION,
  LOCKED_UNTIL_PROPERTY,
  SESSION_FILTER,
  asRecord,
  dotnetTicks,
  lockTokenTag,
  tagLockToken,
  transferMessages,
} from './amqp';
import { ManagementError, handleManagement, withBrokerAnnotations } from './management';
import { LOCK_LOST, Queue, SESSION_LOCK_LOST, SettleError, type QueueOptions } from './queue-store';
import { textOf } from '../text-of';

export type { QueueOptions } from './queue-store';

export interface QueueCounts {
  active: number;
  locked: number;
  deferred: number;
  scheduled: number;
  deadLettered: number;
}

export interface DeadLetteredMessage {
  messageId: string | undefined;
  sessionId: string | undefined;
  body: unknown;
  reason: unknown;
  description: unknown;
  deliveryCount: number;
}

export interface ServiceBusEmulator {
  connectionString: string;
  /** `localhost:<port>`: what a client with a token credential connects to (TLS listeners only). */
  fullyQualifiedNamespace: string;
  port: number;
  /** Messages per state, for tests. */
  counts(queue: string): QueueCounts;
  deadLettered(queue: string): DeadLetteredMessage[];
  /** Messages senders handed over (duplicates included), duplicates dropped, and transfers (a batch is one). */
  sent(queue: string): { accepted: number; duplicatesDropped: number; transfers: number };
  close(): Promise<void>;
}

/** Where a receiver link reads from; the session it holds, when the queue has sessions. */
interface Consumer {
  queue: Queue;
  sessionId?: string;
}

const MAX_MESSAGE_SIZE = 256 * 1024;

/** rhea builds outcomes at run time; its typings do not list them. */
const outcomes = amqpMessage as unknown as Record<
  'accepted' | 'rejected',
  (fields: object) => { described(): unknown }
>;

/**
 * A Service Bus namespace in memory, speaking AMQP 1.0 to the unmodified @azure/service-bus
 * SDK over plain TCP: CBS, queues with peek-lock, sessions, scheduling, duplicate detection and
 * dead-lettering. No TLS and no real authentication: a local stand-in only.
 */
export async function startServiceBusEmulator(options: {
  port?: number;
  queues: QueueOptions[];
  /**
   * TLS on the listener, as on Azure (port 5671). The SDK speaks plain TCP only to a
   * connection string with UseDevelopmentEmulator=true; a client built from a host name and
   * a token credential always uses TLS, so testing that path needs this.
   */
  tls?: { key: string; cert: string };
  /**
   * Judges each token a client puts on the CBS node (`type` "jwt" for an Entra ID token,
   * "servicebus.windows.net:sastoken" for SAS; `audience` is the entity URI it is for).
   * Without it every token is accepted: the emulator has no identities of its own.
   */
  authorize?: (put: { type: string; audience: string; token: string }) => boolean;
}): Promise<ServiceBusEmulator> {
  let sequence = 0;
  const queues = new Map<string, Queue>();
  for (const q of options.queues) {
    queues.set(q.name.toLowerCase(), new Queue(q.name, q, () => ++sequence));
  }

  const consumers = new Map<Sender, Consumer>();
  const connections = new Set<Connection>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const container = create_container({
    id: 'servicebus-emulator',
    // Settlement outcomes are told apart here: modified with undeliverable-here means defer.
    sender_options: { treat_modified_as_released: false },
    receiver_options: { autoaccept: false, credit_window: 500 },
  });

  const findQueue = (address: string | undefined): { queue: Queue; rest: string } | undefined => {
    if (!address) {
      return undefined;
    }
    const [name = '', ...rest] = address.replace(/^amqps?:\/\/[^/]+\//, '').split('/');
    const queue = queues.get(name.toLowerCase());
    if (!queue) {
      return undefined;
    }
    const sub = rest.join('/');
    if (sub.toLowerCase() === '$deadletterqueue' && queue.deadLetter) {
      return { queue: queue.deadLetter, rest: '' };
    }
    return { queue, rest: sub };
  };

  const now = () => Date.now();

  /** Hands available messages to receivers with credit, then re-arms the timer for the next due change. */
  const pump = () => {
    if (closed) {
      return;
    }
    const t = now();
    for (const q of queues.values()) {
      q.tick(t);
      q.deadLetter?.tick(t);
    }
    for (const [sender, consumer] of consumers) {
      const { queue } = consumer;
      if (consumer.sessionId !== undefined && !queue.sessionLocks.has(consumer.sessionId)) {
        release(sender);
        sender.close({ condition: SESSION_LOCK_LOST, description: 'The session lock has expired.' });
        continue;
      }
      while (sender.is_open() && sender.sendable()) {
        const m = queue.nextAvailable(consumer.sessionId);
        if (!m) {
          break;
        }
        if (sender.snd_settle_mode === 1) {
          // receiveAndDelete: the message is gone the moment it is sent.
          m.deliveryCount++;
          queue.messages.delete(m.sequenceNumber);
          sender.send(withBrokerAnnotations(m));
        } else {
          const token = queue.lock(m, sender, t);
          sender.send(withBrokerAnnotations(m), lockTokenTag(token));
        }
      }
    }
    if (timer) {
      clearTimeout(timer);
    }
    timer = undefined;
    const due = [...queues.values()]
      .flatMap((q) => [q.nextChangeAt(), q.deadLetter?.nextChangeAt()])
      .filter((x): x is number => x !== undefined);
    if (due.length > 0) {
      timer = setTimeout(pump, Math.max(0, Math.min(...due) - now()) + 5);
      timer.unref();
    }
  };

  const reply = (
    context: EventContext,
    request: Message,
    status: number,
    body: unknown,
    error?: ManagementError,
  ) => {
    const replyTo = request.reply_to;
    const target = context.connection.find_sender(
      (s: Sender) => s.name === replyTo || asRecord(s.target).address === replyTo,
    );
    if (!target) {
      return;
    }
    target.send({
      ...(request.message_id === undefined ? {} : { correlation_id: request.message_id }),
      application_properties: {
        statusCode: status,
        'status-code': status,
        ...(error ? { statusDescription: error.message, errorCondition: error.condition } : {}),
      },
      body,
    });
  };

  container.on('connection_open', (context: EventContext) => {
    connections.add(context.connection);
  });

  // A client sender: a queue to enqueue to, or the $cbs / $management request node.
  container.on('receiver_open', (context: EventContext) => {
    const receiver = context.receiver as Receiver;
    const address = asRecord(receiver.target).address as string | undefined;
    if (address !== '$cbs' && !address?.endsWith('/$management') && !findQueue(address)) {
      // As the service does: an attach without a target, then the detach with the reason.
      receiver.close({
        condition: 'amqp:not-found',
        description: `The messaging entity "${address}" could not be found.`,
      });
      return;
    }
    receiver.set_target({ address: address ?? '' });
    setAttach(receiver, { max_message_size: MAX_MESSAGE_SIZE });
  });

  // A client receiver: a queue (or its dead-letter queue) to receive from, or a request node's reply link.
  container.on('sender_open', (context: EventContext) => {
    const sender = context.sender as Sender;
    const source = asRecord(sender.source);
    const address = source.address as string | undefined;
    if (address === '$cbs' || address?.endsWith('/$management')) {
      sender.set_source({ address: address ?? '' });
      return;
    }
    const found = findQueue(address);
    if (!found || found.rest !== '') {
      sender.close({ condition: 'amqp:not-found', description: `No queue at "${address}".` });
      return;
    }
    const filter = asRecord(source.filter);
    const { queue } = found;
    // receiveAndDelete: deliveries go out settled, the message is gone once sent.
    if (sender.snd_settle_mode === 1) {
      setAttach(sender, { snd_settle_mode: 1 });
    }
    if (!queue.requiresSession) {
      sender.set_source({ address: address ?? '' });
      consumers.set(sender, { queue });
      return;
    }
    if (!(SESSION_FILTER in filter)) {
      sender.close({
        condition: 'amqp:not-allowed',
        description: `The queue "${queue.name}" requires sessions: accept a session to receive.`,
      });
      return;
    }
    const t = now();
    queue.tick(t);
    const asked = filter[SESSION_FILTER];
    const sessionId = typeof asked === 'string' ? asked : queue.freeSessionWithMessages();
    if (sessionId === undefined || queue.sessionLocks.has(sessionId)) {
      // Answered at once, without the filter: the SDK reports that no session could be locked.
      sender.set_source({ address: address ?? '' });
      return;
    }
    const lockedUntil = t + queue.lockDurationMs;
    queue.sessionLocks.set(sessionId, { owner: sender, lockedUntil });
    sender.set_source({ address: address ?? '', filter: { [SESSION_FILTER]: sessionId } });
    setAttach(sender, { properties: { [LOCKED_UNTIL_PROPERTY]: dotnetTicks(lockedUntil) } });
    consumers.set(sender, { queue, sessionId });
  });

  /** A receiver that goes away gives back its locks: its messages and session are free again. */
  const release = (sender: Sender) => {
    const consumer = consumers.get(sender);
    if (!consumer) {
      return;
    }
    consumers.delete(sender);
    consumer.queue.releaseOwner(sender, now());
    setImmediate(pump);
  };
  const linkGone = (context: EventContext) => {
    if (context.sender) {
      release(context.sender);
    }
  };
  container.on('sender_close', linkGone);
  container.on('sender_error', linkGone);
  const connectionGone = (context: EventContext) => {
    for (const sender of [...consumers.keys()]) {
      if (sender.connection === context.connection) {
        release(sender);
      }
    }
  };
  container.on('connection_close', connectionGone);
  container.on('disconnected', (context: EventContext) => {
    connectionGone(context);
    connections.delete(context.connection);
  });

  container.on('sendable', pump);
  container.on('sender_draining', (context: EventContext) => {
    pump();
    (context.sender as Sender).set_drained(true);
  });

  container.on('message', (context: EventContext) => {
    const receiver = context.receiver as Receiver;
    const delivery = context.delivery as Delivery;
    const address = asRecord(receiver.target).address as string | undefined;
    const request = context.message as Message;
    if (address === '$cbs') {
      delivery.accept();
      const props = asRecord(request.application_properties);
      const put = { type: String(props.type), audience: String(props.name), token: String(request.body) };
      if (options.authorize && !options.authorize(put)) {
        // As the service answers a token it refuses: 401 on the put-token, the link stays usable.
        reply(
          context,
          request,
          401,
          undefined,
          new ManagementError(401, 'amqp:unauthorized-access', 'Unauthorized: the token was refused.'),
        );
        return;
      }
      reply(context, request, 200, undefined);
      return;
    }
    const found = findQueue(address);
    if (!found) {
      delivery.reject({ condition: 'amqp:not-found', description: `No queue at "${address}".` });
      return;
    }
    if (found.rest === '$management') {
      delivery.accept();
      const operation = textOf(asRecord(request.application_properties).operation ?? '');
      try {
        const result = handleManagement(operation, request.body, {
          queue: found.queue,
          now: now(),
          owner: receiver,
          changed: () => setImmediate(pump),
        });
        reply(context, request, result.status, result.body);
      } catch (error) {
        const e =
          error instanceof ManagementError
            ? error
            : new ManagementError(
                400,
                'amqp:invalid-field',
                error instanceof Error ? error.message : String(error),
              );
        reply(context, request, e.status, undefined, e);
      }
      return;
    }
    try {
      const t = now();
      found.queue.transfers++;
      for (const m of transferMessages(request, (context as { format?: number }).format)) {
        if (found.queue.requiresSession && m.group_id === undefined) {
          throw new Error(`The queue "${found.queue.name}" requires a sessionId on every message.`);
        }
        const scheduled = asRecord(m.message_annotations)['x-opt-scheduled-enqueue-time'];
        found.queue.enqueue(m, t, scheduled instanceof Date ? scheduled.getTime() : undefined);
      }
      delivery.accept();
      setImmediate(pump);
    } catch (error) {
      delivery.reject({
        condition: 'amqp:invalid-field',
        description: error instanceof Error ? error.message : String(error),
      });
    }
  });

  // Settlement of a delivery made to a client receiver: complete, abandon, defer or dead-letter.
  const settle = (context: EventContext, apply: (queue: Queue, token: string, t: number) => void) => {
    const delivery = context.delivery as Delivery;
    const consumer = consumers.get(context.sender as Sender);
    const queue = consumer?.queue;
    try {
      if (!queue) {
        throw new SettleError(LOCK_LOST, 'The receiver link is gone.');
      }
      apply(queue, tagLockToken(delivery.tag), now());
      delivery.update(true, outcomes.accepted({}).described());
    } catch (error) {
      if (!(error instanceof SettleError)) {
        throw error;
      }
      // The SDK fails the settle call with this error (e.g. MessageLockLost).
      delivery.update(
        true,
        outcomes.rejected({ error: { condition: error.condition, description: error.message } }).described(),
      );
    }
    setImmediate(pump);
  };
  container.on('accepted', (context: EventContext) => settle(context, (q, token, t) => q.complete(token, t)));
  container.on('released', (context: EventContext) => settle(context, (q, token, t) => q.abandon(token, t)));
  container.on('modified', (context: EventContext) => {
    const state = asRecord(context.delivery?.remote_state);
    settle(context, (q, token, t) => (state.undeliverable_here ? q.defer(token, t) : q.abandon(token, t)));
  });
  container.on('rejected', (context: EventContext) => {
    const error = asRecord(asRecord(context.delivery?.remote_state).error);
    const info = asRecord(error.info);
    settle(context, (q, token, t) => {
      if (error.condition !== DEAD_LETTER_CONDITION && error.condition !== undefined) {
        // Any other rejection is also a dead-letter, with the condition as its reason.
        q.deadLetterMessage(token, t, textOf(error.condition), stringOrUndefined(error.description));
        return;
      }
      q.deadLetterMessage(
        token,
        t,
        stringOrUndefined(info.DeadLetterReason),
        stringOrUndefined(info.DeadLetterErrorDescription),
      );
    });
  });
  container.on('error', () => {
    // An error a client states when it detaches or disconnects concerns that client only; the
    // handlers above already gave its locks back, and the emulator carries on for the others.
  });

  const server = container.listen({
    port: options.port ?? 0,
    host: '127.0.0.1',
    ...(options.tls ? { transport: 'tls', key: options.tls.key, cert: options.tls.cert } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    if (server.listening) {
      resolve();
    }
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;

  const queueOrThrow = (name: string): Queue => {
    const q = queues.get(name.toLowerCase());
    if (!q) {
      throw new Error(`No queue "${name}" in the emulator`);
    }
    q.tick(now());
    return q;
  };

  return {
    port,
    // UseDevelopmentEmulator is what makes the SDK speak plain TCP.
    connectionString: `Endpoint=sb://localhost:${port};SharedAccessKeyName=local;SharedAccessKey=local${options.tls ? '' : ';UseDevelopmentEmulator=true'}`,
    fullyQualifiedNamespace: `localhost:${port}`,
    counts(name) {
      const q = queueOrThrow(name);
      return { ...q.counts(), deadLettered: q.deadLetter?.messages.size ?? 0 };
    },
    deadLettered(name) {
      return [...(queueOrThrow(name).deadLetter?.messages.values() ?? [])].map((m) => {
        const props = asRecord(m.message.application_properties);
        return {
          messageId: m.messageId,
          sessionId: m.sessionId,
          body: decodeBody(m.message.body),
          reason: props.DeadLetterReason,
          description: props.DeadLetterErrorDescription,
          deliveryCount: m.deliveryCount,
        };
      });
    },
    sent(name) {
      const q = queueOrThrow(name);
      return { accepted: q.sentCount, duplicatesDropped: q.duplicatesDropped, transfers: q.transfers };
    },
    async close() {
      closed = true;
      if (timer) {
        clearTimeout(timer);
      }
      for (const c of connections) {
        c.close();
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Sockets still open after the close handshake are dropped, so close() never waits on a client.
        setTimeout(() => {
          for (const c of connections) {
            (c as unknown as { socket?: { destroy(): void } }).socket?.destroy();
          }
        }, 200).unref();
      });
    },
  };
}

/** Sets fields of the attach this side sends (rhea keeps them on `local.attach`). */
function setAttach(link: Sender | Receiver, fields: Record<string, unknown>): void {
  Object.assign((link as unknown as { local: { attach: Record<string, unknown> } }).local.attach, fields);
}

function stringOrUndefined(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : textOf(value);
}

/** The SDK sends a JSON body as one data section of UTF-8 JSON; shown decoded when it is. */
function decodeBody(body: unknown): unknown {
  const content = asRecord(body).content;
  if (Buffer.isBuffer(content)) {
    const text = content.toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return body;
}
