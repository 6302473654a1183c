import { classifyAnswer, isRetryable, type ErrorClass } from '../../shared/errors/classify';
import type { Change, Fields, Snapshot } from '../../shared/sync/model';
import type { Write } from '../../shared/sync/plan';
import { SideError, type ReadResult, type SidePort, type WriteResult } from '../../shared/sync/ports';

/**
 * One contract for every SidePort, run against each side over its simulator (in the
 * spirit of vdirsyncer's storage tests): what the engine relies on, whichever service is
 * behind the port. Each side's `*.contract.test.ts` supplies a fixture.
 */
export interface SideFixture<F extends Fields> {
  /** A new side instance over the same store: what a restarted run builds. */
  side(): SidePort<F>;
  /** Distinct sample fields, the `i`th one. */
  sample(i: number): F;
  /** The same item after an edit of one field, and that field's name. */
  edit(fields: F): { fields: F; changed: string[] };
  /** What must read back equal after a write (the fields the side stores as written). */
  comparable(fields: F): unknown;
  /** Creates `count` items as the user would (not through the side); their ids. */
  seed(count: number): string[];
  /** Deletes an item as the user would. */
  remove(id: string): void;
  /** Items a listing needs to span more than one page. */
  morethanOnePage: number;
  /** Whether a create's link id comes back on read (else creates are re-found by content). */
  carriesLinkId: boolean;
  /** The side's next requests fail transiently (5xx/429 past the client's own retries). */
  failTransiently(): void;
  /** A side whose credentials the service refuses. */
  sideWithRefusedCredentials(): SidePort<F>;
  /** Moves the service's clock on, past anything a side re-reads to be safe (Oro's settle time). */
  settle(): void;
}

const upserts = <F extends Fields>(r: ReadResult<F>): Snapshot<F>[] =>
  r.changes.flatMap((c: Change<F>) => (c.type === 'upsert' ? [c.item] : []));
const deletions = <F extends Fields>(r: ReadResult<F>): string[] =>
  r.changes.flatMap((c) => (c.type === 'delete' ? [c.id] : []));

function created(result: WriteResult | undefined): string {
  if (!result?.ok) {
    throw new Error(`create failed: ${JSON.stringify(result)}`);
  }
  return result.id;
}

async function readError<F extends Fields>(read: Promise<ReadResult<F>>): Promise<SideError> {
  try {
    await read;
  } catch (error) {
    if (error instanceof SideError) {
      return error;
    }
    throw error;
  }
  throw new Error('the read did not fail');
}

/**
 * A failure's class as the side reported it: it must be what the one classification makes
 * of the status the side saw, and `retryable` must follow from it.
 */
function classOf(error: { kind: ErrorClass; retryable: boolean; status?: number | undefined }): ErrorClass {
  expect(error.kind).toBe(classifyAnswer(error.status ?? 0));
  expect(error.retryable).toBe(isRetryable(error.kind));
  return error.kind;
}

let serial = 0;

export function sidePortContract<F extends Fields>(name: string, fixture: () => SideFixture<F>): void {
  describe(`SidePort contract: ${name}`, () => {
    const create = (f: SideFixture<F>, fields: F): Write<F> => ({
      op: 'create',
      side: f.side().side,
      linkId: `contract-${++serial}`,
      fields,
    });

    it('reads back what it wrote, on a new instance, as a full read', async () => {
      const f = fixture();
      const fields = f.sample(1);
      const id = created((await f.side().write([create(f, fields)]))[0]);
      const read = await f.side().read(undefined, new Set([id]));
      expect(read.full).toBe(true);
      const item = upserts(read).find((s) => s.id === id);
      expect(item && f.comparable(item.fields)).toEqual(f.comparable(fields));
      expect(deletions(read)).toEqual([]);
    });

    it('several creates in one write: each result in order, for the item it made', async () => {
      const f = fixture();
      const samples = [f.sample(3), f.sample(4), f.sample(5)];
      const results = await f.side().write(samples.map((fields) => create(f, fields)));
      const ids = results.map((r) => created(r));
      expect(new Set(ids).size).toBe(3);
      const read = upserts(await f.side().read(undefined, new Set(ids)));
      ids.forEach((id, i) => {
        const item = read.find((s) => s.id === id);
        expect(item && f.comparable(item.fields)).toEqual(f.comparable(samples[i]!));
      });
    });

    it('an update reads back, and its version moves', async () => {
      const f = fixture();
      const id = created((await f.side().write([create(f, f.sample(2))]))[0]);
      const before = upserts(await f.side().read(undefined, new Set([id]))).find((s) => s.id === id)!;
      const { fields, changed } = f.edit(before.fields);
      const [result] = await f
        .side()
        .write([{ op: 'update', side: f.side().side, linkId: 'contract-update', id, fields, changed }]);
      expect(result).toMatchObject({ ok: true, id });
      const after = upserts(await f.side().read(undefined, new Set([id]))).find((s) => s.id === id)!;
      expect(f.comparable(after.fields)).toEqual(f.comparable(fields));
      expect(after.version).not.toBe(before.version);
    });

    it('a full read spans every page', async () => {
      const f = fixture();
      const ids = f.seed(f.morethanOnePage);
      const read = await f.side().read(undefined, new Set());
      const seen = new Set(upserts(read).map((s) => s.id));
      expect(ids.filter((id) => !seen.has(id))).toEqual([]);
    });

    it('sees a deletion made after the cursor, and a linked item gone on a full read', async () => {
      const f = fixture();
      const [a, b] = f.seed(2);
      const first = await f.side().read(undefined, new Set([a!, b!]));
      f.settle();
      f.remove(a!);
      const next = await f.side().read(first.cursor, new Set([a!, b!]));
      expect(deletions(next)).toEqual([a]);
      f.remove(b!);
      const full = await f.side().read(undefined, new Set([a!, b!]));
      expect(deletions(full).sort()).toEqual([a, b].sort());
    });

    it('a cursor survives a restart: a new instance continues from it with what changed since', async () => {
      const f = fixture();
      const [old] = f.seed(1);
      const first = await f.side().read(undefined, new Set([old!]));
      f.settle();
      const [fresh] = f.seed(1);
      const next = await f.side().read(first.cursor, new Set([old!]));
      expect(next.full).toBe(false);
      const ids = upserts(next).map((s) => s.id);
      expect(ids).toContain(fresh);
      expect(deletions(next)).toEqual([]);
      f.settle();
      const idle = await f.side().read(next.cursor, new Set([old!, fresh!]));
      expect(idle.full).toBe(false);
      expect(deletions(idle)).toEqual([]);
      expect(upserts(idle).map((s) => s.id)).not.toContain(old);
    });

    it('a create can be re-found after its answer was lost (link id or content), and deletes are idempotent', async () => {
      const f = fixture();
      const write = create(f, f.sample(3));
      const id = created((await f.side().write([write]))[0]);
      const read = await f.side().read(undefined, new Set());
      const found = upserts(read).filter((s) =>
        f.carriesLinkId
          ? s.linkId === write.linkId
          : JSON.stringify(f.comparable(s.fields)) === JSON.stringify(f.comparable(write.fields!)),
      );
      expect(found.map((s) => s.id)).toEqual([id]);
      const del: Write<F> = { op: 'delete', side: write.side, linkId: write.linkId, id };
      expect(await f.side().write([del])).toEqual([expect.objectContaining({ ok: true })]);
      expect(await f.side().write([del])).toEqual([expect.objectContaining({ ok: true })]);
    });

    it('classifies errors: an update of a vanished item is gone, not retried', async () => {
      const f = fixture();
      const [id] = f.seed(1);
      const before = upserts(await f.side().read(undefined, new Set([id!]))).find((s) => s.id === id)!;
      f.remove(id!);
      const [result] = await f
        .side()
        .write([
          { op: 'update', side: f.side().side, linkId: 'contract-gone', id: id!, ...f.edit(before.fields) },
        ]);
      if (result?.ok !== false) {
        throw new Error(`the update did not fail: ${JSON.stringify(result)}`);
      }
      expect(result.status).toBe(404);
      expect(classOf(result)).toBe('gone');
    });

    it('classifies errors: a transient failure is retryable, refused credentials are auth', async () => {
      const f = fixture();
      const first = await f.side().read(undefined, new Set());
      f.failTransiently();
      const transient = await readError(f.side().read(first.cursor, new Set()));
      expect(transient.retryable).toBe(true);
      expect(classOf(transient)).toBe('retryable');
      const refused = await readError(f.sideWithRefusedCredentials().read(first.cursor, new Set()));
      expect(refused.status).toBe(401);
      expect(classOf(refused)).toBe('auth');
    });
  });
}
