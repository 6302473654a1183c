import type { LinkRepository } from '../storage/link-repository';
import type { SyncLogEntry, SyncLogRepository } from '../storage/sync-log-repository';
import type { Leased, RunResult, SyncEntity, SyncStateRepository } from '../storage/sync-state-repository';
import { LeaseKeeper, LeaseLost, type Heartbeat } from './lease';
import { hashFields, type Change, type Fields, type Link, type Side, type SyncSettings } from './model';
import { adoptAccount } from './account-switch';
import { cursorsFor } from './cursors';
import { plan, type ItemPlan, type Write } from './plan';
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
}

export interface RunReport {
  status: 'ok' | 'busy' | 'blocked' | 'failed';
  result: RunResult;
  error?: string;
  requests: { oro: number; microsoft: number };
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
    const links = await deps.links.list(userId, entity);
    const linked = (side: Side, only?: (l: Link<F>) => boolean) =>
      new Set(links.flatMap((l) => (only && !only(l) ? [] : (idOn(l, side) ?? []))));
    const startCursors = cursorsFor(lease.state, deps.settings.direction);
    // Ids the change feed, read from the saved cursor, may never mention (an item created
    // after the cursor and deleted again is no net change): our creates since it, and the
    // other side's item of a create still pending (read by a run that saved no cursor).
    const unconfirmed = (side: Side) =>
      linked(side, (l) => l.unconfirmed === side || (l.pending !== undefined && l.pending.side !== side));
    const [oroRead, msRead] = await Promise.all([
      deps.sides.oro.read(startCursors.oro, linked('oro'), unconfirmed('oro')),
      deps.sides.microsoft.read(startCursors.microsoft, linked('microsoft'), unconfirmed('microsoft')),
    ]);
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

    const outcomes = new Map<Write<F>, WriteResult>();
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
    // Creates no read had shown yet were checked by this read; they are confirmed only once
    // this run's cursor is saved (a crash before that leaves the next read starting before
    // them again). Until then every link keeps its flag, and a run that saves no cursor
    // (retryable failures) leaves all links it saved unconfirmed.
    const before = new Map(links.map((l) => [l.linkId, l]));
    const stillUnconfirmed = (l: Link<F>): Link<F> => {
      const was = before.get(l.linkId);
      if (!l.unconfirmed && was?.unconfirmed && idOn(l, was.unconfirmed) === idOn(was, was.unconfirmed)) {
        return { ...l, unconfirmed: was.unconfirmed };
      }
      if (retryable > 0 && !l.unconfirmed && !l.pending) {
        const side = ([...confirming] as Side[]).find((c) => idOn(l, c) !== null);
        return side ? { ...l, unconfirmed: side } : l;
      }
      return l;
    };
    const saved = upserts.map(stillUnconfirmed);
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
      // Kept until a later run changes something: an idle or echo run does not hide it.
      ...(changedSomething(result) ? { lastChange: { at: deps.now().toISOString(), result } } : {}),
      ...(result.errors === 0
        ? { lastError: undefined }
        : { lastError: `${result.errors} item(s) failed; see the sync log` }),
    };
    const confirmations: Link<F>[] = [];
    if (retryable === 0) {
      const latest = new Map(saved.map((l) => [l.linkId, l]));
      const gone = new Set(deletes);
      confirmations.push(
        ...links.flatMap((l) => {
          const now = latest.get(l.linkId) ?? l;
          const side = l.unconfirmed;
          if (!side || l.pending || gone.has(l.linkId) || now.pending || idOn(now, side) !== idOn(l, side)) {
            return [];
          }
          const { unconfirmed: _checked, ...confirmed } = now;
          return [confirmed];
        }),
      );
    }
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

const idOn = <F extends Fields>(l: Link<F>, side: Side): string | null =>
  side === 'oro' ? l.oroId : l.microsoftId;

/** A linked item's fields, with what its side cannot store taken from the link's base. */
function completeFromLinks<F extends Fields>(
  side: SidePort<F>,
  links: readonly Link<F>[],
  changes: readonly Change<F>[],
): readonly Change<F>[] {
  const complete = side.complete?.bind(side);
  if (!complete) {
    return changes;
  }
  const byId = new Map(
    links.flatMap((l) => {
      const id = idOn(l, side.side);
      return id ? [[id, l.base] as const] : [];
    }),
  );
  return changes.map((c) => {
    const base = c.type === 'upsert' ? byId.get(c.item.id) : undefined;
    return c.type === 'upsert' && base
      ? { ...c, item: { ...c.item, fields: complete(c.item.fields, base) } }
      : c;
  });
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

function pendingLink<F extends Fields>(item: ItemPlan<F>, w: Write<F>, now: Date): Link<F> {
  const fields = w.fields!;
  const versions = item.outcome.type === 'link' ? item.outcome.versions : { oro: null, microsoft: null };
  return {
    linkId: item.linkId,
    oroId: w.side === 'oro' ? null : item.oroId,
    microsoftId: w.side === 'microsoft' ? null : item.microsoftId,
    oroVersion: w.side === 'oro' ? null : versions.oro,
    microsoftVersion: w.side === 'microsoft' ? null : versions.microsoft,
    base: fields,
    baseHash: hashFields(fields),
    pending: {
      side: w.side,
      hash: hashFields(fields),
      since: now.toISOString(),
      ...(w.attempt ? { attempt: w.attempt } : {}),
    },
    ...(item.readOnly ? { readOnly: item.readOnly } : {}),
  };
}

function finalLink<F extends Fields>(
  item: ItemPlan<F>,
  outcomes: Map<Write<F>, WriteResult>,
  confirming: ReadonlySet<Side>,
): Link<F> {
  if (item.outcome.type !== 'link') {
    throw new Error('not a link outcome');
  }
  const ids = { oro: item.oroId, microsoft: item.microsoftId };
  const versions = { ...item.outcome.versions };
  let created: Side | undefined;
  for (const w of item.writes) {
    const o = outcomes.get(w);
    if (!o?.ok) {
      continue;
    }
    ids[w.side] = o.id;
    versions[w.side] = o.version;
    if (w.op === 'create' && confirming.has(w.side)) {
      created = w.side;
    }
  }
  return {
    linkId: item.linkId,
    oroId: ids.oro,
    microsoftId: ids.microsoft,
    oroVersion: versions.oro,
    microsoftVersion: versions.microsoft,
    base: item.outcome.base,
    baseHash: hashFields(item.outcome.base),
    ...(item.readOnly ? { readOnly: item.readOnly } : {}),
    ...(created ? { unconfirmed: created } : {}),
  };
}

function entry<F extends Fields>(deps: RunDeps<F>, e: Omit<SyncLogEntry, 'time' | 'entity'>): SyncLogEntry {
  return { time: deps.now().toISOString(), entity: deps.entity, ...e };
}
