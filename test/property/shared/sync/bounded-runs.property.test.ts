import fc from 'fast-check';
import type { RunBounds } from '../../../../shared/sync/bounded';
import { LinkRepository } from '../../../../shared/storage/link-repository';
import { SyncStateRepository } from '../../../../shared/storage/sync-state-repository';
import type { SyncSettings } from '../../../../shared/sync/model';
import { oroToFields } from '../../../../shared/sync/tasks/oro-mapping';
import { todoToFields } from '../../../../shared/sync/tasks/todo-mapping';
import {
  boundedRuns,
  propertyParameters,
  propertyRuns,
  propertyTimeout,
  runBoundsArb,
  settingsArb,
} from '../../../support/property';
import { MS_USER, ORO_OWNER, startSyncHarness, type SyncHarness } from '../../../support/sync-harness';

/**
 * Bounded runs (shared/sync/bounded.ts), model-based: tiny bounds (1 to 5 writes a run),
 * an initial sync larger than a run may do, user edits between runs, Oro faults, crashes
 * between any two steps of any run (the n-th step point of the run dies) and between any two
 * of its table transactions (the process dies there). Each run that
 * stops at its bound is continued, as its queued continuation would. Then faults stop and
 * runs go on until one changes nothing. Whatever happened: no run wrote past its bound, no
 * duplicate, nothing lost, the backlog is empty, and the sides agree as the direction says.
 */

type Op =
  | { kind: 'create'; side: 'oro' | 'ms'; title: string }
  | { kind: 'edit'; side: 'oro' | 'ms'; pick: number; value: number }
  | { kind: 'delete'; side: 'oro' | 'ms'; pick: number }
  /** One run, continued while it says so (at most `steps` runs: the rest of the chain waits). */
  | { kind: 'run'; steps: number }
  /** The next run dies at its n-th step point. */
  | { kind: 'crash'; at: number }
  /** The next run's process dies after `after` table transactions (the next lost, or applied). */
  | { kind: 'table-crash'; after: number; applied: boolean }
  | { kind: 'oro-fault'; what: 'error-500' | 'throttle-429' | 'apply-then-drop' };

const side = fc.constantFrom('oro' as const, 'ms' as const);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      side,
      title: fc.constantFrom('Call', 'Mail', 'Quote'),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      side,
      pick: fc.nat(),
      value: fc.nat({ max: 5 }),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), side, pick: fc.nat() }), weight: 2 },
  {
    arbitrary: fc.record({ kind: fc.constant('run' as const), steps: fc.integer({ min: 1, max: 4 }) }),
    weight: 4,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('crash' as const), at: fc.integer({ min: 1, max: 12 }) }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('table-crash' as const),
      after: fc.nat({ max: 8 }),
      applied: fc.boolean(),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('oro-fault' as const),
      what: fc.constantFrom('error-500' as const, 'throttle-429' as const, 'apply-then-drop' as const),
    }),
    weight: 1,
  },
);

function applyUserOp(h: SyncHarness, o: Extract<Op, { kind: 'create' | 'edit' | 'delete' }>): void {
  if (o.side === 'oro') {
    const tasks = h.oro.tasks(ORO_OWNER);
    const t = 'pick' in o ? tasks[o.pick % Math.max(1, tasks.length)] : undefined;
    if (o.kind === 'create') {
      h.oro.createTask(ORO_OWNER, { subject: o.title });
    } else if (t && o.kind === 'edit') {
      h.oro.editTask(t.id, {
        subject: `${t.subject.split(' ')[0]} v${o.value}`,
        description: `note ${o.value}`,
      });
    } else if (t) {
      h.oro.deleteTask(t.id);
    }
    return;
  }
  const todo = h.microsoft.todo(MS_USER);
  const tasks = todo.all();
  const t = 'pick' in o ? tasks[o.pick % Math.max(1, tasks.length)] : undefined;
  if (o.kind === 'create') {
    todo.create({ title: o.title });
  } else if (t && o.kind === 'edit') {
    todo.update(t.id, { title: `${t.title.split(' ')[0]} w${o.value}` });
  } else if (t) {
    todo.remove(t.id);
  }
}

describe('bounded runs (model-based, with crashes between any two writes)', () => {
  const runs = propertyRuns(30);
  jest.setTimeout(propertyTimeout(runs, 4_000));

  it('an initial sync larger than the bound completes across continuations: no run over its bound, no duplicate, nothing lost', async () => {
    // Runs that stopped at their bound and were continued, over all cases: the property is about them.
    let continued = 0;
    await fc.assert(
      fc.asyncProperty(
        settingsArb,
        runBoundsArb,
        fc.nat({ max: 8 }),
        fc.nat({ max: 8 }),
        fc.array(op, { minLength: 2, maxLength: 14 }),
        async (settings: SyncSettings, bounds, oroStart, msStart, ops) => {
          const h = await startSyncHarness(ORO_OWNER, { msTimeZone: 'UTC' });
          try {
            for (let i = 0; i < oroStart; i++) {
              h.oro.createTask(ORO_OWNER, { subject: `Oro ${i}` });
            }
            for (let i = 0; i < msStart; i++) {
              h.microsoft.todo(MS_USER).create({ title: `To Do ${i}` });
            }
            const runs = boundedRuns(h, settings, bounds, (ms) => h.advance(ms));
            for (const o of ops) {
              if (o.kind === 'run') {
                await runs.chain(o.steps);
              } else if (o.kind === 'crash') {
                runs.crashNext(o.at);
              } else if (o.kind === 'table-crash') {
                h.crashTablesAfter(o.after, o.applied);
              } else if (o.kind === 'oro-fault') {
                h.oro.failNext(o.what);
              } else {
                applyUserOp(h, o);
              }
            }
            const quiet = await runs.settle();
            continued += runs.continued();
            expect(quiet).toBe(true);

            const all = await new LinkRepository(h.tables).listAll(ORO_OWNER, 'tasks');
            expect(all.backlog).toEqual([]);
            const state = await new SyncStateRepository(h.tables).get(ORO_OWNER, 'tasks');
            expect(state?.state.continuing).toBeUndefined();
            const links = all.links;
            expect(links.filter((l) => l.pending)).toEqual([]);

            const oroTasks = h.oro.tasks(ORO_OWNER);
            const msTasks = h.microsoft.todo(MS_USER).all();
            // No duplicates: every task in at most one link, and every link names tasks that exist.
            const oroIds = links.map((l) => l.oroId);
            const msIds = links.map((l) => l.microsoftId);
            expect(new Set(oroIds).size).toBe(oroIds.length);
            expect(new Set(msIds).size).toBe(msIds.length);
            const oroById = new Map(oroTasks.map((t) => [t.id, t]));
            const msById = new Map(msTasks.map((t) => [t.id, t]));
            for (const l of links) {
              expect(oroById.has(l.oroId ?? '')).toBe(true);
              expect(msById.has(l.microsoftId ?? '')).toBe(true);
            }
            if (settings.direction === 'bidirectional') {
              // Nothing lost: every task on either side is linked, and each pair is equal.
              expect(links).toHaveLength(oroTasks.length);
              expect(links).toHaveLength(msTasks.length);
              for (const l of links) {
                expect(todoToFields(msById.get(l.microsoftId!)!, 'UTC')).toEqual(
                  oroToFields(oroById.get(l.oroId!)!),
                );
              }
            } else if (
              !ops.some(
                (o) =>
                  o.kind === 'delete' &&
                  o.side !== (settings.direction === 'oro-to-microsoft' ? 'oro' : 'ms'),
              )
            ) {
              // One way, the user deleted no copy (a deleted copy is not made again): every
              // source task has its copy.
              const source = settings.direction === 'oro-to-microsoft' ? 'oro' : 'ms';
              const sourceIds = source === 'oro' ? oroTasks.map((t) => t.id) : msTasks.map((t) => t.id);
              const linked = new Set(source === 'oro' ? oroIds : msIds);
              expect(sourceIds.filter((id) => !linked.has(id))).toEqual([]);
            }
          } finally {
            await h.close();
          }
        },
      ),
      // One case that must continue (6 tasks, 2 writes a run), so a short local run proves it too.
      propertyParameters<[SyncSettings, RunBounds, number, number, Op[]]>(runs, [
        [
          { direction: 'bidirectional', conflictResolution: 'oro-wins' },
          { maxWrites: 2, maxRunMs: 60_000, chunkWrites: 1 },
          3,
          3,
          [
            { kind: 'run', steps: 4 },
            { kind: 'run', steps: 1 },
          ],
        ],
      ]),
    );
    expect(continued).toBeGreaterThan(0);
  });
});
