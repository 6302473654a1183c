import { syncMessage, type SyncMessage } from '../../../../shared/messaging/messages';
import {
  leaseRetryAt,
  RETRY_POLICY,
  retryAt,
  SyncWorker,
  type Handled,
} from '../../../../shared/scheduling/sync-worker';
import { SyncStateRepository } from '../../../../shared/storage/sync-state-repository';
import { createTableStore } from '../../../../shared/storage/tables';
import { LEASE_MS } from '../../../../shared/sync/lease';
import type { SyncSettings } from '../../../../shared/sync/model';
import type { EntityRun } from '../../../../shared/sync/sync-service';
import { ORO_OWNER, startSyncHarness, type SyncHarness } from '../../../support/sync-harness';
import { startTestServiceBus, type TestServiceBus } from '../../../support/service-bus';
import { QUEUES } from '../../../../shared/messaging/messages';
import { testConnectionString, uniquePrefix } from '../../../support/storage';

// A day ahead of the real clock: the emulator schedules by real time, so retries stay scheduled.
const NOW = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 86_400_000);
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const REQUESTED = at(-60).toISOString();
const EMPTY = { created: 0, updated: 0, deleted: 0, conflicts: 0, errors: 0 };
const ok: EntityRun = { entity: 'tasks', status: 'ok', result: EMPTY, requests: { oro: 2, microsoft: 1 } };
const throttled = (retryAfterMs?: number): EntityRun => ({
  entity: 'tasks',
  status: 'failed',
  result: { ...EMPTY, errors: 1 },
  error: 'Oro answered 429 to GET /api/tasks: Slow down.',
  requests: { oro: 0, microsoft: 0 },
  transient: { status: 429, ...(retryAfterMs ? { retryAfterMs } : {}) },
});
const message = (extra: Partial<SyncMessage> = {}): SyncMessage => ({
  userId: '101',
  entity: 'tasks',
  reason: 'schedule',
  requestedAt: REQUESTED,
  ...extra,
});

let bus: TestServiceBus;
beforeEach(async () => {
  bus = await startTestServiceBus();
});
afterEach(() => bus.close());

/** What the worker left on task-sync: scheduled retries included. */
const onQueue = async () =>
  (await bus.peek(QUEUES.tasks)).map((m) => ({
    messageId: m.messageId,
    sessionId: m.sessionId,
    scheduledAt: m.scheduledEnqueueTimeUtc,
    body: m.body as unknown,
  }));

function world() {
  const states = new SyncStateRepository(createTableStore(testConnectionString(), uniquePrefix()));
  return { states, worker: new SyncWorker({ states, queue: bus.queue, now: () => NOW }) };
}

describe('retry backoff', () => {
  it('doubles from 30 s up to 30 min, and waits longer when the side asked to', () => {
    const s = (attempt: number, after?: number) =>
      (retryAt(attempt, NOW, after).getTime() - NOW.getTime()) / 1000;
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => s(a))).toEqual([30, 60, 120, 240, 480, 960, 1800]);
    expect(s(1, 120_000)).toBe(120);
    expect(s(3, 10_000)).toBe(120); // the backoff is the floor
    expect(s(1, 30 * 24 * 3600_000)).toBe(6 * 3600); // an absurd Retry-After is bounded
  });

  it("times a held lease's retry to its end plus 2 s, never sooner than 5 s from now", () => {
    const s = (until: Date) =>
      ((leaseRetryAt(until.toISOString(), NOW)?.getTime() ?? NaN) - NOW.getTime()) / 1000;
    expect(s(at(40))).toBe(42);
    expect(s(at(1))).toBe(5);
    expect(s(at(-30))).toBe(5); // already ran out by this clock
    expect(leaseRetryAt('not a time', NOW)).toBeUndefined();
  });
});

describe('SyncWorker (Azurite)', () => {
  it('keeps the queued mark until the run ended (no "idle" before the run took its lease), then clears it', async () => {
    const w = world();
    await w.states.markQueued('101', 'tasks', at(-60));
    const handled = await w.worker.handle(message(), { count: 1 }, async () => {
      // Settings, connection and token are read before the lease: the status still says queued.
      expect((await w.states.get('101', 'tasks'))?.state.queuedAt).toBe(at(-60).toISOString());
      return ok;
    });
    expect(handled.outcome).toBe('done');
    expect((await w.states.get('101', 'tasks'))?.state.queuedAt).toBeUndefined();
    expect(await onQueue()).toEqual([]);
  });

  it('notes a scheduled retry in the state (when, which, why): another run meanwhile keeps it, the retry itself ends it', async () => {
    const w = world();
    await w.worker.handle(message(), { count: 1 }, () => Promise.resolve(throttled(300_000)));
    const retry = {
      at: at(300).toISOString(),
      attempt: 1,
      reason: 'Oro answered 429 to GET /api/tasks: Slow down.',
    };
    expect((await w.states.get('101', 'tasks'))?.state).toMatchObject({ queuedAt: NOW.toISOString(), retry });
    // a notification's run a minute later: the retry is still scheduled, and still shown
    const later = new SyncWorker({ states: w.states, queue: bus.queue, now: () => at(60) });
    await later.handle(
      message({ reason: 'notification', requestedAt: at(55).toISOString() }),
      { count: 1 },
      () => Promise.resolve(ok),
    );
    expect((await w.states.get('101', 'tasks'))?.state).toMatchObject({ retry });
    // the retry, delivered at its time
    const due = new SyncWorker({ states: w.states, queue: bus.queue, now: () => at(300) });
    await due.handle(
      message({ reason: 'retry', attempt: 1, requestedAt: NOW.toISOString() }),
      { count: 1 },
      () => Promise.resolve(ok),
    );
    const state = (await w.states.get('101', 'tasks'))?.state;
    expect(state?.retry).toBeUndefined();
    expect(state?.queuedAt).toBeUndefined();
  });

  it('keeps a newer queued mark: another run is still pending', async () => {
    const w = world();
    await w.states.markQueued('101', 'tasks', at(30));
    await w.worker.handle(message(), { count: 1 }, () => Promise.resolve(ok));
    expect((await w.states.get('101', 'tasks'))?.state.queuedAt).toBe(at(30).toISOString());
  });

  it('turns a throttled run into a scheduled retry after Retry-After, marked queued, and a redelivery does not add one', async () => {
    const w = world();
    const m = message({ confirmMassDelete: true });
    const handled = await w.worker.handle(m, { count: 1 }, () => Promise.resolve(throttled(300_000)));
    expect(handled).toMatchObject({ outcome: 'retry', attempt: 1, at: at(300) });
    expect(await onQueue()).toEqual([
      {
        messageId: `retry:101:tasks:${REQUESTED}`,
        sessionId: '101',
        scheduledAt: at(300),
        body: { ...m, reason: 'retry', attempt: 1, requestedAt: NOW.toISOString() },
      },
    ]);
    expect(bus.emulator.counts(QUEUES.tasks).scheduled).toBe(1);
    expect((await w.states.get('101', 'tasks'))?.state.queuedAt).toBe(NOW.toISOString());
    await w.worker.handle(m, { count: 2 }, () => Promise.resolve(throttled(300_000)));
    expect(await onQueue()).toHaveLength(1);
    expect(bus.emulator.sent(QUEUES.tasks).duplicatesDropped).toBe(1);
  });

  it('backs off exponentially over retries and gives up after the last one, saying so in the status', async () => {
    const w = world();
    const third = await w.worker.handle(message({ reason: 'retry', attempt: 2 }), { count: 1 }, () =>
      Promise.resolve(throttled()),
    );
    expect(third).toMatchObject({ outcome: 'retry', attempt: 3, at: new Date(NOW.getTime() + 120_000) });
    const last = await w.worker.handle(
      message({ reason: 'retry', attempt: RETRY_POLICY.maxRetries }),
      { count: 1 },
      () => Promise.resolve(throttled()),
    );
    expect(last).toMatchObject({ outcome: 'gave-up', attempts: RETRY_POLICY.maxRetries });
    expect(await onQueue()).toHaveLength(1);
    expect((await w.states.get('101', 'tasks'))?.state).toMatchObject({
      status: 'error',
      lastError: 'Gave up after 5 retries: Oro answered 429 to GET /api/tasks: Slow down.',
    });
  });

  it('retries a run that found the lease held, instead of dropping it', async () => {
    const w = world();
    const busy: EntityRun = {
      entity: 'tasks',
      status: 'busy',
      result: EMPTY,
      requests: { oro: 0, microsoft: 0 },
    };
    expect(await w.worker.handle(message(), { count: 1 }, () => Promise.resolve(busy))).toMatchObject({
      outcome: 'retry',
    });
  });

  it('does not retry a failure that needs a person (not connected, items refused)', async () => {
    const w = world();
    const notReady: EntityRun = {
      entity: 'tasks',
      status: 'not-ready',
      error: 'User "101" has no connected Microsoft account.',
    };
    const itemFailed: EntityRun = {
      ...ok,
      status: 'failed',
      result: { ...EMPTY, errors: 2 },
      error: '2 item(s) failed',
    };
    expect(await w.worker.handle(message(), { count: 1 }, () => Promise.resolve(notReady))).toMatchObject({
      outcome: 'done',
    });
    expect(await w.worker.handle(message(), { count: 1 }, () => Promise.resolve(itemFailed))).toMatchObject({
      outcome: 'done',
    });
    expect(await onQueue()).toEqual([]);
  });

  it('rethrows an unexpected failure; on the last delivery it first records it so the dead-lettered run shows', async () => {
    const w = world();
    const boom = (): Promise<EntityRun> => Promise.reject(new Error('table storage timed out'));
    await expect(w.worker.handle(message(), { count: 4 }, boom)).rejects.toThrow('table storage timed out');
    expect(await w.states.get('101', 'tasks')).toBeUndefined();
    await expect(w.worker.handle(message(), { count: 5 }, boom)).rejects.toThrow('table storage timed out');
    expect((await w.states.get('101', 'tasks'))?.state).toMatchObject({
      status: 'error',
      lastError: 'The run failed on each of 5 deliveries and was dead-lettered: table storage timed out',
    });
    expect(await onQueue()).toEqual([]);
  });

  it('queues the continuation of a run that stopped at its bound, in the user session, once even when the message is delivered again', async () => {
    const w = world();
    const bounded: EntityRun = {
      ...ok,
      result: { ...EMPTY, created: 2 },
      continuation: { done: 2, planned: 7, runs: 4 },
    };
    const handled = await w.worker.handle(message({ confirmMassDelete: true }), { count: 1 }, () =>
      Promise.resolve(bounded),
    );
    expect(handled).toMatchObject({ outcome: 'done', continuation: { messageId: 'continue:101:tasks:4' } });
    // The host died before completing the message: its run is sent again with the same id.
    await w.worker.handle(message({ confirmMassDelete: true }), { count: 2 }, () => Promise.resolve(bounded));
    expect(await onQueue()).toEqual([
      {
        messageId: 'continue:101:tasks:4',
        sessionId: '101',
        scheduledAt: undefined,
        body: {
          userId: '101',
          entity: 'tasks',
          reason: 'continue',
          requestedAt: NOW.toISOString(),
          continues: 4,
          confirmMassDelete: true,
        },
      },
    ]);
    // A run that left nothing queues nothing.
    await w.worker.handle(message(), { count: 1 }, () => Promise.resolve(ok));
    expect(await onQueue()).toHaveLength(1);
  });
});

/**
 * A run that found the user's lease held, as the runner reports it: the lease's end comes
 * with "busy". A crashed run's lease lapses within a minute (it is no longer renewed), so
 * the retry is timed to it; a live run renews it, so only one retry may be.
 */
describe('a run that found the lease held (the runner over Azurite and the simulators)', () => {
  const BI: SyncSettings = { direction: 'bidirectional', conflictResolution: 'oro-wins' };
  let h: SyncHarness;
  beforeAll(async () => {
    h = await startSyncHarness();
  });
  afterAll(() => h.close());

  const parts = () => {
    const states = new SyncStateRepository(h.tables);
    return {
      states,
      worker: new SyncWorker({ states, queue: bus.queue, now: () => h.now() }),
      run: () => h.run(BI).then((r): EntityRun => ({ entity: 'tasks', ...r })),
    };
  };
  /** The retry message the worker scheduled, as the queue function will read it. */
  const scheduled = async (handled: Handled): Promise<SyncMessage> => {
    expect(handled.outcome).toBe('retry');
    const id = handled.outcome === 'retry' ? handled.messageId : '';
    const found = (await bus.peek(QUEUES.tasks)).find((m) => m.messageId === id);
    return syncMessage.parse(found?.body);
  };
  /** Moves the run clock on to `at`; `beat` runs after each 20 s (a live run's lease renewals). */
  const until = async (at: Date, beat?: () => Promise<void>) => {
    while (h.now() < at) {
      const step = Math.min(LEASE_MS / 3, at.getTime() - h.now().getTime());
      h.advance(step);
      if (step === LEASE_MS / 3) {
        await beat?.();
      }
    }
  };
  const seconds = (from: Date, to: Date) => Math.round((to.getTime() - from.getTime()) / 1000);

  it('of a crashed run: retried as that lease runs out (2 s after), not a backoff later', async () => {
    const { states, worker, run } = parts();
    const crashed = await states.acquire(ORO_OWNER, 'tasks', 'crashed-run', LEASE_MS, h.now());
    const leaseEnd = new Date(crashed!.state.lease!.until);
    h.advance(15_000); // its host died 15 s ago: 45 s left on its lease

    const start = h.now();
    const first = await worker.handle(message({ requestedAt: start.toISOString() }), { count: 1 }, run);
    // The backoff's 30 s comes before the lease's end: as today.
    expect(first).toMatchObject({ outcome: 'retry', attempt: 1, run: { status: 'busy' } });
    expect(first.outcome === 'retry' && seconds(start, first.at)).toBe(30);
    await until((first as { at: Date }).at);

    const second = await worker.handle(await scheduled(first), { count: 1 }, run);
    // 15 s left: retried at the lease's end (plus 2 s for clocks), where today waits 60 s.
    expect(second).toMatchObject({ outcome: 'retry', attempt: 2, at: new Date(leaseEnd.getTime() + 2_000) });
    await until((second as { at: Date }).at);

    const third = await worker.handle(await scheduled(second), { count: 1 }, run);
    expect(third).toMatchObject({ outcome: 'done', run: { status: 'ok' } });
    expect(seconds(start, h.now())).toBe(47); // today: 90
  });

  it('behind a live run that renews its lease: one retry at most at its end, the rest at the backoff, giving up after the same retries', async () => {
    const { states, worker, run } = parts();
    let live = await states.acquire(ORO_OWNER, 'tasks', 'live-run', LEASE_MS, h.now());
    const renew = async () => {
      live = await states.renew(ORO_OWNER, 'tasks', live!, 'live-run', LEASE_MS, h.now());
    };
    let next = message({ requestedAt: h.now().toISOString() });
    const waits: number[] = [];
    for (;;) {
      const start = h.now();
      const handled = await worker.handle(next, { count: 1 }, run);
      if (handled.outcome !== 'retry') {
        expect(handled).toMatchObject({ outcome: 'gave-up', attempts: RETRY_POLICY.maxRetries });
        break;
      }
      waits.push(seconds(start, handled.at));
      await until(handled.at, renew);
      next = await scheduled(handled);
    }
    // Today: 30, 60, 120, 240, 480 s. The second is timed to the lease's end (renewed at 20 s,
    // so 80 s + 2 s); found renewed there, the rest keep the backoff.
    expect(waits).toEqual([30, 52, 120, 240, 480]);
    // The live run kept its lease throughout: no retry wrote its row (each renewal is at its ETag).
    expect((await states.get(ORO_OWNER, 'tasks'))?.etag).toBe(live?.etag);
  });
});
