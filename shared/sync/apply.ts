import type { SyncLogEntry } from '../storage/sync-log-repository';
import type { RunResult } from '../storage/sync-state-repository';
import type { Fields, Link, Side } from './model';
import type { ItemPlan, Write } from './plan';
import { writeFailure, type WriteResult } from './ports';
import { finalLink, pendingLink } from './run-links';
import type { CrashPoint, RunDeps } from './runner';

/**
 * Oro writes per group: the pending links of the next group are saved during this one's
 * writes. Groups start at one table transaction's worth and double: the first group's
 * pending links are the only ones saved before any write goes (nothing to overlap them with).
 */
const FIRST_ORO_GROUP = 100;
const ORO_GROUP = 500;

/** What applying some of a plan's items leaves to save. */
export interface Applied<F extends Fields> {
  upserts: Link<F>[];
  deletes: string[];
  /** Items with a write that failed in a way worth retrying: their links stay as they were. */
  retryable: number;
  /** The items done with (applied, or refused for good): their changes need no other run. */
  settled: ItemPlan<F>[];
}

export interface ApplyContext<F extends Fields> {
  deps: RunDeps<F>;
  /** Between the writes: the test hook, then the lease check. */
  step: (point: CrashPoint) => Promise<void>;
  result: RunResult;
  logs: SyncLogEntry[];
  /** The sides whose creates a change feed may never mention (SidePort.confirmsCreates). */
  confirming: ReadonlySet<Side>;
}

/**
 * Applies plan items: pending links before Oro creates, the writes (Oro's, then
 * Microsoft's), then what each item's outcome leaves to save. Counts and logs into the
 * context. The caller saves the links (and, for a bounded run, its backlog with them).
 */
export async function applyItems<F extends Fields>(
  ctx: ApplyContext<F>,
  items: readonly ItemPlan<F>[],
  /**
   * Links of items done early, as they are to be saved (see below); absent: every link is
   * left to the caller's save.
   */
  early?: (done: Link<F>[]) => Link<F>[],
): Promise<Applied<F>> {
  const { deps, result, logs } = ctx;
  const { userId, entity } = deps;
  // Before an Oro create: record it as pending, so a crash after the create cannot
  // duplicate it. (A To Do copy carries its link id itself and is re-paired by it.) The Oro
  // writes go in groups: the next group's pending links are saved while this one writes.
  const oroWrites = items.flatMap((item) =>
    item.writes.filter((w) => w.side === 'oro').map((w) => ({ item, w })),
  );
  const groups: (typeof oroWrites)[] = [];
  for (
    let i = 0, size = FIRST_ORO_GROUP;
    i < oroWrites.length;
    i += size, size = Math.min(ORO_GROUP, size * 2)
  ) {
    groups.push(oroWrites.slice(i, i + size));
  }
  const savePending = (group: typeof oroWrites = [], done: Link<F>[] = []) =>
    deps.links.save(
      userId,
      entity,
      [
        ...group.filter(({ w }) => w.op === 'create').map(({ item, w }) => pendingLink(item, w, deps.now())),
        ...done,
      ],
      [],
    );
  await savePending(groups[0]);
  await ctx.step('after-pending-links');

  const outcomes = new Map<Write<F>, WriteResult<F>>();
  const record = (writes: readonly Write<F>[], results: readonly WriteResult<F>[]) =>
    writes.forEach((w, k) => outcomes.set(w, results[k] ?? writeFailure('no answer', 'retryable')));
  // The final links of a group's items that are done once its Oro writes are (every write
  // of the item on Oro, all of them through): saved with the next group's pending links,
  // while the group after writes, instead of all at the end. Each is the link a crash after
  // the links would leave (run-links.ts keepUnconfirmed, applied by `early`).
  const doneEarly = (group: typeof oroWrites): Link<F>[] => {
    if (!early) {
      return [];
    }
    const done = [...new Set(group.map(({ item }) => item))].filter(
      (item) =>
        item.outcome.type === 'link' &&
        item.writes.every((w) => w.side === 'oro' && outcomes.get(w)?.ok === true),
    );
    return done.length > 0 ? early(done.map((item) => finalLink(item, outcomes, ctx.confirming))) : [];
  };
  let finals: Link<F>[] = [];
  for (const [k, group] of groups.entries()) {
    const writes = group.map(({ w }) => w);
    // Both settle before anything else happens: a failed save never leaves writes running.
    const [written, saved] = await Promise.allSettled([
      deps.sides.oro.write(writes),
      savePending(groups[k + 1], finals),
    ]);
    if (written.status === 'rejected') {
      throw written.reason;
    }
    if (saved.status === 'rejected') {
      throw saved.reason;
    }
    record(writes, written.value);
    // The last group's are left to the caller's save: no other write is left to overlap.
    finals = k + 1 < groups.length ? doneEarly(group) : [];
  }
  await ctx.step('after-oro-writes');
  const msWrites = items.flatMap((i) => i.writes.filter((w) => w.side === 'microsoft'));
  record(msWrites, msWrites.length > 0 ? await deps.sides.microsoft.write(msWrites) : []);
  await ctx.step('after-microsoft-writes');

  const applied: Applied<F> = { upserts: [], deletes: [], retryable: 0, settled: [] };
  for (const item of items) {
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
        applied.upserts.push(
          pendingLink(item, { ...w, op: 'create', ...(w.id ? { attempt: w.id } : {}) }, deps.now()),
        );
      }
      applied.settled.push(item);
      continue;
    }
    if (failed.length > 0) {
      // A failed write leaves the link as it was (a failed create stays pending); the next run
      // tries again. A refusal no retry can fix (an unsupported pattern, a 4xx) is logged and
      // waits for the item to change again: it neither holds the cursors back nor, as a
      // pending create, is retried on every run.
      if (failed.some((w) => retryableFailure(outcomes.get(w)))) {
        applied.retryable++;
        continue;
      }
      if (failed.some((w) => w.op === 'create' && w.side === 'oro')) {
        applied.deletes.push(item.linkId);
      }
      applied.settled.push(item);
      continue;
    }
    applied.settled.push(item);
    if (item.outcome.type === 'unlink') {
      applied.deletes.push(item.linkId);
    }
    if (item.outcome.type === 'link') {
      applied.upserts.push(finalLink(item, outcomes, ctx.confirming));
    }
  }
  return applied;
}

/** The class of a failed write (shared/errors/classify.ts); `gone`: the item is not there any more. */
const kindOf = (o: WriteResult | undefined) => (o && !o.ok ? o.kind : undefined);

const retryableFailure = (o: WriteResult | undefined): boolean => !o || (!o.ok && o.retryable);

export function entry<F extends Fields>(
  deps: RunDeps<F>,
  e: Omit<SyncLogEntry, 'time' | 'entity'>,
): SyncLogEntry {
  return { time: deps.now().toISOString(), entity: deps.entity, ...e };
}
