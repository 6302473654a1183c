import type { Message, Sender } from 'rhea';
import { createDispatcher } from '../../../../dev/servicebus/dispatch';
import { createNamespace } from '../../../../dev/servicebus/namespace';
import { SESSION_LOCK_LOST } from '../../../../dev/servicebus/queue-store';

/** A receiver link as the dispatcher sees it (rhea's Sender): credit, what it was sent, how it was closed. */
function link(credit: number) {
  const sent: Message[] = [];
  const closed: { condition: string }[] = [];
  const sender = {
    snd_settle_mode: 0,
    is_open: () => closed.length === 0,
    sendable: () => credit > 0,
    send: (m: Message) => {
      credit--;
      sent.push(m);
    },
    close: (error: { condition: string }) => closed.push(error),
  };
  return { sender: sender as unknown as Sender, sent, closed };
}

describe('dispatcher and session locks', () => {
  let t = 0;
  const ns = createNamespace([{ name: 'q', requiresSession: true, lockDurationMs: 1000 }], () => t);
  const dispatcher = createDispatcher(ns, () => t);
  afterAll(() => dispatcher.stop());

  it('closes a receiver whose lapsed session lock another receiver has taken before the timer ran, and sends it nothing', () => {
    const queue = ns.queues.get('q')!;
    const first = link(10);
    const second = link(10);
    queue.enqueue({ message_id: 'm1', group_id: 's', body: 1 }, t);
    expect(queue.lockSession('s', first.sender, t)).toBe(1000);
    ns.consumers.set(first.sender, { queue, sessionId: 's' });
    // The lock lapses; an accept arrives in the same turn, before the dispatcher's timer fires.
    t = 1000;
    expect(queue.lockSession('s', second.sender, t)).toBe(2000);
    ns.consumers.set(second.sender, { queue, sessionId: 's' });
    dispatcher.pump();

    expect(first.closed.map((e) => e.condition)).toEqual([SESSION_LOCK_LOST]);
    expect(first.sent).toHaveLength(0);
    expect(second.sent.map((m) => m.message_id)).toEqual(['m1']);
    expect(ns.consumers.has(first.sender)).toBe(false);
    expect(queue.holdsSession('s', second.sender)).toBe(true);
  });
});
