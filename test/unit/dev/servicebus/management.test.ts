import { handleManagement, ManagementError } from '../../../../dev/servicebus/management';
import { Queue, SESSION_LOCK_LOST } from '../../../../dev/servicebus/queue-store';

let seq = 0;
const holder = {};
const other = {};
const managementLink = {};

function renew(queue: Queue, now: number, associatedLink?: object | null): unknown {
  try {
    return handleManagement(
      'com.microsoft:renew-session-lock',
      { 'session-id': 's' },
      { queue, now, owner: managementLink, associatedLink, changed: () => undefined },
    ).body.expiration;
  } catch (error) {
    return error instanceof ManagementError ? `${error.status} ${error.condition}` : error;
  }
}

describe('com.microsoft:renew-session-lock', () => {
  it('renews for the receiver that holds the session, and its message locks with it', () => {
    const q = new Queue('q', { requiresSession: true, lockDurationMs: 1000 }, () => ++seq);
    q.enqueue({ message_id: 'm', group_id: 's', body: 1 }, 0);
    q.lockSession('s', holder, 0);
    const token = q.lock(q.nextAvailable('s')!, holder, 0);
    expect(q.byLockToken(token)?.lockedUntil).toBe(1000);
    expect(renew(q, 900, holder)).toEqual(new Date(1900));
    q.tick(1500);
    expect(q.byLockToken(token)?.lockedUntil).toBe(1900);
    q.complete(token, 1500);
    expect(q.messages.size).toBe(0);
  });

  it('refuses a receiver that does not hold the session: its lapsed lock went to another', () => {
    const q = new Queue('q', { requiresSession: true, lockDurationMs: 1000 }, () => ++seq);
    q.lockSession('s', other, 0);
    q.tick(1000);
    q.lockSession('s', holder, 1000);
    expect(renew(q, 1100, other)).toBe(`410 ${SESSION_LOCK_LOST}`);
    expect(renew(q, 1100, null)).toBe(`410 ${SESSION_LOCK_LOST}`);
    expect(q.sessionLocks.get('s')).toEqual({ owner: holder, lockedUntil: 2000 });
    // A request that names no receiver (not the SDK's) is taken as the holder's.
    expect(renew(q, 1100)).toEqual(new Date(2100));
  });
});
