import type { Connection, Container, EventContext, Receiver, Sender } from 'rhea';
import { LOCKED_UNTIL_PROPERTY, SESSION_FILTER, asRecord, dotnetTicks } from './amqp';
import type { Dispatcher } from './dispatch';
import { answerEveryDrain } from './drain';
import type { Namespace } from './namespace';

const MAX_MESSAGE_SIZE = 256 * 1024;

/**
 * Link attach and detach: what a client's sender may send to and a client's receiver may read
 * from (a queue, its dead-letter queue, a session of it, or a request node), and the locks a
 * link or connection gives back when it goes away. `connections`: the open connections, kept
 * for close().
 */
export function handleLinks(
  container: Container,
  ns: Namespace,
  dispatcher: Dispatcher,
  connections: Set<Connection>,
  now: () => number,
): void {
  container.on('connection_open', (context: EventContext) => {
    connections.add(context.connection);
  });

  // A client sender: a queue to enqueue to, or the $cbs / $management request node.
  container.on('receiver_open', (context: EventContext) => {
    const receiver = context.receiver as Receiver;
    const address = asRecord(receiver.target).address as string | undefined;
    if (address !== '$cbs' && !address?.endsWith('/$management') && !ns.findQueue(address)) {
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
    answerEveryDrain(sender);
    const source = asRecord(sender.source);
    const address = source.address as string | undefined;
    if (address === '$cbs' || address?.endsWith('/$management')) {
      sender.set_source({ address: address ?? '' });
      return;
    }
    const found = ns.findQueue(address);
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
      ns.consumers.set(sender, { queue });
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
    const lockedUntil = sessionId === undefined ? undefined : queue.lockSession(sessionId, sender, t);
    if (sessionId === undefined || lockedUntil === undefined) {
      // Answered at once, without the filter: the SDK reports that no session could be locked.
      sender.set_source({ address: address ?? '' });
      return;
    }
    sender.set_source({ address: address ?? '', filter: { [SESSION_FILTER]: sessionId } });
    setAttach(sender, { properties: { [LOCKED_UNTIL_PROPERTY]: dotnetTicks(lockedUntil) } });
    ns.consumers.set(sender, { queue, sessionId });
  });

  const linkGone = (context: EventContext) => {
    if (context.sender) {
      dispatcher.release(context.sender);
    }
  };
  container.on('sender_close', linkGone);
  container.on('sender_error', linkGone);
  const connectionGone = (context: EventContext) => {
    for (const sender of [...ns.consumers.keys()]) {
      if (sender.connection === context.connection) {
        dispatcher.release(sender);
      }
    }
  };
  // An AMQP session that ends takes its links with it even when the client sent no detach for
  // them (rhea then reports no sender_close): their receivers' locks come back too.
  container.on('session_close', (context: EventContext) => {
    for (const sender of [...ns.consumers.keys()]) {
      if (sender.session === context.session) {
        dispatcher.release(sender);
      }
    }
  });
  container.on('connection_close', connectionGone);
  container.on('disconnected', (context: EventContext) => {
    connectionGone(context);
    connections.delete(context.connection);
  });

  container.on('sendable', dispatcher.pump);
  container.on('sender_draining', (context: EventContext) => {
    dispatcher.pump();
    (context.sender as Sender).set_drained(true);
  });
}

/** Sets fields of the attach this side sends (rhea keeps them on `local.attach`). */
function setAttach(link: Sender | Receiver, fields: Record<string, unknown>): void {
  Object.assign((link as unknown as { local: { attach: Record<string, unknown> } }).local.attach, fields);
}
