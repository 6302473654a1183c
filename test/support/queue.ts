import type { OutgoingSync, SyncQueue } from '../../shared/messaging/sync-queue';

/**
 * A SyncQueue that keeps what was sent, dropping a messageId it has seen (as Service Bus
 * duplicate detection does), for use-case tests that look at what was queued.
 */
export function recordingQueue(): SyncQueue & { sent: OutgoingSync[]; failNext(error: Error): void } {
  const sent: OutgoingSync[] = [];
  const seen = new Set<string>();
  let failure: Error | undefined;
  return {
    sent,
    failNext(error) {
      failure = error;
    },
    send(messages) {
      if (failure) {
        const error = failure;
        failure = undefined;
        return Promise.reject(error);
      }
      for (const m of messages) {
        if (seen.has(m.messageId)) continue;
        seen.add(m.messageId);
        sent.push(structuredClone(m));
      }
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}
