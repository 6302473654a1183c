import type { OutgoingSync, SyncQueue } from '../../shared/messaging/sync-queue';

/**
 * An in-memory SyncQueue with Service Bus's duplicate detection (a messageId seen before is
 * dropped), for tests of code that sends sync messages without a broker.
 */
export class MemorySyncQueue implements SyncQueue {
  readonly messages: OutgoingSync[] = [];
  readonly dropped: OutgoingSync[] = [];
  private readonly seen = new Set<string>();

  send(messages: readonly OutgoingSync[]): Promise<void> {
    for (const m of messages) {
      if (this.seen.has(m.messageId)) this.dropped.push(m);
      else {
        this.seen.add(m.messageId);
        this.messages.push(m);
      }
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
