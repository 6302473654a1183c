import { z } from 'zod';
import type { Change } from '../sync/model';
import type { Write } from '../sync/plan';
import { SideError, type ReadResult, type SidePort, type WriteResult } from '../sync/ports';
import type { TaskFields } from '../sync/tasks/fields';
import { oroAnswerClass, oroErrorDetail, oroWriteFailure, type OroClient, type OroResponse } from './client';
import { TaskBatchWriter, type BatchEntry } from './tasks-batch';
import { failure, single, snapshot, statusRefused, taskList, taskPayload } from './tasks-resource';

/**
 * How late an update may become visible to a listing (clock skew between Oro's servers,
 * transactions committing late). The watermark never moves closer than this to Oro's own
 * clock, so such an update is still read next time; older seconds are final and never
 * read again, which keeps an idle sync at one listing.
 */
export const SETTLE_MS = 5_000;
const PAGE_SIZE = 500;
/** Parallel writes to Oro: enough to hide latency, few enough not to load one user's Oro. */
const WRITE_CONCURRENCY = 4;

const stampList = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      attributes: z.object({ updatedAt: z.string().nullable().optional() }).loose().optional(),
    }),
  ),
  links: z.object({ next: z.string().optional() }).loose().optional(),
});
const cursorSchema = z.object({ watermark: z.string().optional() });

/**
 * Oro tasks of one user (the owner) as a sync side: changes by updatedAt watermark,
 * deletions by an id-only listing, writes over JSON:API one request each.
 */
export class OroTasksSide implements SidePort<TaskFields> {
  readonly side = 'oro' as const;

  private readonly batch: TaskBatchWriter;

  /** `options.sleep`: between polls of a queued batch (shared/oro/tasks-batch.ts). */
  constructor(
    private readonly client: OroClient,
    private readonly ownerId: string,
    options: { sleep?: (ms: number) => Promise<void> } = {},
  ) {
    this.batch = new TaskBatchWriter(client, ownerId, options);
  }

  get requests(): number {
    return this.client.requests;
  }

  /**
   * With a watermark, one listing of every task's id and update time comes first: it says
   * which linked tasks still exist and whether any task is newer than the watermark, so an
   * idle run costs that one request. Only when something is newer (or Oro did not say when a
   * task changed) are the changed tasks listed in full, from the watermark.
   */
  async read(cursor: string | undefined, linkedIds: ReadonlySet<string>): Promise<ReadResult<TaskFields>> {
    const { watermark } = cursorSchema.parse(cursor ? JSON.parse(cursor) : {});
    const stamps = watermark ? await this.stamps() : undefined;
    const since = watermark ? Date.parse(watermark) : 0;
    const newer =
      !stamps || [...stamps.updated.values()].some((at) => at === undefined || !(Date.parse(at) <= since));
    const changes: Change<TaskFields>[] = [];
    let latest = since;
    let serverTime = stamps?.serverTime;
    const seen = new Set<string>();
    if (newer) {
      const query = new URLSearchParams({
        'filter[owner]': this.ownerId,
        sort: 'updatedAt',
        'page[size]': String(PAGE_SIZE),
      });
      if (watermark) {
        query.set('filter[updatedAt][gt]', watermark);
      }
      for (let path: string | undefined = `/api/tasks?${query.toString()}`; path;) {
        const res = await this.get(path);
        serverTime ??= res.serverTime;
        const page = taskList.parse(res.body);
        for (const r of page.data) {
          const s = snapshot(r);
          changes.push({ type: 'upsert', item: s });
          seen.add(s.id);
          latest = Math.max(latest, Date.parse(s.modifiedAt) || 0);
        }
        path = page.links?.next;
      }
    }
    // Seconds older than the settle time are final; a more recent one may still gain updates.
    const settled = Math.floor(((serverTime ?? Date.now()) - SETTLE_MS) / 1000) * 1000 - 1000;
    const next = latest > 0 ? new Date(Math.min(latest, settled)).toISOString() : undefined;
    // A full read saw every task; otherwise the stamp listing says which linked ones still exist.
    const existing = stamps ? new Set(stamps.updated.keys()) : seen;
    for (const id of linkedIds) {
      if (!existing.has(id)) {
        changes.push({ type: 'delete', id });
      }
    }
    return { changes, cursor: JSON.stringify(next ? { watermark: next } : {}), full: !watermark };
  }

  /** All of the owner's task ids with their update times, in one request (page[size]=-1). */
  private async stamps(): Promise<{ updated: Map<string, string | undefined>; serverTime?: number }> {
    const updated = new Map<string, string | undefined>();
    let serverTime: number | undefined;
    const query = new URLSearchParams({
      'filter[owner]': this.ownerId,
      'fields[tasks]': 'updatedAt',
      'page[size]': '-1',
    });
    for (let path: string | undefined = `/api/tasks?${query.toString()}`; path;) {
      const res = await this.get(path);
      serverTime ??= res.serverTime;
      const page = stampList.parse(res.body);
      for (const r of page.data) {
        updated.set(r.id, r.attributes?.updatedAt ?? undefined);
      }
      path = page.links?.next;
    }
    return serverTime === undefined ? { updated } : { updated, serverTime };
  }

  /**
   * Creates of a group go through Oro's Batch API where it is enabled (shared/oro/tasks-batch.ts),
   * up to its limit a request; everything else, and everything on an Oro without it, one
   * request per write. A few requests at a time; results keep the order of `writes`.
   */
  async write(writes: readonly Write<TaskFields>[]): Promise<WriteResult<TaskFields>[]> {
    const results = new Array<WriteResult<TaskFields>>(writes.length);
    const entries = writes.map((w, index) => ({ index, w }));
    const creates = entries.filter((e) => e.w.op === 'create');
    // One create gains nothing from a batch, and an idle run has none: neither asks.
    const batched = creates.length >= 2 && this.batch.state() !== 'unavailable' ? creates : [];
    const inBatch = new Set(batched);
    const oneByOne = entries.filter((e) => !inBatch.has(e));
    const chunks: BatchEntry[][] = [];
    for (let i = 0; i < batched.length; i += this.batch.limit()) {
      chunks.push(batched.slice(i, i + this.batch.limit()));
    }
    const left: BatchEntry[] = [];
    const batchJob = (chunk: BatchEntry[]) => async () => {
      left.push(...(await this.batch.write(chunk, results)));
    };
    const oneJob = (e: BatchEntry) => async () => {
      results[e.index] = await this.writeOne(e.w);
    };
    // Not known yet for this Oro: the first batch alone finds out, before the others go.
    if (chunks.length > 0 && this.batch.state() === 'unknown') {
      await batchJob(chunks.shift()!)();
      if (this.batch.state() === 'unavailable') {
        left.push(...chunks.flat());
        chunks.length = 0;
      }
    }
    await pool([...chunks.map(batchJob), ...oneByOne.map(oneJob)]);
    await pool(left.map(oneJob));
    return results;
  }

  private async writeOne(w: Write<TaskFields>): Promise<WriteResult<TaskFields>> {
    try {
      if (w.op === 'delete') {
        const res = await this.client.request('DELETE', `/api/tasks/${encodeURIComponent(w.id ?? '')}`);
        // Already gone is what we wanted.
        return res.status === 204 || res.status === 404
          ? { ok: true, id: w.id ?? '', version: '' }
          : failure(res);
      }
      const fields = w.fields!;
      const { attributes, relationships } = taskPayload(w, this.ownerId);
      let res = await this.send(w, attributes, relationships);
      let note: string | undefined;
      if (relationships.status !== undefined && statusRefused(res)) {
        // Oro's task workflow (task_flow) may refuse a status change or a create in a
        // status other than open; the other fields of the same write still land. The
        // answer's version is Oro's actual state, so the refused status is not retried
        // every run: it waits until the item changes again.
        note = `Oro refused status "${fields.status}" (${oroErrorDetail(res.body)}); the other fields were written`;
        const { status: _refused, ...rest } = relationships;
        res = await this.send(w, attributes, rest);
      }
      if (res.status !== 200 && res.status !== 201) {
        return failure(res);
      }
      const s = snapshot(single.parse(res.body).data);
      return { ok: true, id: s.id, version: s.version, ...(note ? { note } : {}) };
    } catch (error) {
      return oroWriteFailure(error);
    }
  }

  private send(
    w: Write<TaskFields>,
    attributes: Record<string, unknown>,
    relationships: Record<string, unknown>,
  ): Promise<OroResponse> {
    const data = { type: 'tasks', ...(w.op === 'update' ? { id: w.id } : {}), attributes, relationships };
    return w.op === 'create'
      ? this.client.request('POST', '/api/tasks', { data })
      : this.client.request('PATCH', `/api/tasks/${encodeURIComponent(w.id ?? '')}`, { data });
  }

  private async get(path: string): Promise<OroResponse> {
    const res = await this.client.request('GET', path);
    if (res.status !== 200) {
      throw new SideError(
        'oro',
        `Oro answered ${res.status} to GET ${path.split('?')[0]}: ${oroErrorDetail(res.body)}`,
        oroAnswerClass(res),
        res.status,
        { retryAfterMs: res.retryAfterMs },
      );
    }
    return res;
  }
}

/** Runs jobs WRITE_CONCURRENCY at a time. */
async function pool(jobs: readonly (() => Promise<void>)[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < jobs.length; i = next++) {
      await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, jobs.length) }, worker));
}
