import type { Sender } from 'rhea';
import { asRecord } from './amqp';
import { Queue, type QueueOptions } from './queue-store';

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

/** Where a receiver link reads from; the session it holds, when the queue has sessions. */
export interface Consumer {
  queue: Queue;
  sessionId?: string;
}

/**
 * The namespace's state: its queues (each with its dead-letter queue, numbered by one
 * sequence across the namespace) and the client receivers reading from them.
 */
export function createNamespace(options: QueueOptions[], now: () => number) {
  let sequence = 0;
  const queues = new Map<string, Queue>();
  for (const q of options) {
    queues.set(q.name.toLowerCase(), new Queue(q.name, q, () => ++sequence));
  }
  const consumers = new Map<Sender, Consumer>();

  /** The queue a link address names (`<queue>`, `<queue>/$management`, `<queue>/$deadletterqueue`). */
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

  const queueOrThrow = (name: string): Queue => {
    const q = queues.get(name.toLowerCase());
    if (!q) {
      throw new Error(`No queue "${name}" in the emulator`);
    }
    q.tick(now());
    return q;
  };

  return {
    queues,
    consumers,
    findQueue,
    /** Messages per state, for tests. */
    counts: (name: string): QueueCounts => {
      const q = queueOrThrow(name);
      return { ...q.counts(), deadLettered: q.deadLetter?.messages.size ?? 0 };
    },
    deadLettered: (name: string): DeadLetteredMessage[] => {
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
    sent: (name: string) => {
      const q = queueOrThrow(name);
      return { accepted: q.sentCount, duplicatesDropped: q.duplicatesDropped, transfers: q.transfers };
    },
  };
}

export type Namespace = ReturnType<typeof createNamespace>;

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
