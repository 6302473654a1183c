import fc from 'fast-check';
import {
  DEFAULT_AIMD,
  EMPTY_ROW,
  planSync,
  type BudgetRow,
  type SyncPlan,
} from '../../../../shared/budget/allocation';
import { propertyParameters, propertyRuns, propertyTimeout } from '../../../support/property';

/**
 * Instances sharing one budget row, driven through random interleavings of the steps the
 * real holder takes (shared/budget/shared-budget.ts runs planSync the same way): reads
 * that go stale before their write lands, requests starting and answering, instances
 * crashing with requests on the wire, throttling, leases lapsing as time passes.
 */
const RULES = {
  leaseMs: 2_000,
  safetyMs: 800,
  aimd: { ...DEFAULT_AIMD, cutWindowMs: 300, raiseEveryMs: 400 },
};
/** A request answers or times out within this (the client's timeout is below the no-start margin). */
const MAX_REQUEST_MS = 700;

interface Instance {
  id: string;
  /** Start times of its requests on the wire. */
  inFlight: number[];
  waiting: number;
  allowed: number;
  until: number;
  crashed: boolean;
  throttle?: { retryAfterMs?: number };
  pending?: { plan: SyncPlan; version: number; throttle?: { retryAfterMs?: number } | undefined } | undefined;
}

type Op =
  | { kind: 'want'; i: number; n: number }
  | { kind: 'start'; i: number }
  | { kind: 'answer'; i: number }
  | { kind: 'read'; i: number; leave: boolean }
  | { kind: 'write'; i: number }
  | { kind: 'crash'; i: number }
  | { kind: 'throttle'; i: number; retryAfterMs: number }
  | { kind: 'tick'; ms: number };

const HOLDERS = 2;
const who = fc.integer({ min: 0, max: HOLDERS - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('want' as const), i: who, n: fc.integer({ min: 1, max: 6 }) }),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('start' as const), i: who }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('answer' as const), i: who }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), i: who, leave: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('write' as const), i: who }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), i: who }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('throttle' as const),
      i: who,
      retryAfterMs: fc.integer({ min: 0, max: 1_000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 900 }) }),
  },
);

class World {
  row: BudgetRow = EMPTY_ROW;
  version = 0;
  now = 1_000_000;
  readonly instances: Instance[];

  constructor(readonly max: number) {
    this.instances = Array.from({ length: HOLDERS }, (_, k) => ({
      id: `i${k}`,
      inFlight: [],
      waiting: 0,
      allowed: 0,
      until: 0,
      crashed: false,
    }));
  }

  onWire(): number {
    return this.instances.reduce((sum, x) => sum + x.inFlight.length, 0);
  }

  /** Each instance's requests on the wire are covered by what the row says it holds. */
  covered(): boolean {
    return this.instances.every(
      (x) => x.inFlight.length === 0 || (this.row.holders[x.id]?.held ?? 0) >= x.inFlight.length,
    );
  }

  apply(o: Op): void {
    if (o.kind === 'tick') {
      this.now += o.ms;
      for (const x of this.instances) {
        x.inFlight = x.inFlight.filter((t) => t + MAX_REQUEST_MS > this.now);
      }
      return;
    }
    const x = this.instances[o.i]!;
    if (o.kind === 'answer') {
      x.inFlight.shift();
      return;
    }
    if (x.crashed) {
      return; // its requests stay on the wire until they answer or time out
    }
    switch (o.kind) {
      case 'want':
        x.waiting += o.n;
        return;
      case 'start':
        // As BudgetHolder.pump: only within the lease's start margin and the allowance.
        if (x.waiting > 0 && this.now < x.until - RULES.safetyMs && x.inFlight.length < x.allowed) {
          x.waiting--;
          x.inFlight.push(this.now);
        }
        return;
      case 'read': {
        if (x.pending) {
          return;
        }
        const want = x.inFlight.length + x.waiting;
        const plan = planSync(
          this.row,
          x.id,
          {
            inFlight: x.inFlight.length,
            want,
            max: this.max,
            allowed: x.allowed,
            leaving: want === 0 && o.leave,
          },
          this.now,
          RULES,
          x.throttle,
        );
        x.allowed = plan.allowedNow;
        x.pending = { plan, version: this.version, throttle: x.throttle };
        return;
      }
      case 'write': {
        const p = x.pending;
        if (!p) {
          return;
        }
        x.pending = undefined;
        if (p.plan.next) {
          if (p.version !== this.version) {
            return; // lost the race: the ETag changed (412); the holder reads again
          }
          this.row = p.plan.next;
          this.version++;
          if (x.throttle === p.throttle) {
            delete x.throttle;
          }
        }
        x.allowed = p.plan.after.allowed;
        x.until = p.plan.after.until;
        return;
      }
      case 'crash':
        x.crashed = true;
        return;
      case 'throttle':
        x.throttle = { retryAfterMs: o.retryAfterMs };
        return;
    }
  }
}

describe('shared budget (property)', () => {
  it('a holder that yields stops starting requests before its smaller share is written', () => {
    const world = new World(4);
    const steps: Op[] = [
      { kind: 'want', i: 0, n: 6 },
      { kind: 'read', i: 0, leave: false },
      { kind: 'write', i: 0 },
      { kind: 'start', i: 0 },
      { kind: 'want', i: 1, n: 6 },
      { kind: 'read', i: 1, leave: false },
      { kind: 'write', i: 1 },
      // i0 reads that i1 waits and yields toward 2; its write is still on its way.
      { kind: 'read', i: 0, leave: false },
      { kind: 'start', i: 0 },
      { kind: 'start', i: 0 },
      { kind: 'write', i: 0 },
      { kind: 'read', i: 1, leave: false },
      { kind: 'write', i: 1 },
      { kind: 'start', i: 1 },
      { kind: 'start', i: 1 },
    ];
    for (const o of steps) {
      world.apply(o);
      expect(world.covered()).toBe(true);
      expect(world.onWire()).toBeLessThanOrEqual(4);
    }
    expect(world.instances[0]!.inFlight).toHaveLength(2);
  });

  const runs = propertyRuns(300);

  it(
    'never has more requests on the wire than the budget, whatever the interleaving, crashes and throttling; a waiting request always gets its turn',
    () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 300 }), (max, ops) => {
          const world = new World(max);
          for (const o of ops) {
            world.apply(o);
            expect(world.onWire()).toBeLessThanOrEqual(max);
            expect(world.covered()).toBe(true);
          }
          // Then no more crashes or throttling: every instance still alive gets through its queue.
          for (let round = 0; round < 200; round++) {
            world.apply({ kind: 'tick', ms: MAX_REQUEST_MS });
            world.instances.forEach((x, i) => {
              world.apply({ kind: 'write', i });
              world.apply({ kind: 'read', i, leave: true });
              world.apply({ kind: 'write', i });
              for (let k = 0; k < max; k++) {
                world.apply({ kind: 'start', i });
              }
              expect(world.onWire()).toBeLessThanOrEqual(max);
            });
          }
          for (const x of world.instances.filter((y) => !y.crashed)) {
            expect(x.waiting).toBe(0);
          }
        }),
        propertyParameters(runs),
      );
    },
    propertyTimeout(runs, 50, 60_000),
  );
});
