import { z } from 'zod';
import type { Write } from '../sync/plan';
import { writeFailure, type WriteResult } from '../sync/ports';
import type { TaskFields } from '../sync/tasks/fields';
import { oroAnswerClass, oroErrorDetail, oroWriteFailure, type OroClient, type OroResponse } from './client';
import {
  errorDocument,
  failure,
  refusesStatusOnly,
  snapshot,
  taskPayload,
  taskResource,
  type OroError,
} from './tasks-resource';

/*
 * Task creates through Oro's Batch API (`PATCH /api/tasks` with a list and `X-Mode: sync`),
 * where an Oro administrator enabled it: stock Oro does not (OroCRMTaskBundle's api.yml
 * has no `update_list` for tasks). What Oro does and where that is written down:
 * docs/oro-batch-api.md. Every answer that says "no Batch API here" sends the writes the
 * one-by-one way and is remembered for the Oro instance, so it costs one request per process.
 */

/** Records per synchronous batch: Oro's default `batch_api.sync_processing_limit`. */
export const ORO_SYNC_BATCH_LIMIT = 100;
/** How long a "no Batch API" answer is trusted before the next group of creates asks again. */
export const BATCH_UNAVAILABLE_MS = 60 * 60_000;
/** Answers to one batch before its records go one by one (each removes or alters a record). */
const MAX_ROUNDS = 4;
/** An asynchronous operation is polled this often, this many times, before giving up on it. */
const POLL_MS = 1_000;
const MAX_POLLS = 30;

type Known = { available: true; limit: number } | { available: false; until: number };

/**
 * What this process learned of each Oro instance's Batch API for tasks, by instance and API
 * client (OroClient.instance): its synchronous record limit, or that it has none.
 */
const known = new Map<string, Known>();

/** One create of a group: its place in the group's results. */
export interface BatchEntry {
  index: number;
  w: Write<TaskFields>;
}

const batchAnswer = z.object({
  data: z.array(
    taskResource.extend({ meta: z.object({ dataId: z.string().optional() }).loose().optional() }),
  ),
});
const operation = z.object({
  data: z.object({
    id: z.string(),
    attributes: z.object({ status: z.string().optional() }).loose().optional(),
  }),
});

/** Limit-exceeded detail of Oro's synchronous Batch API, with the limit it names. */
const LIMIT_EXCEEDED = /data limit for the synchronous operation exceeded.*?\bis (\d+)\b/i;

export class TaskBatchWriter {
  constructor(
    private readonly client: OroClient,
    private readonly ownerId: string,
    private readonly options: { now?: () => number; sleep?: (ms: number) => Promise<void> } = {},
  ) {}

  /**
   * Whether creates should try the Batch API: not when this instance said it has none
   * (until that is stale). `undefined`: not known yet, the first batch finds out.
   */
  state(): 'available' | 'unavailable' | 'unknown' {
    const k = known.get(this.client.instance);
    if (!k) {
      return 'unknown';
    }
    if (k.available) {
      return 'available';
    }
    return k.until > this.now() ? 'unavailable' : 'unknown';
  }

  /** Records per batch request for this instance. */
  limit(): number {
    const k = known.get(this.client.instance);
    return k?.available ? k.limit : ORO_SYNC_BATCH_LIMIT;
  }

  /**
   * Writes `entries` (creates, at most limit()) in one synchronous batch, or a few when Oro
   * refuses some records: their results go into `results`. Returns the entries left to
   * write one by one (the Batch API is not available, or records kept being refused).
   */
  async write(entries: readonly BatchEntry[], results: WriteResult<TaskFields>[]): Promise<BatchEntry[]> {
    let pending = entries.map((e) => ({
      ...e,
      ...taskPayload(e.w, this.ownerId),
      note: undefined as string | undefined,
    }));
    for (let round = 0; pending.length > 0 && round < MAX_ROUNDS; round++) {
      const data = pending.map((p) => ({
        type: 'tasks',
        // A request-local id, sent back as meta.dataId: which task is which write.
        id: `new${p.index}`,
        attributes: p.attributes,
        relationships: p.relationships,
      }));
      let res: OroResponse;
      try {
        res = await this.client.request('PATCH', '/api/tasks', { data }, 'json-api', { 'X-Mode': 'sync' });
      } catch (error) {
        // No answer: the batch may have been written. Each write is retryable, and the next
        // run adopts what was made by its content (the pending links saved before it).
        const failed = oroWriteFailure(error);
        for (const p of pending) {
          results[p.index] = failed;
        }
        return [];
      }
      if (res.status === 200) {
        this.remember({ available: true, limit: this.limit() });
        this.record(res, pending, results);
        return [];
      }
      if (res.status === 202) {
        await this.queued(res, pending, results);
        return [];
      }
      const errors = errorDocument.safeParse(res.body);
      const limit = res.status === 400 ? LIMIT_EXCEEDED.exec(oroErrorDetail(res.body)) : null;
      if (limit) {
        const smaller = Number(limit[1]);
        if (!(smaller >= 1 && smaller < pending.length)) {
          return this.unavailable(pending);
        }
        // An administrator lowered the limit: remembered, and this batch split to it.
        this.remember({ available: true, limit: smaller });
        const left: BatchEntry[] = [];
        for (let i = 0; i < pending.length; i += smaller) {
          left.push(...(await this.write(pending.slice(i, i + smaller), results)));
        }
        return left;
      }
      const perRecord = errors.success ? byRecord(errors.data.errors, pending.length) : undefined;
      if (res.status >= 400 && res.status < 500 && res.status !== 401 && res.status !== 429 && perRecord) {
        // Nothing was written (a synchronous batch is all or nothing): the refused records
        // fail, or lose a status the task workflow refuses; the others go again.
        pending = pending.flatMap((p, k) => {
          const own = perRecord.get(k);
          if (!own) {
            return [p];
          }
          if (p.relationships.status !== undefined && refusesStatusOnly(own, `/data/${k}`)) {
            const { status: _refused, ...rest } = p.relationships;
            const detail = errorText(own[0]!);
            const note = `Oro refused status "${p.w.fields!.status}" (${detail}); the other fields were written`;
            return [{ ...p, relationships: rest, note }];
          }
          const status = Number(own[0]?.status) || res.status;
          results[p.index] = writeFailure(
            `Oro answered ${status}: ${own.map(errorText).join('; ')}`,
            oroAnswerClass({ status }),
            status,
          );
          return [];
        });
        continue;
      }
      if ([400, 403, 404, 405, 406, 415, 501].includes(res.status)) {
        // The route, method or header is not there for us (405: update_list not enabled).
        return this.unavailable(pending);
      }
      // The batch as a whole failed as a single write would (5xx, throttled past the
      // retries, credentials refused): each write fails the same way.
      const failed = failure(res);
      for (const p of pending) {
        results[p.index] = failed;
      }
      return [];
    }
    return pending;
  }

  /** The records of a 200 answer, in the request's order and named by meta.dataId. */
  private record(
    res: OroResponse,
    pending: readonly (BatchEntry & { note: string | undefined })[],
    results: WriteResult<TaskFields>[],
  ): void {
    const parsed = batchAnswer.safeParse(res.body);
    const byId = new Map<string, z.infer<typeof batchAnswer>['data'][number]>();
    const list = parsed.success ? parsed.data.data : [];
    for (const r of list) {
      if (r.meta?.dataId !== undefined) {
        byId.set(r.meta.dataId, r);
      }
    }
    pending.forEach((p, k) => {
      // Oro sorts the answer by the request (SetSynchronousOperationResultDocument), so the
      // position is the fallback when an answer carries no dataId.
      const r = byId.get(`new${p.index}`) ?? (list.length === pending.length ? list[k] : undefined);
      if (!r) {
        results[p.index] = writeFailure(
          'Oro wrote the batch but its answer did not say which task is which; the next run links them',
          'retryable',
        );
        return;
      }
      const s = snapshot(r);
      results[p.index] = { ok: true, id: s.id, version: s.version, ...(p.note ? { note: p.note } : {}) };
    });
  }

  /**
   * 202: Oro queued the batch as an asynchronous operation (an Oro before 6.1, which does
   * not know X-Mode, or a synchronous batch that outlasted Oro's wait). It is followed until
   * it ends, so that the next run finds the tasks it made and adopts them rather than making
   * them again; each write is retryable. Such an instance is written one by one from now on.
   */
  private async queued(
    res: OroResponse,
    pending: readonly BatchEntry[],
    results: WriteResult<TaskFields>[],
  ): Promise<void> {
    this.remember({ available: false, until: this.now() + BATCH_UNAVAILABLE_MS });
    const op = operation.safeParse(res.body);
    let state = op.success ? op.data.data.attributes?.status : undefined;
    for (let i = 0; op.success && i < MAX_POLLS && !finished(state); i++) {
      await (this.options.sleep ?? sleep)(POLL_MS);
      try {
        const next = await this.client.request(
          'GET',
          `/api/asyncoperations/${encodeURIComponent(op.data.data.id)}`,
        );
        const parsed = operation.safeParse(next.body);
        state =
          next.status === 200 && parsed.success
            ? parsed.data.data.attributes?.status
            : `unreadable: Oro answered ${next.status}`;
      } catch (error) {
        // Kept for the log line: the writes are retryable whatever became of the operation.
        state = `unreadable: ${oroWriteFailure(error).error}`;
      }
    }
    const failed = writeFailure(
      `Oro queued the batch as an asynchronous operation (${state ?? 'status unknown'}); the next run links the tasks it made`,
      'retryable',
      202,
    );
    for (const p of pending) {
      results[p.index] = failed;
    }
  }

  private unavailable(pending: readonly BatchEntry[]): BatchEntry[] {
    this.remember({ available: false, until: this.now() + BATCH_UNAVAILABLE_MS });
    return pending.map(({ index, w }) => ({ index, w }));
  }

  private remember(k: Known): void {
    known.set(this.client.instance, k);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/** Oro's operation states (ApiBundle Entity/AsyncOperation.php): the last three are final. */
const finished = (state: string | undefined) =>
  state === 'success' || state === 'failed' || state === 'cancelled' || !!state?.startsWith('unreadable');

/**
 * The errors of a refused batch by record (their pointers "/data/{k}…"); undefined when one
 * of them names no record of the request (the batch as a whole was refused).
 */
function byRecord(errors: readonly OroError[], count: number): Map<number, OroError[]> | undefined {
  const map = new Map<number, OroError[]>();
  for (const e of errors) {
    const m = /^\/data\/(\d+)(\/|$)/.exec(e.source?.pointer ?? '');
    const k = m ? Number(m[1]) : NaN;
    if (!(k >= 0 && k < count)) {
      return undefined;
    }
    map.set(k, [...(map.get(k) ?? []), e]);
  }
  return map.size > 0 ? map : undefined;
}

function errorText(e: OroError): string {
  const detail = typeof e.detail === 'string' ? e.detail : undefined;
  return [e.title, detail, e.source?.pointer].filter(Boolean).join(': ');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
