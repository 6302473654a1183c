import {
  message as amqpMessage,
  type Container,
  type Delivery,
  type EventContext,
  type Message,
  type Receiver,
  type Sender,
} from 'rhea';
import { DEAD_LETTER_CONDITION, asRecord, tagLockToken, transferMessages } from './amqp';
import type { Dispatcher } from './dispatch';
import type { Namespace } from './namespace';
import { LOCK_LOST, SettleError, type Queue } from './queue-store';
import { cbsPutToken, managementRequest, type Authorize } from './requests';
import { textOf } from '../text-of';

/** rhea builds outcomes at run time; its typings do not list them. */
const outcomes = amqpMessage as unknown as Record<
  'accepted' | 'rejected',
  (fields: object) => { described(): unknown }
>;

/**
 * Deliveries both ways: what a client sends (a put-token to $cbs, a $management request, or
 * messages to enqueue, scheduled ones included), and how a client settles a message it
 * received (complete, abandon, defer or dead-letter).
 */
export function handleDeliveries(
  container: Container,
  ns: Namespace,
  dispatcher: Dispatcher,
  now: () => number,
  authorize: Authorize | undefined,
): void {
  container.on('message', (context: EventContext) => {
    const receiver = context.receiver as Receiver;
    const delivery = context.delivery as Delivery;
    const address = asRecord(receiver.target).address as string | undefined;
    const request = context.message as Message;
    if (address === '$cbs') {
      delivery.accept();
      cbsPutToken(context, request, authorize);
      return;
    }
    const found = ns.findQueue(address);
    if (!found) {
      delivery.reject({ condition: 'amqp:not-found', description: `No queue at "${address}".` });
      return;
    }
    if (found.rest === '$management') {
      delivery.accept();
      managementRequest(context, request, found.queue, now(), dispatcher.soon);
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
      dispatcher.soon();
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
    const consumer = ns.consumers.get(context.sender as Sender);
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
    dispatcher.soon();
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
}

function stringOrUndefined(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : textOf(value);
}
