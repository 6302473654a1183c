import type { MicrosoftMark, SyncState } from '../storage/sync-state-repository';
import type { Fields, Link } from './model';
import type { ReadResult } from './ports';

/**
 * What Graph change notifications tell a run about the Microsoft side. A live subscription
 * that has notified nothing since the last Microsoft read vouches that Graph holds nothing
 * new: a scheduled run then reads Oro only (docs/scheduling.md, "Quiet subscriptions").
 */
export interface NotificationWatch {
  /**
   * The user's live subscription of this entity and its notification count, read before this
   * run's Microsoft read; undefined when there is none (or it vouches for nothing).
   */
  mark?: { subscriptionId: string; notified: number } | undefined;
  /** The run may leave out a quiet Microsoft read: only scheduled runs do. */
  trust: boolean;
  /** The safety net: Graph is read anyway once the last read is this old. */
  pollSafetyMs: number;
}

/**
 * Whether this run may skip reading Microsoft: trusted, the subscription is the one the last
 * read recorded with the same count, that read is younger than the safety interval, and the
 * state needs nothing only a read gives (a Microsoft cursor to continue from, no pending
 * create to retry, no create of ours at Microsoft waiting for a read to confirm it).
 */
export function microsoftQuiet<F extends Fields>(
  state: SyncState,
  watch: NotificationWatch,
  microsoftCursor: string | undefined,
  links: readonly Link<F>[],
  now: Date,
): boolean {
  const last = state.microsoftMark;
  return (
    watch.trust &&
    watch.mark !== undefined &&
    last !== undefined &&
    last.subscriptionId === watch.mark.subscriptionId &&
    last.notified === watch.mark.notified &&
    now.getTime() - Date.parse(last.readAt) < watch.pollSafetyMs &&
    microsoftCursor !== undefined &&
    // A pending create is retried by a full run; our own create at Microsoft is confirmed only
    // by a Microsoft read (the feed from the saved cursor may never mention it again).
    links.every((l) => l.pending === undefined && l.unconfirmed !== 'microsoft')
  );
}

/**
 * The mark a finished run leaves: a Microsoft read whose cursor was saved records what it
 * saw before it read (a notification counted meanwhile keeps the next scheduled run reading);
 * a skipped read or a cursor held back keeps the previous mark.
 */
export function markAfter(
  state: SyncState,
  watch: NotificationWatch | undefined,
  read: { microsoft: boolean; cursorSaved: boolean; at: Date },
): MicrosoftMark | undefined {
  if (!watch || !read.microsoft || !read.cursorSaved) {
    return state.microsoftMark;
  }
  return watch.mark && { ...watch.mark, readAt: read.at.toISOString() };
}

/**
 * Both sides' reads: at once, or, when the Microsoft side is quiet (`quietCursor`: its saved
 * cursor), Oro first and Microsoft only if Oro has something to apply (its items are then
 * compared with Graph's current state). A skipped read reports no change and keeps the cursor.
 */
export async function readSides<F extends Fields>(
  readOro: () => Promise<ReadResult<F>>,
  readMicrosoft: () => Promise<ReadResult<F>>,
  quietCursor: string | undefined,
): Promise<{ oro: ReadResult<F>; microsoft: ReadResult<F>; skipped: boolean }> {
  if (quietCursor === undefined) {
    const [oro, microsoft] = await Promise.all([readOro(), readMicrosoft()]);
    return { oro, microsoft, skipped: false };
  }
  const oro = await readOro();
  if (oro.changes.length > 0) {
    return { oro, microsoft: await readMicrosoft(), skipped: false };
  }
  return { oro, microsoft: { changes: [], cursor: quietCursor, full: false }, skipped: true };
}
