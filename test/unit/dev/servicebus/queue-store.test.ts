import { randomUUID } from 'node:crypto';
import { LOCK_LOST, Queue, SettleError } from '../../../../dev/servicebus/queue-store';
import { dotnetTicks, lockTokenTag, longNumber, tagLockToken } from '../../../../dev/servicebus/amqp';

let seq = 0;
const queue = (options: ConstructorParameters<typeof Queue>[1] = {}) => new Queue('q', options, () => ++seq);
const owner = {};

describe('Queue', () => {
  it('drops a messageId seen within the window and accepts it again once the window has passed', () => {
    const q = queue({ duplicateDetectionWindowMs: 1000 });
    expect(q.enqueue({ message_id: 'a', body: 1 }, 0)).toEqual(expect.any(Number));
    expect(q.enqueue({ message_id: 'a', body: 2 }, 999)).toBeUndefined();
    q.tick(1000);
    expect(q.enqueue({ message_id: 'a', body: 3 }, 1000)).toEqual(expect.any(Number));
    expect([...q.messages.values()].map((m) => m.message.body as unknown)).toEqual([1, 3]);
    expect(q.duplicatesDropped).toBe(1);
  });

  it('keeps every message when duplicate detection is off, and names a message without an id', () => {
    const q = queue({ duplicateDetectionWindowMs: 0 });
    q.enqueue({ message_id: 'a', body: 1 }, 0);
    q.enqueue({ message_id: 'a', body: 2 }, 0);
    q.enqueue({ body: 3 }, 0);
    expect(q.messages.size).toBe(3);
    expect([...q.messages.values()][2]?.messageId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('shows a scheduled message only from its time on', () => {
    const q = queue();
    q.enqueue({ message_id: 's', body: 1 }, 0, 500);
    expect(q.nextAvailable(undefined)).toBeUndefined();
    expect(q.nextChangeAt()).toBe(500);
    q.tick(500);
    expect(q.nextAvailable(undefined)?.messageId).toBe('s');
    expect(q.nextAvailable(undefined)?.enqueuedAt).toBe(500);
  });

  it('releases a lapsed lock, counting the delivery, and dead-letters past the max delivery count', () => {
    const q = queue({ lockDurationMs: 100, maxDeliveryCount: 2 });
    q.enqueue({ message_id: 'p', body: 1 }, 0);
    const first = q.lock(q.nextAvailable(undefined)!, owner, 0);
    q.tick(100);
    expect(() => q.complete(first, 100)).toThrow(SettleError);
    const second = q.lock(q.nextAvailable(undefined)!, owner, 100);
    q.abandon(second, 150);
    expect(q.messages.size).toBe(0);
    const dead = [...q.deadLetter!.messages.values()];
    expect(dead).toHaveLength(1);
    expect(dead[0]?.message.application_properties).toMatchObject({
      DeadLetterReason: 'MaxDeliveryCountExceeded',
    });
    expect(dead[0]?.deliveryCount).toBe(2);
  });

  it('renews a held lock from now, and refuses a token it does not know', () => {
    const q = queue({ lockDurationMs: 100 });
    q.enqueue({ message_id: 'r', body: 1 }, 0);
    const token = q.lock(q.nextAvailable(undefined)!, owner, 0);
    expect(q.renewLock(token, 90)).toBe(190);
    q.tick(150);
    expect(q.counts().locked).toBe(1);
    let error: unknown;
    try {
      q.renewLock(randomUUID(), 150);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettleError);
    expect((error as SettleError).condition).toBe(LOCK_LOST);
  });

  it('hands out only the asked session, oldest first, and finds a free session with messages', () => {
    const q = queue({ requiresSession: true });
    q.enqueue({ message_id: 'a1', group_id: 'a', body: 1 }, 0);
    q.enqueue({ message_id: 'b1', group_id: 'b', body: 1 }, 0);
    q.enqueue({ message_id: 'a2', group_id: 'a', body: 2 }, 0);
    expect(q.nextAvailable('a')?.messageId).toBe('a1');
    expect(q.nextAvailable('b')?.messageId).toBe('b1');
    q.sessionLocks.set('a', { owner, lockedUntil: 1000 });
    expect(q.freeSessionWithMessages()).toBe('b');
    q.releaseOwner(owner, 10);
    expect(q.sessionLocks.size).toBe(0);
  });

  it('gives back every lock of a receiver that went away, as abandons', () => {
    const q = queue();
    q.enqueue({ message_id: 'x', body: 1 }, 0);
    q.lock(q.nextAvailable(undefined)!, owner, 0);
    q.releaseOwner(owner, 5);
    expect(q.nextAvailable(undefined)).toMatchObject({ messageId: 'x', deliveryCount: 1, state: 'active' });
  });
});

describe('AMQP helpers', () => {
  it("round-trips a lock token through the delivery tag's .NET byte order", () => {
    const token = randomUUID();
    const tag = lockTokenTag(token);
    expect(tag).toHaveLength(16);
    expect(tag.toString('hex')).not.toBe(token.replace(/-/g, ''));
    expect(tagLockToken(tag)).toBe(token);
  });

  it('writes .NET ticks and reads rhea longs as numbers', () => {
    const ticks = dotnetTicks(Date.UTC(2026, 10, 24));
    const bytes = ticks.value as Buffer;
    expect((bytes.readBigInt64BE(0) - 621_355_968_000_000_000n) / 10_000n).toBe(
      BigInt(Date.UTC(2026, 10, 24)),
    );
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(123456789012n);
    expect(longNumber(b)).toBe(123456789012);
    expect(longNumber(42)).toBe(42);
    expect(() => longNumber('42')).toThrow('expected a sequence number');
  });
});
