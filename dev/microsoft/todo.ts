import { textOf } from '../text-of';
import { randomBytes } from 'node:crypto';
import { EXPIRED_TOKEN_410, expiredToken, type ExpiredTokenAnswer } from './respond';
import { toIana, utcToZoned, zonedToUtc } from '../../shared/sync/calendar/time-zones';

/** A To Do task as the simulator stores it (Graph's todoTask shape). */
export interface SimTodoTask {
  id: string;
  title: string;
  body: { content: string; contentType: 'text' | 'html' };
  importance: string;
  status: string;
  dueDateTime: { dateTime: string; timeZone: string } | null;
  linkedResources: {
    id: string;
    applicationName?: string;
    externalId?: string;
    webUrl?: string;
    displayName?: string;
  }[];
  createdDateTime: string;
  lastModifiedDateTime: string;
  etag: string;
  /** Change sequence number of the last change, for delta. */
  seq: number;
  createdSeq: number;
}

/**
 * Graph keeps a To Do due date as the date in the zone it was given and answers it as that
 * local midnight in UTC: the "Update todoTask" example (Graph v1.0 docs) sends
 * `{ dateTime: "…T16:00:00", timeZone: "Eastern Standard Time" }` and gets back
 * `{ dateTime: "…T04:00:00.0000000", timeZone: "UTC" }`. Undefined: a zone Graph refuses.
 */
export function graphDueDateTime(input: {
  dateTime: string;
  timeZone: string;
}): { dateTime: string; timeZone: 'UTC' } | undefined {
  const zone = toIana(input.timeZone);
  if (!zone || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?$/.test(input.dateTime)) {
    return undefined;
  }
  const midnight = zonedToUtc(`${input.dateTime.slice(0, 10)}T00:00:00`, zone);
  return { dateTime: `${utcToZoned(midnight, 'UTC')}.0000000`, timeZone: 'UTC' };
}

interface Tombstone {
  id: string;
  seq: number;
  /** Sequence number of the task's creation: a delta round that never saw it is not told. */
  createdSeq: number;
}

export interface GraphAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface TokenState {
  epoch: number;
  /** Changes after this sequence number are reported. */
  since: number;
  /** Sequence number the delta round ends at (its deltaLink continues from here). */
  upto: number;
  offset: number;
}

const PAGE = 50;

/** One user's To Do: the default list, its tasks, and delta tokens over a change sequence. */
export class TodoStore {
  readonly listId = `AAMkAD-tasks-${randomBytes(6).toString('hex')}`;
  private readonly tasks = new Map<string, SimTodoTask>();
  private readonly tombstones: Tombstone[] = [];
  private seq = 0;
  /** Tokens from an older epoch are gone (410), as after Graph expires a sync state. */
  private epoch = 1;
  private expired = EXPIRED_TOKEN_410;

  constructor(
    private readonly clock: () => number = Date.now,
    /** Told of every change, whoever made it (Graph notifies for the app's own writes too). */
    private readonly onChange?: (changeType: 'created' | 'updated' | 'deleted', id: string) => void,
    /**
     * The list's name and kind: a user has one `defaultList` ("Tasks") and any number of
     * lists of their own (`none`), as in Graph v1.0 "List lists" and "Create todoTaskList".
     */
    readonly info: { displayName: string; wellknownListName: 'defaultList' | 'none' } = {
      displayName: 'Tasks',
      wellknownListName: 'defaultList',
    },
  ) {}

  list() {
    return {
      '@odata.etag': 'W/"m1fdwWoFiE2YS9yegTKoYwAA/ZGlLQ=="',
      id: this.listId,
      displayName: this.info.displayName,
      isOwner: true,
      isShared: false,
      wellknownListName: this.info.wellknownListName,
    };
  }

  all(): SimTodoTask[] {
    return [...this.tasks.values()].map((t) => structuredClone(t));
  }

  /** Every delta token given so far is lost; their next use gets `answer` (410 by default). */
  expireDeltaTokens(answer: ExpiredTokenAnswer = EXPIRED_TOKEN_410): void {
    this.expired = answer;
    this.epoch++;
  }

  create(input: Record<string, unknown>): SimTodoTask {
    const now = stamp(this.clock());
    const task: SimTodoTask = {
      id: `AAMkAGtask-${randomBytes(9).toString('base64url')}`,
      title: '',
      body: { content: '', contentType: 'text' },
      importance: 'normal',
      status: 'notStarted',
      dueDateTime: null,
      linkedResources: [],
      createdDateTime: now,
      lastModifiedDateTime: now,
      etag: '',
      seq: 0,
      createdSeq: this.seq + 1,
    };
    this.apply(task, input);
    if (Array.isArray(input.linkedResources)) {
      task.linkedResources = (input.linkedResources as Record<string, string>[]).map((r) => ({
        id: randomBytes(8).toString('hex'),
        ...(r.applicationName ? { applicationName: r.applicationName } : {}),
        ...(r.externalId ? { externalId: r.externalId } : {}),
        ...(r.webUrl ? { webUrl: r.webUrl } : {}),
        ...(r.displayName ? { displayName: r.displayName } : {}),
      }));
    }
    this.touch(task);
    this.tasks.set(task.id, task);
    this.onChange?.('created', task.id);
    return task;
  }

  update(id: string, input: Record<string, unknown>): SimTodoTask | undefined {
    const task = this.tasks.get(id);
    if (!task) {
      return undefined;
    }
    this.apply(task, input);
    this.touch(task);
    this.onChange?.('updated', id);
    return task;
  }

  remove(id: string): boolean {
    const task = this.tasks.get(id);
    if (!task || !this.tasks.delete(id)) {
      return false;
    }
    this.tombstones.push({ id, seq: ++this.seq, createdSeq: task.createdSeq });
    this.onChange?.('deleted', id);
    return true;
  }

  get(id: string): SimTodoTask | undefined {
    return this.tasks.get(id);
  }

  private apply(task: SimTodoTask, input: Record<string, unknown>): void {
    if (typeof input.title === 'string') {
      task.title = input.title;
    }
    if (input.body && typeof input.body === 'object') {
      const b = input.body as { content?: unknown; contentType?: unknown };
      task.body = {
        content: textOf(b.content ?? ''),
        contentType: b.contentType === 'html' ? 'html' : 'text',
      };
    }
    if (typeof input.importance === 'string') {
      task.importance = input.importance;
    }
    if (typeof input.status === 'string') {
      task.status = input.status;
    }
    if ('dueDateTime' in input) {
      const due = input.dueDateTime as SimTodoTask['dueDateTime'] | undefined;
      task.dueDateTime = due ? (graphDueDateTime(due) ?? null) : null;
    }
  }

  private touch(task: SimTodoTask): void {
    task.seq = ++this.seq;
    task.lastModifiedDateTime = stamp(this.clock());
    task.etag = `W/"${randomBytes(12).toString('base64')}"`;
  }

  /**
   * Graph's todoTask JSON. `select`: the properties asked for with `$select` (`id` and
   * `@odata.etag` always come; learn.microsoft.com/graph/api/todotask-delta).
   */
  render(task: SimTodoTask, expandLinks: boolean, select?: readonly string[]): Record<string, unknown> {
    const doc: Record<string, unknown> = {
      '@odata.etag': task.etag,
      importance: task.importance,
      isReminderOn: false,
      status: task.status,
      title: task.title,
      createdDateTime: task.createdDateTime,
      lastModifiedDateTime: task.lastModifiedDateTime,
      hasAttachments: false,
      categories: [],
      id: task.id,
      body: task.body,
      ...(task.dueDateTime ? { dueDateTime: task.dueDateTime } : {}),
      ...(expandLinks ? { linkedResources: task.linkedResources } : {}),
    };
    if (!select) {
      return doc;
    }
    const keep = new Set(['@odata.etag', 'id', 'linkedResources', ...select]);
    return Object.fromEntries(Object.entries(doc).filter(([k]) => keep.has(k)));
  }

  /** GET …/tasks: a plain listing, $top (max 100) per page with an @odata.nextLink. */
  page(url: URL, base: string, expand: boolean): GraphAnswer {
    const top = Math.min(100, Number(url.searchParams.get('$top') ?? 100));
    const skip = Number(url.searchParams.get('$skip') ?? 0);
    const all = [...this.tasks.values()];
    const next = skip + top < all.length;
    const path = `${base}/v1.0/me/todo/lists/${this.listId}/tasks`;
    return {
      status: 200,
      body: {
        value: all.slice(skip, skip + top).map((t) => this.render(t, expand)),
        ...(next ? { '@odata.nextLink': `${path}?$top=${top}&$skip=${skip + top}` } : {}),
      },
    };
  }

  /** GET …/tasks/delta: the first round lists everything; a deltaLink round lists what changed since. */
  delta(url: URL, base: string): GraphAnswer {
    const skip = url.searchParams.get('$skiptoken');
    const delta = url.searchParams.get('$deltatoken');
    const expand = (url.searchParams.get('$expand') ?? '').includes('linkedResources');
    const selectText = url.searchParams.get('$select');
    const select = selectText ? selectText.split(',').map((s) => s.trim()) : undefined;
    let state: TokenState;
    if (skip || delta) {
      const decoded = decode(skip ?? delta ?? '');
      if (!decoded || decoded.epoch !== this.epoch) {
        return expiredToken(this.expired);
      }
      state = skip ? decoded : { epoch: this.epoch, since: decoded.upto, upto: this.seq, offset: 0 };
    } else {
      state = { epoch: this.epoch, since: -1, upto: this.seq, offset: 0 };
    }
    const changed: Record<string, unknown>[] = [
      ...[...this.tasks.values()]
        .filter((t) => (state.since < 0 ? true : t.seq > state.since))
        .sort((a, b) => a.seq - b.seq)
        .map((t) => this.render(t, expand, select)),
      ...(state.since < 0
        ? []
        : this.tombstones
            // Net changes: a task created and deleted again since the token is not mentioned.
            .filter((t) => t.seq > state.since && t.createdSeq <= state.since)
            .map((t) => ({ id: t.id, '@removed': { reason: 'deleted' } }))),
    ];
    const page = changed.slice(state.offset, state.offset + PAGE);
    const path = `${base}/v1.0/me/todo/lists/${this.listId}/tasks/delta`;
    const more = state.offset + PAGE < changed.length;
    const next = more ? encode({ ...state, offset: state.offset + PAGE }) : undefined;
    // The round's parameters ride in its links, as Graph encodes them in its tokens.
    const expandParam = `${expand ? '$expand=linkedResources&' : ''}${selectText ? `$select=${encodeURIComponent(selectText)}&` : ''}`;
    return {
      status: 200,
      body: {
        '@odata.context': `${base}/v1.0/$metadata#Collection(todoTask)`,
        ...(next
          ? { '@odata.nextLink': `${path}?${expandParam}$skiptoken=${next}` }
          : {
              '@odata.deltaLink': `${path}?${expandParam}$deltatoken=${encode({ ...state, since: state.upto, offset: 0 })}`,
            }),
        value: page,
      },
    };
  }
}

/** Graph's timestamps: seven fractional digits and Z ("2020-08-12T04:54:29.1925206Z"). */
const stamp = (ms: number) => new Date(ms).toISOString().replace('Z', '0000Z');

const encode = (s: TokenState) => Buffer.from(JSON.stringify(s)).toString('base64url');

function decode(token: string): TokenState | undefined {
  try {
    const s = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as TokenState;
    return typeof s.epoch === 'number' && typeof s.since === 'number' ? s : undefined;
  } catch {
    return undefined;
  }
}
