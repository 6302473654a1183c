import type { BacklogEntry } from '../storage/link-repository';
import type { Leased } from '../storage/sync-state-repository';
import { applyItems, type ApplyContext } from './apply';
import { backlogFor, itemIds, nextChunk } from './backlog';
import type { LeaseKeeper } from './lease';
import type { Change, Fields, Link, Side } from './model';
import type { ItemPlan } from './plan';
import { confirmedCreates, keepUnconfirmed } from './run-links';

/**
 * How much one run may do before it saves its progress and queues its continuation: the
 * Service Bus lock of a run is renewed for at most 5 minutes (host.json), and an initial
 * sync of tens of thousands of items at tens of milliseconds per write takes longer.
 */
export interface RunBounds {
  /** Writes to both sides in one run (an item is never split: one item may take 2). */
  maxWrites: number;
  /** No new chunk of writes starts after this long from the run's start. */
  maxRunMs: number;
  /** Writes per chunk: the links and the backlog are saved after each. */
  chunkWrites?: number;
}

export const DEFAULT_CHUNK_WRITES = 250;

/** Progress of a run that continues in the next ones (the status shows it). */
export interface Continuing {
  /** Items applied since the first run of the chain. */
  done: number;
  /** Those, plus the items still to apply. */
  planned: number;
}

export interface BoundedInput<F extends Fields> {
  keeper: LeaseKeeper;
  lease: Leased;
  startedAt: number;
  bounds: RunBounds;
  links: readonly Link<F>[];
  backlog: readonly BacklogEntry<F>[];
  /** The raw changes planned (backlog and read merged), per side: what the backlog keeps. */
  changes: Record<Side, readonly Change<F>[]>;
  items: readonly ItemPlan<F>[];
  /** The cursors past this run's reads, saved once the backlog holds what they passed. */
  cursors: Record<string, string>;
}

export interface BoundedOutcome {
  lease: Leased;
  /** Items never tried, for a continuation; 0 when the plan is done (or only failed writes wait). */
  deferred: number;
  /** Items whose writes failed in a way worth retrying (their changes stay in the backlog). */
  retryable: number;
  progress: Continuing;
}

/**
 * A run whose plan exceeds its bound, or that finds a backlog: first the backlog takes every
 * change the plan came from, then the cursor moves past the read (a crash from here on
 * re-plans the backlog with what the feed shows since, as after any crash); then the items
 * go in chunks, each chunk's links saved with its backlog entries removed in the same
 * transactions, until the bound is reached. The rest waits in the backlog.
 */
export async function applyBounded<F extends Fields>(
  ctx: ApplyContext<F>,
  input: BoundedInput<F>,
): Promise<BoundedOutcome> {
  const { deps } = ctx;
  const { userId, entity } = deps;
  const { keeper, bounds } = input;
  const chunkWrites = Math.max(1, bounds.chunkWrites ?? DEFAULT_CHUNK_WRITES);

  // Rows put now carry the number of the cursor save that follows: until it is saved, the
  // next run checks their items directly (the calendar and task property tests found an item
  // created and deleted after the old cursor planned from its row, as a live one).
  const seq = (input.lease.state.backlogSeq ?? 0) + 1;
  const { put, drop } = backlogFor(input.backlog, input.changes, input.items);
  await deps.links.save(userId, entity, [], [], { put: put.map((b) => ({ ...b, seq })), drop });
  await ctx.step('after-backlog');

  const before = input.lease.state.continuing?.done ?? 0;
  const counted = (items: readonly ItemPlan<F>[]) => items.filter((i) => i.writes.length > 0).length;
  const lease = await keeper.update({
    ...input.lease.state,
    backlogSeq: seq,
    cursors: input.cursors,
    direction: deps.settings.direction,
    continuing: { done: before, planned: before + counted(input.items) },
  });
  await ctx.step('after-cursor');

  // The cursor past this read is saved: our creates it checked are confirmed now.
  const current = new Map(input.links.map((l) => [l.linkId, l]));
  const checked = confirmedCreates(input.links, [], [], new Set());
  await deps.links.save(userId, entity, checked, []);
  checked.forEach((l) => current.set(l.linkId, l));

  let remaining = input.items;
  let writes = 0;
  let done = 0;
  let retryable = 0;
  while (remaining.length > 0) {
    const budget = Math.min(chunkWrites, bounds.maxWrites - writes);
    const outOfTime = deps.now().getTime() - input.startedAt >= bounds.maxRunMs;
    if ((budget <= 0 || outOfTime) && writes > 0) {
      break;
    }
    const chunk = nextChunk(remaining, Math.max(0, budget), chunkWrites * 10, writes === 0);
    if (chunk.length === 0) {
      break;
    }
    remaining = remaining.slice(chunk.length);
    writes += chunk.reduce((n, i) => n + i.writes.length, 0);
    const applied = await applyItems(ctx, chunk);
    const { saved, provisional } = keepUnconfirmed(
      [...current.values()],
      applied.upserts,
      false,
      ctx.confirming,
    );
    // The cursor past what the read found is saved already: those links need no flag.
    const links = saved.map((l) => (provisional.has(l.linkId) ? unflagged(l) : l));
    await deps.links.save(userId, entity, links, applied.deletes, {
      drop: applied.settled.flatMap(itemIds),
    });
    links.forEach((l) => current.set(l.linkId, l));
    applied.deletes.forEach((id) => current.delete(id));
    await ctx.step('after-links');
    done += counted(applied.settled);
    retryable += applied.retryable;
  }
  return {
    lease,
    deferred: remaining.length,
    retryable,
    progress: { done: before + done, planned: before + counted(input.items) },
  };
}

function unflagged<F extends Fields>(l: Link<F>): Link<F> {
  const { unconfirmed: _checked, ...rest } = l;
  return rest;
}
