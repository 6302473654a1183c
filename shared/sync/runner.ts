import type { LinkRepository } from '../storage/link-repository';
import type { SyncLogEntry, SyncLogRepository } from '../storage/sync-log-repository';
import type { Leased, RunResult, SyncEntity, SyncStateRepository } from '../storage/sync-state-repository';
import { LeaseKeeper, LeaseLost, type Heartbeat } from './lease';
import type { Fields, Link, Side, SyncSettings } from './model';
import { adoptAccount } from './account-switch';
import { adoptFolder } from './folder-switch';
import { cursorsFor } from './cursors';
import { PAIRING } from './pair-keys';
import { plan, type Write } from './plan';
import { markAfter, microsoftQuiet, readSides, type NotificationWatch } from './quiet';
import {
  completeFromLinks,
  confirmedCreates,
  finalLink,
  idOn,
  keepUnconfirmed,
  pendingLink,
} from './run-links';
import { writeFailure, type SidePort, type WriteResult } from './ports';

/** Named points between the writes of a run, where tests make it crash. */
export type CrashPoint =
  'after-read' | 'after-pending-links' | 'after-oro-writes' | 'after-microsoft-writes' | 'after-links';

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
}

export interface RunReport {
  status: 'ok' | 'busy' | 'blocked' | 'failed';
  result: RunResult;
  error?: string;
  requests: { oro: number; microsoft: number };
  /** The Microsoft read was left out: its subscription had notified nothing since the last one. */
  microsoftSkipped?: boolean;
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
  if (!keeper) {
    return { status: 'busy', result: emptyResult(), requests: requests() };
  }
  let lease = keeper.leased;
  // Between the writes: a lease lost or run out stops the run before its next write.
  const step = async (point: CrashPoint) => {
    await deps.crash?.(point);
    keeper.assertHeld();
  };

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
    const links = await deps.links.list(userId, entity);
    const linked = (side: Side, only?: (l: Link<F>) => boolean) =>
      new Set(links.flatMap((l) => (only && !only(l) ? [] : (idOn(l, side) ?? []))));
    const startCursors = cursorsFor(lease.state, deps.settings.direction);
    // Ids the change feed, read from the saved cursor, may never mention (an item created
    // after the cursor and deleted again is no net change): our creates since it, and the
    // other side's item of a create still pending (read by a run that saved no cursor).
    const unconfirmed = (side: Side) =>
      linked(side, (l) => l.unconfirmed === side || (l.pending !== undefined && l.pending.side !== side));
    const readAt = deps.now();
    const quiet =
      deps.notifications !== undefined &&
      microsoftQuiet(lease.state, deps.notifications, startCursors.microsoft, links, readAt);
    const {
      oro: oroRead,
      microsoft: msRead,
      skipped,
    } = await readSides(
      () => deps.sides.oro.read(startCursors.oro, linked('oro'), unconfirmed('oro')),
      () => deps.sides.microsoft.read(startCursors.microsoft, linked('microsoft'), unconfirmed('microsoft')),
      quiet ? startCursors.microsoft : undefined,
    );
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

    const p = plan({
      links,
      changes: {
        oro: completeFromLinks(deps.sides.oro, links, oroRead.changes),
        microsoft: completeFromLinks(deps.sides.microsoft, links, msRead.changes),
      },
      settings: deps.settings,
      keeps: {
        ...(deps.sides.oro.keeps ? { oro: deps.sides.oro.keeps.bind(deps.sides.oro) } : {}),
        ...(deps.sides.microsoft.keeps
          ? { microsoft: deps.sides.microsoft.keeps.bind(deps.sides.microsoft) }
          : {}),
      },
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

    // Before an Oro create: record it as pending, so a crash after the create cannot
    // duplicate it. (A To Do copy carries its link id itself and is re-paired by it.)
    const pending = p.items.flatMap((item) =>
      item.writes
        .filter((w) => w.op === 'create' && w.side === 'oro')
        .map((w) => pendingLink(item, w, deps.now())),
    );
    await deps.links.save(userId, entity, pending, []);
    await step('after-pending-links');

    const outcomes = new Map<Write<F>, WriteResult<F>>();
    for (const side of ['oro', 'microsoft'] as const) {
      const writes = p.items.flatMap((i) => i.writes.filter((w) => w.side === side));
      const results = writes.length > 0 ? await deps.sides[side].write(writes) : [];
      writes.forEach((w, k) => outcomes.set(w, results[k] ?? writeFailure('no answer', 'retryable')));
      await step(side === 'oro' ? 'after-oro-writes' : 'after-microsoft-writes');
    }

    const upserts: Link<F>[] = [];
    const deletes: string[] = [];
    let retryable = 0;
    const confirming = new Set((['oro', 'microsoft'] as const).filter((s) => deps.sides[s].confirmsCreates));
    for (const item of p.items) {
      const failed = item.writes.filter((w) => !outcomes.get(w)?.ok);
      const gone = failed.filter((w) => w.op === 'update' && kindOf(outcomes.get(w)) === 'gone');
      const recreate = gone.length > 0 && gone.length === failed.length && item.outcome.type === 'link';
      for (const w of item.writes) {
        const o = outcomes.get(w)!;
        if (o.ok) {
          result[w.op === 'create' ? 'created' : w.op === 'update' ? 'updated' : 'deleted']++;
        } else {
          result.errors++;
        }
        logs.push(
          entry(deps, {
            action: w.op,
            direction: w.side === 'microsoft' ? 'oro-to-microsoft' : 'microsoft-to-oro',
            oroId: w.side === 'oro' && o.ok ? o.id : item.oroId,
            microsoftId: w.side === 'microsoft' && o.ok ? o.id : item.microsoftId,
            outcome: o.ok ? 'ok' : 'failed',
            detail: o.ok
              ? `${item.cell}${o.note ? `; ${o.note}` : ''}`
              : `${item.cell}: ${o.error}${recreate ? '; it is gone there and is created again on the next run' : ''}`,
          }),
        );
      }
      if (item.paired) {
        logs.push(
          entry(deps, {
            action: 'link',
            direction: 'none',
            oroId: item.oroId,
            microsoftId: item.microsoftId,
            outcome: 'ok',
            detail: `paired with an existing item (${item.paired})${item.writes.length > 0 ? '; the fields that differed are settled as a conflict' : ''}`,
          }),
        );
      }
      if (item.conflict) {
        result.conflicts++;
        logs.push(
          entry(deps, {
            action: 'conflict',
            direction: 'none',
            oroId: item.oroId,
            microsoftId: item.microsoftId,
            outcome: 'ok',
            detail: JSON.stringify(item.conflict).slice(0, 4000),
          }),
        );
      }
      if (item.skipped && item.writes.length === 0) {
        logs.push(
          entry(deps, {
            action: 'skip',
            direction: 'none',
            oroId: item.oroId,
            microsoftId: item.microsoftId,
            outcome: 'skipped',
            detail: `${item.cell}: ${item.skipped}`,
          }),
        );
      }
      if (recreate) {
        // The item vanished before our update reached it (deleted meanwhile, or deleted
        // since the change feed's last token without showing in it). As for any deletion
        // met by an update, the update wins: the item is created again, from the next run.
        for (const w of gone) {
          // A new create of the link: it replaces the gone item (a new idempotency key).
          upserts.push(
            pendingLink(item, { ...w, op: 'create', ...(w.id ? { attempt: w.id } : {}) }, deps.now()),
          );
        }
        continue;
      }
      if (failed.length > 0) {
        // A failed write leaves the link as it was (a failed create stays pending); the next run
        // tries again. A refusal no retry can fix (an unsupported pattern, a 4xx) is logged and
        // waits for the item to change again: it neither holds the cursors back nor, as a
        // pending create, is retried on every run.
        if (failed.some((w) => retryableFailure(outcomes.get(w)))) {
          retryable++;
        } else if (failed.some((w) => w.op === 'create' && w.side === 'oro')) {
          deletes.push(item.linkId);
        }
        continue;
      }
      if (item.outcome.type === 'unlink') {
        deletes.push(item.linkId);
      }
      if (item.outcome.type === 'link') {
        upserts.push(finalLink(item, outcomes, confirming));
      }
    }
    const { saved, provisional } = keepUnconfirmed(links, upserts, retryable > 0, confirming);
    await deps.links.save(userId, entity, saved, deletes);
    await step('after-links');

    // Cursors move only when every change they cover was applied or refused for good;
    // otherwise the next run re-reads them.
    const cursors = retryable === 0 ? { oro: oroRead.cursor, microsoft: msRead.cursor } : startCursors;
    const status = result.errors === 0 ? 'idle' : 'error';
    const final: Leased['state'] = {
      ...lease.state,
      cursors,
      status,
      direction: deps.settings.direction,
      lastSyncAt: deps.now().toISOString(),
      lastResult: result,
      microsoftMark: markAfter(lease.state, deps.notifications, {
        microsoft: !skipped,
        cursorSaved: retryable === 0,
        at: readAt,
      }),
      // Kept until a later run changes something: an idle or echo run does not hide it.
      ...(changedSomething(result) ? { lastChange: { at: deps.now().toISOString(), result } } : {}),
      ...(result.errors === 0
        ? { lastError: undefined }
        : { lastError: `${result.errors} item(s) failed; see the sync log` }),
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
    return {
      status: result.errors === 0 ? 'ok' : 'failed',
      result,
      requests: requests(),
      ...(result.errors ? { error: `${result.errors} item(s) failed` } : {}),
      ...(skipped ? { microsoftSkipped: true } : {}),
    };
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
      finish(keeper, {
        ...lease.state,
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

/** The class of a failed write (shared/errors/classify.ts); `gone`: the item is not there any more. */
const kindOf = (o: WriteResult | undefined) => (o && !o.ok ? o.kind : undefined);

const retryableFailure = (o: WriteResult | undefined): boolean => !o || (!o.ok && o.retryable);

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

function entry<F extends Fields>(deps: RunDeps<F>, e: Omit<SyncLogEntry, 'time' | 'entity'>): SyncLogEntry {
  return { time: deps.now().toISOString(), entity: deps.entity, ...e };
}
