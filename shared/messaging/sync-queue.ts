import type { SyncEntity } from '../storage/sync-state-repository';
import type { SyncMessage } from './messages';

/** One message for the calendar-sync or task-sync queue. */
export interface OutgoingSync {
  body: SyncMessage;
  /**
   * Duplicate detection key: derived from user, entity and due slot (timer), the
   * notification (webhook) or the request (manual), so a resend within the window is dropped.
   */
  messageId: string;
  /** Deliver no earlier than this (retries with backoff, throttled users). */
  scheduledAt?: Date;
}

/**
 * Where sync work is queued. Sessions are keyed by user (sessionId = userId), so one user's
 * runs never overlap; the implementation picks the queue from the message's entity.
 */
export interface SyncQueue {
  send(messages: readonly OutgoingSync[]): Promise<void>;
  close(): Promise<void>;
}

/** The messageId of a scheduled run: the same user, entity and slot always give the same id. */
export const scheduleMessageId = (userId: string, entity: SyncEntity, slot: string): string =>
  `schedule:${userId}:${entity}:${slot}`;
