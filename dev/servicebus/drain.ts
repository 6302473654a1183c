import type { Sender } from 'rhea';

/** The parts of rhea's Sender (3.0.5) that decide whether its next flow frame says drain. */
interface SenderFlowState {
  _draining: boolean;
  _drained: boolean;
  credit: number;
  delivery_count: number;
  _get_drain(): boolean;
}

/**
 * Makes the link answer every drain request with a flow that says drain=true.
 *
 * AMQP 1.0 (2.6.7, 2.7.4): a sender's drain field is the receiver's last value; when draining
 * and out of messages it consumes the credit left and sends its flow state. rhea 3.0.5 sets
 * drain=true only while credit is left to consume, so a drain request that crossed the
 * delivery that used the last credit (or whose last credit the answering pump used) is
 * answered with drain unset. The SDK (@azure/service-bus 7.9.5) waits 200 ms for the drained
 * answer, then closes the receiver link: a session receiver loses its session while it holds a
 * message, and the session and the message go to another receiver.
 */
export function answerEveryDrain(sender: Sender): void {
  const link = sender as unknown as SenderFlowState;
  // A private method of rhea's: a version without it must say so, not drop drains silently.
  if (typeof link._get_drain !== 'function') {
    throw new Error('rhea changed: Sender._get_drain is gone (dev/servicebus/drain.ts needs a look)');
  }
  link._get_drain = () => {
    if (!link._draining || !link._drained) {
      return false;
    }
    link.delivery_count += link.credit;
    link.credit = 0;
    return true;
  };
}
