import { GraphError, type Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import type { Change, Snapshot } from '../sync/model';
import type { Write } from '../sync/plan';
import {
  SideError,
  writeFailure,
  type ReadResult,
  type SideFolder,
  type SidePort,
  type WriteResult,
} from '../sync/ports';
import type { TaskFields } from '../sync/tasks/fields';
import {
  fieldsToTodo,
  LINKED_APPLICATION,
  linkIdOf,
  todoToFields,
  type TodoTask,
} from '../sync/tasks/todo-mapping';
import {
  asSideError,
  batchWithRetry,
  graphAnswerClass,
  graphErrorClass,
  graphErrorMessage,
  type BatchStep,
} from './graph-client';
import { describeTaskList, feedError } from './folders';

const cursorSchema = z.object({
  listId: z.string().optional(),
  deltaLink: z.string().optional(),
  /** The mailbox's time zone (null: not readable) and when it was read. */
  zone: z.string().nullable().optional(),
  zoneAt: z.string().optional(),
});
/** How long a mailbox time zone read is trusted: a user who moves is seen within a day. */
const ZONE_TTL_MS = 24 * 3600_000;
const mailboxSettings = z.object({ timeZone: z.string().nullable().optional() }).loose();

const todoTask = z
  .object({
    id: z.string(),
    title: z.string().default(''),
    status: z.string().default('notStarted'),
    importance: z.string().default('normal'),
    lastModifiedDateTime: z.string().default(''),
    '@odata.etag': z.string().optional(),
    body: z.object({ content: z.string().optional(), contentType: z.string().optional() }).optional(),
    dueDateTime: z.object({ dateTime: z.string(), timeZone: z.string() }).nullable().optional(),
    linkedResources: z
      .array(z.object({ applicationName: z.string().optional(), externalId: z.string().optional() }).loose())
      .optional(),
  })
  .loose();
const removed = z.object({ id: z.string(), '@removed': z.object({}).loose() });
const deltaPage = z.object({
  value: z.array(z.union([removed, todoTask])),
  '@odata.nextLink': z.string().optional(),
  '@odata.deltaLink': z.string().optional(),
});
const lists = z.object({
  value: z.array(z.object({ id: z.string(), wellknownListName: z.string().optional() }).loose()),
});

const idOf = (c: Change<TaskFields>): string => (c.type === 'upsert' ? c.item.id : c.id);

function snapshot(raw: z.infer<typeof todoTask>, zone: string | undefined): Snapshot<TaskFields> {
  const task = raw as unknown as TodoTask;
  const linkId = linkIdOf(task);
  return {
    id: task.id,
    version: task['@odata.etag'] ?? task.lastModifiedDateTime,
    fields: todoToFields(task, zone),
    modifiedAt: task.lastModifiedDateTime,
    ...(linkId ? { linkId } : {}),
  };
}

/**
 * A user's Microsoft To Do default list as a sync side: changes from tasks/delta (a lost
 * delta token means a full re-read), writes in $batch requests of 20, 429s waited out per step.
 */
export class TodoTasksSide implements SidePort<TaskFields> {
  readonly side = 'microsoft' as const;
  requests = 0;
  private listId: string | undefined;
  /** The mailbox's zone as read (null: unknown, due dates then fall back to UTC). */
  private zone: { name: string | null; at: string } | undefined;

  constructor(
    private readonly client: Client,
    private readonly options: {
      sleep?: (ms: number) => Promise<void>;
      webUrl?: (linkId: string) => string;
      now?: () => Date;
      /** The list chosen for sync (setting tasks.microsoftListId); unset: the default list. */
      listId?: string | undefined;
    } = {},
  ) {
    this.folder = {
      kind: 'task list',
      chosen: options.listId,
      describe: (chosen) => {
        this.requests++;
        return describeTaskList(this.client, chosen);
      },
    };
  }

  readonly confirmsCreates = true;
  readonly folder: SideFolder;

  async read(
    cursor: string | undefined,
    linkedIds: ReadonlySet<string>,
    unconfirmed: ReadonlySet<string> = new Set(),
  ): Promise<ReadResult<TaskFields>> {
    const parsed = cursorSchema.parse(cursor ? JSON.parse(cursor) : {});
    this.listId = this.options.listId ?? parsed.listId ?? (await this.defaultListId());
    if (parsed.listId !== undefined && parsed.listId !== this.listId) {
      // A token of another list is no token of this one (a choice changed under a crash).
      delete parsed.deltaLink;
    }
    if (parsed.zoneAt !== undefined && parsed.zone !== undefined) {
      this.zone = { name: parsed.zone, at: parsed.zoneAt };
    }
    const zone = (await this.userZone()) ?? undefined;
    let full = !parsed.deltaLink;
    let pages: z.infer<typeof deltaPage>[];
    try {
      pages = await this.deltaRound(parsed.deltaLink ?? this.initialDelta());
    } catch (error) {
      // A lost or expired delta token (410, or a 400/404 whose code says so): drop it and
      // read everything again; links re-match by id.
      if (!(error instanceof GraphError) || graphErrorClass(error) !== 'resync') {
        throw feedError(error, this.options.listId, 'task list');
      }
      full = true;
      pages = await this.deltaRound(this.initialDelta()).catch((e: unknown) => {
        throw feedError(e, this.options.listId, 'task list');
      });
    }
    const changes: Change<TaskFields>[] = [];
    const seen = new Set<string>();
    for (const page of pages) {
      for (const item of page.value) {
        if ('@removed' in item) {
          changes.push({ type: 'delete', id: item.id });
        } else {
          changes.push({ type: 'upsert', item: snapshot(item, zone) });
          seen.add(item.id);
        }
      }
    }
    if (full) {
      // A full read saw every task: a linked one it did not see is gone.
      for (const id of linkedIds) {
        if (!seen.has(id)) {
          changes.push({ type: 'delete', id });
        }
      }
    } else {
      // A delta read may never mention our creates since the token: check those directly.
      changes.push(...(await this.goneOf(unconfirmed, new Set(changes.map(idOf)))));
    }
    const deltaLink = pages.at(-1)?.['@odata.deltaLink'];
    return {
      changes,
      cursor: JSON.stringify({
        listId: this.listId,
        ...(deltaLink ? { deltaLink } : {}),
        ...(this.zone ? { zone: this.zone.name, zoneAt: this.zone.at } : {}),
      }),
      full,
    };
  }

  /** Our creates the feed did not mention: a direct read tells whether they still exist. */
  private async goneOf(unconfirmed: ReadonlySet<string>, mentioned: ReadonlySet<string>) {
    const ids = [...unconfirmed].filter((id) => !mentioned.has(id));
    if (ids.length === 0) {
      return [];
    }
    const tasks = `/me/todo/lists/${encodeURIComponent(this.listId ?? '')}/tasks`;
    const answers = await batchWithRetry(
      this.client,
      ids.map((id, i) => ({
        id: String(i),
        method: 'GET' as const,
        url: `${tasks}/${encodeURIComponent(id)}`,
      })),
      { onRequest: () => this.requests++, ...(this.options.sleep ? { sleep: this.options.sleep } : {}) },
    );
    return answers.flatMap((a, i): Change<TaskFields>[] => {
      if (graphAnswerClass(a) === 'gone') {
        return [{ type: 'delete', id: ids[i]! }];
      }
      if (a.status !== 200) {
        throw new SideError(
          'microsoft',
          `Graph answered ${a.status} reading task ${ids[i]!}`,
          graphAnswerClass(a),
          a.status,
        );
      }
      return [];
    });
  }

  async write(writes: readonly Write<TaskFields>[]): Promise<WriteResult<TaskFields>[]> {
    if (writes.length === 0) {
      return [];
    }
    this.listId ??= this.options.listId ?? (await this.defaultListId());
    const zone = (await this.userZone()) ?? undefined;
    const answers = await batchWithRetry(
      this.client,
      writes.map((w, i) => this.step(w, String(i), zone)),
      { onRequest: () => this.requests++, ...(this.options.sleep ? { sleep: this.options.sleep } : {}) },
    );
    return answers.map((a, i) => this.outcome(writes[i]!, a.status, a.body, zone));
  }

  /**
   * The mailbox's time zone, read at most once a day (kept on the cursor). Reading it needs
   * MailboxSettings.Read; without that grant (403) or any other permanent refusal due dates
   * fall back to UTC midnight (see dueDateFromTodo for how they are read then).
   */
  private async userZone(): Promise<string | null> {
    const now = (this.options.now ?? (() => new Date()))();
    if (this.zone && now.getTime() - Date.parse(this.zone.at) < ZONE_TTL_MS) {
      return this.zone.name;
    }
    this.requests++;
    let name: string | null;
    try {
      const body = mailboxSettings.parse(await this.client.api('/me/mailboxSettings?$select=timeZone').get());
      name = body.timeZone ?? null;
    } catch (error) {
      // Only a refusal of this one resource falls back; a transient failure or a refused
      // token stops the run as any other request would.
      const kind = error instanceof GraphError ? graphErrorClass(error) : 'retryable';
      if (kind === 'retryable' || kind === 'auth') {
        throw asSideError(error);
      }
      name = null;
    }
    this.zone = { name, at: now.toISOString() };
    return name;
  }

  private step(w: Write<TaskFields>, id: string, zone: string | undefined): BatchStep {
    const tasks = `/me/todo/lists/${encodeURIComponent(this.listId ?? '')}/tasks`;
    if (w.op === 'delete') {
      return { id, method: 'DELETE', url: `${tasks}/${encodeURIComponent(w.id ?? '')}` };
    }
    if (w.op === 'update') {
      return {
        id,
        method: 'PATCH',
        url: `${tasks}/${encodeURIComponent(w.id ?? '')}`,
        body: fieldsToTodo(w.fields!, w.changed, zone),
      };
    }
    return {
      id,
      method: 'POST',
      url: tasks,
      body: {
        ...fieldsToTodo(w.fields!, undefined, zone),
        // Our link id rides on the task: a create retried after a crash finds its first copy.
        linkedResources: [
          {
            applicationName: LINKED_APPLICATION,
            externalId: w.linkId,
            displayName: 'Oro task',
            webUrl: this.options.webUrl?.(w.linkId) ?? `https://oro.invalid/link/${w.linkId}`,
          },
        ],
      },
    };
  }

  private outcome(
    w: Write<TaskFields>,
    status: number,
    body: unknown,
    zone: string | undefined,
  ): WriteResult<TaskFields> {
    if (w.op === 'delete' && (status === 204 || status === 404)) {
      return { ok: true, id: w.id ?? '', version: '' };
    }
    if ((status === 200 || status === 201) && w.op !== 'delete') {
      const parsed = todoTask.safeParse(body);
      if (parsed.success) {
        const s = snapshot(parsed.data, zone);
        return { ok: true, id: s.id, version: s.version };
      }
      return writeFailure('Graph answered an unexpected task document', 'permanent');
    }
    // 0: Graph did not answer at all (retryable).
    return writeFailure(
      `Graph answered ${status} to ${w.op}: ${graphErrorMessage(body)}`,
      graphAnswerClass({ status, body }),
      status,
    );
  }

  private initialDelta(): string {
    return `/me/todo/lists/${encodeURIComponent(this.listId ?? '')}/tasks/delta?$expand=linkedResources`;
  }

  private async deltaRound(first: string): Promise<z.infer<typeof deltaPage>[]> {
    const pages: z.infer<typeof deltaPage>[] = [];
    for (let link: string | undefined = first; link;) {
      this.requests++;
      const page = deltaPage.parse(await this.client.api(link).get());
      pages.push(page);
      link = page['@odata.nextLink'];
    }
    return pages;
  }

  private async defaultListId(): Promise<string> {
    this.requests++;
    let body: unknown;
    try {
      body = await this.client.api('/me/todo/lists').get();
    } catch (error) {
      // A refused token (401) is not retried: it needs a new token or a reconnect.
      throw new SideError(
        'microsoft',
        `Could not read the To Do lists: ${(error as Error).message}`,
        error instanceof GraphError ? graphErrorClass(error) : 'retryable',
        error instanceof GraphError ? error.statusCode : undefined,
        { cause: error },
      );
    }
    const all = lists.parse(body).value;
    const list = all.find((l) => l.wellknownListName === 'defaultList') ?? all[0];
    if (!list) {
      throw new SideError('microsoft', 'The account has no To Do list.', 'permanent');
    }
    return list.id;
  }
}
