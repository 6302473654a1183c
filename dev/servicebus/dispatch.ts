import type { Sender } from 'rhea';
import { lockTokenTag } from './amqp';
import { withBrokerAnnotations } from './management';
import type { Namespace } from './namespace';
import { SESSION_LOCK_LOST } from './queue-store';

/**
 * Moves messages to receivers: hands available messages to receivers with credit (locking
 * them, or removing them for receiveAndDelete), and keeps a timer for the next due change
 * (a scheduled message coming due, a lock expiring).
 */
export function createDispatcher(ns: Namespace, now: () => number) {
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  /** Hands available messages to receivers with credit, then re-arms the timer for the next due change. */
  const pump = () => {
    if (closed) {
      return;
    }
    const t = now();
    for (const q of ns.queues.values()) {
      q.tick(t);
      q.deadLetter?.tick(t);
    }
    for (const [sender, consumer] of ns.consumers) {
      const { queue } = consumer;
      // Held by this receiver, not merely by someone: a lapsed lock may already be another's.
      if (consumer.sessionId !== undefined && !queue.holdsSession(consumer.sessionId, sender)) {
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
    const due = [...ns.queues.values()]
      .flatMap((q) => [q.nextChangeAt(), q.deadLetter?.nextChangeAt()])
      .filter((x): x is number => x !== undefined);
    if (due.length > 0) {
      timer = setTimeout(pump, Math.max(0, Math.min(...due) - now()) + 5);
      timer.unref();
    }
  };

  /** A receiver that goes away gives back its locks: its messages and session are free again. */
  const release = (sender: Sender) => {
    const consumer = ns.consumers.get(sender);
    if (!consumer) {
      return;
    }
    ns.consumers.delete(sender);
    consumer.queue.releaseOwner(sender, now());
    setImmediate(pump);
  };

  return {
    pump,
    /** Pumps on the next turn, once the current event's changes are made. */
    soon: () => {
      setImmediate(pump);
    },
    release,
    stop: () => {
      closed = true;
      if (timer) {
        clearTimeout(timer);
      }
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
