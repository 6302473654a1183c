import type { LinkRepository } from '../storage/link-repository';
import type { SyncLogEntry, SyncLogRepository } from '../storage/sync-log-repository';
import type { Leased, RunResult, SyncEntity, SyncStateRepository } from '../storage/sync-state-repository';
import { LeaseKeeper, LeaseLost, type Heartbeat } from './lease';
import type { Fields, Link, Side, SyncSettings } from './model';
import { adoptAccount } from './account-switch';
import { adoptFolder } from './folder-switch';
import { cursorsFor } from './cursors';
import { PAIRING } from './pair-keys';
import { plan } from './plan';
import { markAfter, microsoftQuiet, readSides, type NotificationWatch } from './quiet';
import { completeFromLinks, confirmedCreates, idOn, keepUnconfirmed } from './run-links';
import type { SidePort } from './ports';
import { applyItems, entry } from './apply';
import { backlogIds, unsavedBacklogIds, withBacklog, writesOf } from './backlog';
import { applyBounded, type Continuing, type RunBounds } from './bounded';

/** Named points between the writes of a run, where tests make it crash. */
export type CrashPoint =
  | 'after-read'
  | 'after-pending-links'
  | 'after-oro-writes'
  | 'after-microsoft-writes'
  | 'after-links'
  /** Bounded runs only (bounded.ts): the backlog saved, then the cursor past the read. */
  | 'after-backlog'
  | 'after-cursor';

export interface RunDeps<F extends Fields> {
  userId: string;
  entity: SyncEntity;
  settings: SyncSettings;
  sides: { oro: SidePort<F>; microsoft: SidePort<F> };
  links: LinkRepository<F>;
  states: SyncStateRepository;
  log: SyncLogRepository;
  /** Unique per run: the lease owner. */
  runId: string;
  now: () => Date;
  leaseMs?: number;
  /** Renews the lease while the run is alive (default: a real-time interval). */
  heartbeat?: Heartbeat;
  /** Test hook at each point between the run's writes: it may act, wait, or crash the run. */
  crash?: (point: CrashPoint) => void | Promise<void>;
  /** The admin looked at a blocked run and confirms its deletions. */
  confirmMassDelete?: boolean;
  /**
   * The Microsoft account whose token the run holds. When it is not the one the state's
   * cursors and links belong to, the run starts that account afresh (see adoptAccount).
   */
  account?: string;
  /**
   * The calendar or list chosen in the settings now (read again when the run finds the
   * choice changed): a run built from an older read does not switch (folder-switch.ts).
   */
  folderChoice?: () => Promise<string | undefined>;
  /**
   * What Graph change notifications say about the Microsoft side: a quiet one is not read
   * when the Oro read finds nothing either (see quiet.ts); its cursor stays where it was.
   */
  notifications?: NotificationWatch;
  /**
   * How much one run may write, and for how long (bounded.ts): a plan beyond it is applied
   * over several runs. Unbounded when absent.
   */
  bounds?: RunBounds;
}

export interface RunReport {
  status: 'ok' | 'busy' | 'blocked' | 'failed';
  result: RunResult;
  error?: string;
  requests: { oro: number; microsoft: number };
  /**
   * Busy only: when the lease of the run that holds it runs out unless that run renews it
   * (a crashed run's lapses then); absent when not known.
   */
  leaseUntil?: string;
  /** The Microsoft read was left out: its subscription had notified nothing since the last one. */
  microsoftSkipped?: boolean;
  /**
   * The run stopped at its bound with items left (in the backlog): queue a continuation.
   * `runs`: the state's run count after this run (a continuation queued for an older count
   * was superseded by a later run).
   */
  continuation?: Continuing & { runs: number };
}

const changedSomething = (r: RunResult): boolean => r.created + r.updated + r.deleted + r.conflicts > 0;
const emptyResult = (): RunResult => ({ created: 0, updated: 0, deleted: 0, conflicts: 0, errors: 0 });

/**
 * One sync run of one user and entity: lease, read both sides, plan (pure), apply, then
 * persist links before cursors, so a crash anywhere leaves a state the next run finishes
 * without duplicates. The lease row's ETag guards every state write.
 */
export async function runSync<F extends Fields>(deps: RunDeps<F>): Promise<RunReport> {
  const { userId, entity } = deps;
  const requests = () => ({ oro: deps.sides.oro.requests, microsoft: deps.sides.microsoft.requests });
  const keeper = await LeaseKeeper.acquire(
    deps.states,
    { userId, entity, owner: deps.runId },
    {
      now: deps.now,
      ...(deps.leaseMs === undefined ? {} : { ttlMs: deps.leaseMs }),
      ...(deps.heartbeat ? { heartbeat: deps.heartbeat } : {}),
    },
  );
  if (!(keeper instanceof LeaseKeeper)) {
    return {
      status: 'busy',
      result: emptyResult(),
      requests: requests(),
      ...(keeper.heldUntil === undefined ? {} : { leaseUntil: keeper.heldUntil }),
    };
  }
  let lease = keeper.leased;
  // Between the writes: a lease lost or run out stops the run before its next write.
  const step = async (point: CrashPoint) => {
    await deps.crash?.(point);
    keeper.assertHeld();
  };

  const startedAt = deps.now().getTime();
  const result = emptyResult();
  const logs: SyncLogEntry[] = [];
  try {
    if (deps.account !== undefined && lease.state.account !== deps.account) {
      lease = await adoptAccount(
        deps,
        lease,
        deps.account,
        (e) => logs.push(entry(deps, e)),
        (state) => keeper.update(state),
      );
    }
    lease = await adoptFolder(
      deps,
      lease,
      (e) => logs.push(entry(deps, e)),
      (state) => keeper.update(state),
    );
    const { links, backlog } = await deps.links.listAll(userId, entity);
    const linked = (side: Side, only?: (l: Link<F>) => boolean) =>
      new Set(links.flatMap((l) => (only && !only(l) ? [] : (idOn(l, side) ?? []))));
    // Items waiting in the backlog are checked like linked ones: one deleted meanwhile reads as deleted.
    const known = (side: Side) => new Set([...linked(side), ...backlogIds(backlog, side)]);
    const startCursors = cursorsFor(lease.state, deps.settings.direction);
    // Ids the change feed, read from the saved cursor, may never mention (an item created
    // after the cursor and deleted again is no net change): our creates since it, and the
    // other side's item of a create still pending (read by a run that saved no cursor).
    const unconfirmed = (side: Side) =>
      new Set([
        ...linked(
          side,
          (l) => l.unconfirmed === side || (l.pending !== undefined && l.pending.side !== side),
        ),
        ...unsavedBacklogIds(backlog, side, lease.state.backlogSeq),
      ]);
    const readAt = deps.now();
    // Items a dead run put in the backlog are checked at Graph first: no quiet skip then.
    const quiet =
      deps.notifications !== undefined &&
      unsavedBacklogIds(backlog, 'microsoft', lease.state.backlogSeq).length === 0 &&
      microsoftQuiet(lease.state, deps.notifications, startCursors.microsoft, links, readAt);
    const {
      oro: oroRead,
      microsoft: msRead,
      skipped,
    } = await readSides(
      () => deps.sides.oro.read(startCursors.oro, known('oro'), unconfirmed('oro')),
      () => deps.sides.microsoft.read(startCursors.microsoft, known('microsoft'), unconfirmed('microsoft')),
      quiet ? startCursors.microsoft : undefined,
    );
    // What the state records of the Graph subscription's count once the cursor is saved.
    const mark = (cursorSaved: boolean) =>
      markAfter(lease.state, deps.notifications, { microsoft: !skipped, cursorSaved, at: readAt });
    await step('after-read');
    for (const [side, read] of [
      ['oro', oroRead],
      ['microsoft', msRead],
    ] as const) {
      for (const u of read.unmapped ?? []) {
        logs.push(
          entry(deps, {
            action: 'skip',
            direction: 'none',
            oroId: side === 'oro' ? u.id : null,
            microsoftId: side === 'microsoft' ? u.id : null,
            outcome: 'skipped',
            detail: `not synced: ${u.reason}`,
          }),
        );
      }
    }

    const working = {
      oro: withBacklog(backlog, 'oro', oroRead),
      microsoft: withBacklog(backlog, 'microsoft', msRead),
    };
    const p = plan({
      links,
      changes: {
        oro: completeFromLinks(deps.sides.oro, links, working.oro),
        microsoft: completeFromLinks(deps.sides.microsoft, links, working.microsoft),
      },
      settings: deps.settings,
      // No cursor saved yet: no run completed for this user and entity (or an account switch
      // cleared them); what both sides already hold is paired, not copied (plan-pairing.ts).
      firstSync: startCursors.oro === undefined && startCursors.microsoft === undefined,
      pairing: PAIRING[entity],
      complete: {
        ...(deps.sides.oro.complete ? { oro: deps.sides.oro.complete.bind(deps.sides.oro) } : {}),
        ...(deps.sides.microsoft.complete
          ? { microsoft: deps.sides.microsoft.complete.bind(deps.sides.microsoft) }
          : {}),
      },
      keeps: {
        ...(deps.sides.oro.keeps ? { oro: deps.sides.oro.keeps.bind(deps.sides.oro) } : {}),
        ...(deps.sides.microsoft.keeps
          ? { microsoft: deps.sides.microsoft.keeps.bind(deps.sides.microsoft) }
          : {}),
      },
    });
    if (p.blocked && !deps.confirmMassDelete) {
      logs.push(
        entry(deps, {
          action: 'blocked',
          direction: 'none',
          oroId: null,
          microsoftId: null,
          outcome: 'skipped',
          detail: p.blocked,
        }),
      );
      lease = await finish(keeper, {
        ...lease.state,
        status: 'error',
        lastError: p.blocked,
        lastResult: result,
      });
      await deps.log.append(userId, logs);
      return { status: 'blocked', result, error: p.blocked, requests: requests() };
    }

    const confirming = new Set((['oro', 'microsoft'] as const).filter((s) => deps.sides[s].confirmsCreates));
    const ctx = { deps, step, result, logs, confirming };
    const cursorsRead = { oro: oroRead.cursor, microsoft: msRead.cursor };
    if (deps.bounds && (backlog.length > 0 || writesOf(p.items) > deps.bounds.maxWrites)) {
      const bounded = await applyBounded(ctx, {
        keeper,
        lease,
        startedAt,
        bounds: deps.bounds,
        links,
        backlog,
        changes: working,
        items: p.items,
        cursors: cursorsRead,
      });
      const left = bounded.deferred + bounded.retryable;
      const saved = bounded.lease.state.cursors;
      lease = await finish(keeper, {
        ...finalState(deps, bounded.lease.state, saved, result),
        microsoftMark: mark(saved.microsoft === cursorsRead.microsoft),
        continuing: left > 0 ? bounded.progress : undefined,
      });
      await deps.log.append(userId, logs);
      return {
        ...report(result, requests(), skipped),
        ...(bounded.deferred > 0 ? { continuation: { ...bounded.progress, runs: lease.state.runs } } : {}),
      };
    }

    const fromScratch = new Set((['oro', 'microsoft'] as const).filter((s) => startCursors[s] === undefined));
    // Links saved during the writes, as a run that saves its cursor saves them; the save
    // after the writes repeats only those that came out otherwise (retryable failures).
    const earlySaved = new Map<string, string>();
    const early = (done: Link<F>[]) => {
      const { saved } = keepUnconfirmed(links, done, false, confirming, fromScratch);
      saved.forEach((l) => earlySaved.set(l.linkId, JSON.stringify(l)));
      return saved;
    };
    const { upserts, deletes, retryable } = await applyItems(ctx, p.items, early);
    const { saved, provisional } = keepUnconfirmed(links, upserts, retryable > 0, confirming, fromScratch);
    await deps.links.save(
      userId,
      entity,
      saved.filter((l) => earlySaved.get(l.linkId) !== JSON.stringify(l)),
      deletes,
    );
    await step('after-links');

    // Cursors move only when every change they cover was applied or refused for good;
    // otherwise the next run re-reads them.
    const final = {
      ...finalState(deps, lease.state, retryable === 0 ? cursorsRead : startCursors, result),
      microsoftMark: mark(retryable === 0),
    };
    const confirmations = retryable === 0 ? confirmedCreates(links, saved, deletes, provisional) : [];
    if (confirmations.length > 0) {
      // The cursor is saved first, still under the lease, so no other run writes these
      // links between the two; only then are the checked creates confirmed.
      lease = await keeper.update(final);
      await deps.links.save(userId, entity, confirmations, []);
    }
    lease = await finish(keeper, final);
    await deps.log.append(userId, logs);
    return report(result, requests(), skipped);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logs.push(
      entry(deps, {
        action: 'error',
        direction: 'none',
        oroId: null,
        microsoftId: null,
        outcome: 'failed',
        detail: message,
      }),
    );
    // A crash records nothing, as in production; a run that lost its lease writes no more.
    if (isCrash(error) || error instanceof LeaseLost) {
      throw error;
    }
    // Record the failure (if the lease is still ours) and the log. The run's own error is
    // what the caller sees; a failure to record it travels with it, not lost.
    const recorded = await Promise.allSettled([
      // The state as the run last saved it: a bounded run has moved its cursor already.
      finish(keeper, {
        ...keeper.leased.state,
        status: 'error',
        lastError: message,
        lastResult: { ...result, errors: result.errors + 1 },
      }),
      deps.log.append(userId, logs),
    ]);
    const lost = recorded.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (lost.length > 0) {
      throw new AggregateError([error, ...lost], `${message} (and recording it failed)`, { cause: error });
    }
    throw error;
  } finally {
    keeper.stop();
  }
}

/** Thrown by test crash points: nothing after it runs, as if the process died. */
export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
}
const isCrash = (error: unknown) => error instanceof SimulatedCrash;

async function finish(keeper: LeaseKeeper, state: Leased['state']): Promise<Leased> {
  const { lease: _released, ...rest } = state;
  const clean = Object.fromEntries(
    Object.entries({ ...rest, runs: state.runs + 1 }).filter(([, v]) => v !== undefined),
  );
  return keeper.save(clean as Leased['state']);
}

/** The state a run ends with: `cursors` as far as its changes were applied or kept. */
function finalState<F extends Fields>(
  deps: RunDeps<F>,
  state: Leased['state'],
  cursors: Record<string, string>,
  result: RunResult,
): Leased['state'] {
  return {
    ...state,
    cursors,
    status: result.errors === 0 ? 'idle' : 'error',
    direction: deps.settings.direction,
    lastSyncAt: deps.now().toISOString(),
    lastResult: result,
    continuing: undefined,
    // Kept until a later run changes something: an idle or echo run does not hide it.
    ...(changedSomething(result) ? { lastChange: { at: deps.now().toISOString(), result } } : {}),
    ...(result.errors === 0
      ? { lastError: undefined }
      : { lastError: `${result.errors} item(s) failed; see the sync log` }),
  };
}

function report(result: RunResult, requests: RunReport['requests'], microsoftSkipped: boolean): RunReport {
  return {
    status: result.errors === 0 ? 'ok' : 'failed',
    result,
    requests,
    ...(result.errors ? { error: `${result.errors} item(s) failed` } : {}),
    ...(microsoftSkipped ? { microsoftSkipped: true } : {}),
  };
}
