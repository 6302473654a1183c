import { randomUUID } from 'node:crypto';
import type { Message } from 'rhea';

export interface QueueOptions {
  name: string;
  requiresSession?: boolean;
  /** Deliveries allowed before the message is dead-lettered (default 10). */
  maxDeliveryCount?: number;
  lockDurationMs?: number;
  /** 0 turns duplicate detection off (default 10 minutes). */
  duplicateDetectionWindowMs?: number;
}

export type MessageState = 'active' | 'locked' | 'deferred' | 'scheduled';

export interface StoredMessage {
  sequenceNumber: number;
  /** The message as the sender encoded it; delivery adds the broker's annotations to a copy. */
  message: Message;
  messageId: string | undefined;
  sessionId: string | undefined;
  enqueuedAt: number;
  /** Times it was handed out with a lock (the SDK's deliveryCount). */
  deliveryCount: number;
  state: MessageState;
  visibleAt: number;
  lockToken?: string | undefined;
  lockedUntil?: number | undefined;
  /** Who holds the lock: the receiver link, so a detached receiver's messages come back. */
  lockOwner?: object | undefined;
  /** Where a deferred message returns to when a receive-by-sequence-number lock lapses. */
  deferredBeforeLock?: boolean;
}

export interface SessionLock {
  owner: object;
  lockedUntil: number;
}

export class SettleError extends Error {
  constructor(
    readonly condition: string,
    message: string,
  ) {
    super(message);
  }
}

export const LOCK_LOST = 'com.microsoft:message-lock-lost';
export const SESSION_LOCK_LOST = 'com.microsoft:session-lock-lost';
export const NOT_FOUND = 'com.microsoft:message-not-found';

/** One queue and its dead-letter sub-queue, in memory. Time comes in as `now` so every rule is checkable. */
export class Queue {
  readonly maxDeliveryCount: number;
  readonly lockDurationMs: number;
  readonly duplicateWindowMs: number;
  readonly requiresSession: boolean;
  readonly messages = new Map<number, StoredMessage>();
  readonly deadLetter: Queue | undefined;
  private readonly seenIds = new Map<string, number>();
  readonly sessionLocks = new Map<string, SessionLock>();
  readonly sessionStates = new Map<string, Buffer>();
  /** Accepted by a sender, whether kept or dropped as a duplicate. */
  sentCount = 0;
  duplicatesDropped = 0;
  transfers = 0;

  constructor(
    readonly name: string,
    options: Omit<QueueOptions, 'name'>,
    private readonly nextSequence: () => number,
    isDeadLetter = false,
  ) {
    this.requiresSession = options.requiresSession ?? false;
    this.maxDeliveryCount = options.maxDeliveryCount ?? 10;
    this.lockDurationMs = options.lockDurationMs ?? 60_000;
    this.duplicateWindowMs = isDeadLetter ? 0 : (options.duplicateDetectionWindowMs ?? 10 * 60_000);
    this.deadLetter = isDeadLetter
      ? undefined
      : new Queue(`${name}/$DeadLetterQueue`, { ...options, requiresSession: false }, nextSequence, true);
  }

  /** Returns the sequence number, or undefined when the message id was seen within the window (dropped). */
  enqueue(message: Message, now: number, scheduledAt?: number): number | undefined {
    this.sentCount++;
    // The broker names a message that came without an id (the SDK's lock renewer needs one).
    if (message.message_id === undefined || message.message_id === null) {
      message.message_id = randomUUID().replace(/-/g, '');
    }
    const messageId = String(message.message_id);
    if (this.duplicateWindowMs > 0) {
      const seen = this.seenIds.get(messageId);
      if (seen !== undefined && now - seen < this.duplicateWindowMs) {
        this.duplicatesDropped++;
        return undefined;
      }
      this.seenIds.set(messageId, now);
    }
    const sequenceNumber = this.nextSequence();
    const sessionId = message.group_id === undefined ? undefined : String(message.group_id);
    const future = scheduledAt !== undefined && scheduledAt > now;
    this.messages.set(sequenceNumber, {
      sequenceNumber,
      message,
      messageId,
      sessionId,
      enqueuedAt: future ? scheduledAt : now,
      deliveryCount: 0,
      state: future ? 'scheduled' : 'active',
      visibleAt: future ? scheduledAt : now,
    });
    return sequenceNumber;
  }

  /** Applies what time has done: due scheduled messages appear, lapsed locks release. */
  tick(now: number): void {
    for (const m of this.messages.values()) {
      if (m.state === 'scheduled' && m.visibleAt <= now) {
        m.state = 'active';
      }
      if (m.state === 'locked' && (m.lockedUntil ?? 0) <= now) {
        this.unlock(m, now, m.deferredBeforeLock === true);
      }
    }
    for (const [id, lock] of this.sessionLocks) {
      if (lock.lockedUntil <= now) {
        this.sessionLocks.delete(id);
      }
    }
    for (const [id, seen] of this.seenIds) {
      if (now - seen >= this.duplicateWindowMs) {
        this.seenIds.delete(id);
      }
    }
  }

  /** The earliest future moment at which tick() would change something (for the pump timer). */
  nextChangeAt(): number | undefined {
    let next: number | undefined;
    for (const m of this.messages.values()) {
      const at = m.state === 'scheduled' ? m.visibleAt : m.state === 'locked' ? m.lockedUntil : undefined;
      if (at !== undefined && (next === undefined || at < next)) {
        next = at;
      }
    }
    for (const lock of this.sessionLocks.values()) {
      if (next === undefined || lock.lockedUntil < next) {
        next = lock.lockedUntil;
      }
    }
    return next;
  }

  /**
   * The next message to hand out: oldest first, and within a session only when no earlier
   * message of that session is locked (a session's messages go out in order).
   */
  nextAvailable(sessionId: string | undefined): StoredMessage | undefined {
    for (const m of this.messages.values()) {
      if (this.requiresSession && m.sessionId !== sessionId) {
        continue;
      }
      if (m.state === 'active') {
        return m;
      }
    }
    return undefined;
  }

  lock(m: StoredMessage, owner: object, now: number): string {
    m.deferredBeforeLock = m.state === 'deferred';
    m.state = 'locked';
    m.lockToken = randomUUID();
    // The session lock is an umbrella for the message locks its holder takes (the SDK refuses
    // to renew a session message's lock: renewing the session lock keeps them).
    const session = m.sessionId === undefined ? undefined : this.sessionLocks.get(m.sessionId);
    m.lockedUntil = session?.owner === owner ? session.lockedUntil : now + this.lockDurationMs;
    m.lockOwner = owner;
    m.deliveryCount++;
    return m.lockToken;
  }

  byLockToken(token: string): StoredMessage | undefined {
    for (const m of this.messages.values()) {
      if (m.state === 'locked' && m.lockToken === token) {
        return m;
      }
    }
    return undefined;
  }

  private locked(token: string, now: number): StoredMessage {
    this.tick(now);
    const m = this.byLockToken(token);
    if (!m) {
      throw new SettleError(LOCK_LOST, `The lock on the message (token ${token}) was lost or expired.`);
    }
    return m;
  }

  complete(token: string, now: number): void {
    this.messages.delete(this.locked(token, now).sequenceNumber);
  }

  /** Abandon: the delivery is counted; past the maximum the message is dead-lettered. */
  abandon(token: string, now: number): void {
    this.unlock(this.locked(token, now), now, false);
  }

  defer(token: string, now: number): void {
    const m = this.locked(token, now);
    this.clearLock(m);
    m.state = 'deferred';
  }

  deadLetterMessage(token: string, now: number, reason?: string, description?: string): void {
    this.moveToDeadLetter(this.locked(token, now), now, reason, description);
  }

  renewLock(token: string, now: number): number {
    const m = this.locked(token, now);
    m.lockedUntil = now + this.lockDurationMs;
    return m.lockedUntil;
  }

  /** Locks a session to a receiver; undefined when another receiver holds it. */
  lockSession(sessionId: string, owner: object, now: number): number | undefined {
    this.tick(now);
    if (this.sessionLocks.has(sessionId)) {
      return undefined;
    }
    const lockedUntil = now + this.lockDurationMs;
    this.sessionLocks.set(sessionId, { owner, lockedUntil });
    return lockedUntil;
  }

  /** Whether this receiver holds the session now (a lapsed lock may have gone to another). */
  holdsSession(sessionId: string, owner: object): boolean {
    return this.sessionLocks.get(sessionId)?.owner === owner;
  }

  /**
   * Renews a session's lock, and the locks its holder has on the session's messages. `holder`:
   * the receiver the request names (null: a name no receiver has); undefined when it names none.
   */
  renewSessionLock(sessionId: string, holder: object | null | undefined, now: number): number {
    this.tick(now);
    const lock = this.sessionLocks.get(sessionId);
    if (!lock || (holder !== undefined && lock.owner !== holder)) {
      throw new SettleError(SESSION_LOCK_LOST, `The lock on session "${sessionId}" was lost or expired.`);
    }
    lock.lockedUntil = now + this.lockDurationMs;
    for (const m of this.messages.values()) {
      if (m.state === 'locked' && m.sessionId === sessionId && m.lockOwner === lock.owner) {
        m.lockedUntil = lock.lockedUntil;
      }
    }
    return lock.lockedUntil;
  }

  /** Releases every lock a receiver held (its link closed): as if each were abandoned. */
  releaseOwner(owner: object, now: number): void {
    for (const m of this.messages.values()) {
      if (m.state === 'locked' && m.lockOwner === owner) {
        this.unlock(m, now, false);
      }
    }
    for (const [id, lock] of this.sessionLocks) {
      if (lock.owner === owner) {
        this.sessionLocks.delete(id);
      }
    }
  }

  counts(): { active: number; locked: number; deferred: number; scheduled: number } {
    const c = { active: 0, locked: 0, deferred: 0, scheduled: 0 };
    for (const m of this.messages.values()) {
      c[m.state]++;
    }
    return c;
  }

  /** A session that has an available message and no holder. */
  freeSessionWithMessages(): string | undefined {
    for (const m of this.messages.values()) {
      if (m.state === 'active' && m.sessionId !== undefined && !this.sessionLocks.has(m.sessionId)) {
        return m.sessionId;
      }
    }
    return undefined;
  }

  private unlock(m: StoredMessage, now: number, backToDeferred: boolean): void {
    this.clearLock(m);
    if (backToDeferred) {
      m.state = 'deferred';
    } else if (m.deliveryCount >= this.maxDeliveryCount) {
      this.moveToDeadLetter(
        m,
        now,
        'MaxDeliveryCountExceeded',
        `Message could not be consumed after ${this.maxDeliveryCount} delivery attempts.`,
      );
    } else {
      m.state = 'active';
    }
  }

  private clearLock(m: StoredMessage): void {
    m.lockToken = undefined;
    m.lockedUntil = undefined;
    m.lockOwner = undefined;
    m.deferredBeforeLock = false;
  }

  private moveToDeadLetter(m: StoredMessage, now: number, reason?: string, description?: string): void {
    this.messages.delete(m.sequenceNumber);
    if (!this.deadLetter) {
      return;
    }
    const properties: Record<string, unknown> = { ...m.message.application_properties };
    if (reason !== undefined) {
      properties.DeadLetterReason = reason;
    }
    if (description !== undefined) {
      properties.DeadLetterErrorDescription = description;
    }
    this.deadLetter.messages.set(m.sequenceNumber, {
      ...m,
      message: { ...m.message, application_properties: properties },
      state: 'active',
      visibleAt: now,
      lockToken: undefined,
      lockedUntil: undefined,
      lockOwner: undefined,
      deferredBeforeLock: false,
    });
  }
}
