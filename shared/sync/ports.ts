import { isRetryable, type ErrorClass } from '../errors/classify';
import type { Change, Fields, Side } from './model';
import type { Write } from './plan';

export interface ReadResult<F extends Fields> {
  changes: Change<F>[];
  /** Where the next run continues; saved only after the writes this run makes. */
  cursor: string;
  /** True when this was a full read (first run, or a lost delta token). */
  full: boolean;
  /**
   * Items this side has but cannot express in the neutral model (a recurrence pattern the
   * other side has no form for): left alone, and logged with the reason.
   */
  unmapped?: { id: string; reason: string }[];
}

/**
 * `note`: what the side did not take of an otherwise applied write (logged with it).
 * `held`: what the side holds after a write it could take only in part (Microsoft cannot
 * bring back a cancelled occurrence): the link's base records it, so the next read of
 * this side is no change and the other side's version stands. The other side keeps what
 * it has; the pair differs there, and the note says why.
 */
export type WriteResult<F extends Fields = Fields> =
  { ok: true; id: string; version: string; note?: string; held?: F } | WriteFailure;

/**
 * `kind`: what the answer means (shared/errors/classify.ts); `retryable` follows from it.
 * `status`: the side's HTTP status, when it answered one (404 on an update: the item is gone).
 */
export interface WriteFailure {
  ok: false;
  error: string;
  kind: ErrorClass;
  retryable: boolean;
  status?: number;
}

/** A failed write of this class; `retryable` is derived, never decided again. */
export function writeFailure(error: string, kind: ErrorClass, status?: number): WriteFailure {
  return {
    ok: false,
    error,
    kind,
    retryable: isRetryable(kind),
    ...(status === undefined ? {} : { status }),
  };
}

/**
 * Which of the account's calendars or lists a side reads and writes: the user's choice
 * (`chosen`; undefined: the account's default one). A run compares it with the one its
 * links and cursors belong to (sync/folder-switch.ts).
 */
export interface SideFolder {
  /** What it is, for the log: "calendar", "task list". */
  readonly kind: string;
  readonly chosen: string | undefined;
  /** The real id and name of the chosen one, or of the default one for `undefined`. */
  describe(chosen: string | undefined): Promise<{ id: string; name: string }>;
}

/** One side of a sync, as the engine sees it: changes since a cursor, and writes. */
export interface SidePort<F extends Fields> {
  readonly side: Side;
  /**
   * `linkedIds`: this side's ids we have links for, to detect deletions a change feed does
   * not report. `unconfirmed`: those of them we created since the cursor was taken; a read
   * that does not see them in its feed must check them directly.
   */
  read(
    cursor: string | undefined,
    linkedIds: ReadonlySet<string>,
    unconfirmed?: ReadonlySet<string>,
  ): Promise<ReadResult<F>>;
  /** Results in the order of `writes`; a failed write does not stop the others. */
  write(writes: readonly Write<F>[]): Promise<WriteResult<F>[]>;
  /** Requests made so far, for logs and the benchmark. */
  readonly requests: number;
  /**
   * The side's change feed may never mention an item created after its cursor was taken,
   * even once deleted again (Graph delta): its creates are passed back as `unconfirmed`.
   */
  readonly confirmsCreates?: boolean;
  /**
   * Fills in, from the fields both sides last agreed on, what this side cannot store (Oro
   * events have no location): so a value only the other side can hold is neither read as
   * changed here nor overwritten from here.
   */
  complete?(fields: F, base: F): F;
  /**
   * What no write can undo on this side (Graph cannot bring back a cancelled occurrence):
   * `wanted` with those parts of `current` kept where the winner of a conflict left them as
   * they were in `base`. A part the winner changed stays as wanted; the write then says
   * what the side could not take.
   */
  keeps?(current: F, wanted: F, base: F): F;
  /** The calendar or list this side syncs, when the account has several to choose from. */
  readonly folder?: SideFolder;
}

/** A side that answered with an error the run cannot work around. */
export class SideError extends Error {
  override readonly name = 'SideError';

  /**
   * `kind`: the class of the side's answer (shared/errors/classify.ts): `resync` asks the
   * caller for a full read, `auth` for a new token or a reconnect.
   */
  constructor(
    readonly side: Side,
    message: string,
    readonly kind: ErrorClass,
    readonly status?: number,
    options?: { cause?: unknown; retryAfterMs?: number | undefined },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterMs = options?.retryAfterMs;
  }

  /** How long the side asked us to wait (Retry-After), when it said. */
  readonly retryAfterMs: number | undefined;

  /** Worth the same request again later (the runner and the worker decide on this). */
  get retryable(): boolean {
    return isRetryable(this.kind);
  }
}
