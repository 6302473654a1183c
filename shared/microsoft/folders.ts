import { GraphError, type Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { SideError } from '../sync/ports';
import { asSideError, graphErrorClass, retryAfterMs } from './graph-client';

/**
 * The user's Outlook calendars and To Do lists, for choosing which one syncs (settings
 * `calendar.microsoftCalendarId`, `tasks.microsoftListId`). Graph v1.0: "List calendars"
 * (GET /me/calendars; the calendar resource's `isDefaultCalendar` marks the default one)
 * and "List lists" (GET /me/todo/lists; the default list has `wellknownListName:
 * "defaultList"`). Both collections may page (`@odata.nextLink`).
 */

export interface CalendarChoice {
  id: string;
  name: string;
  isDefault: boolean;
  /** False for a calendar shared with the user read-only: sync could not write to it. */
  canEdit: boolean;
  /** Who created or shared the calendar, when Graph says. */
  owner?: string;
}

export interface TaskListChoice {
  id: string;
  name: string;
  isDefault: boolean;
  isShared: boolean;
}

/** A calendar or list as a run names it in its log. */
export interface Folder {
  id: string;
  name: string;
}

const calendarDoc = z
  .object({
    id: z.string(),
    name: z.string().optional(),
    isDefaultCalendar: z.boolean().optional(),
    canEdit: z.boolean().optional(),
    owner: z.object({ name: z.string().optional(), address: z.string().optional() }).loose().nullish(),
  })
  .loose();

const listDoc = z
  .object({
    id: z.string(),
    displayName: z.string().optional(),
    wellknownListName: z.string().optional(),
    isShared: z.boolean().optional(),
  })
  .loose();

const page = <T extends z.ZodType>(item: T) =>
  z.object({ value: z.array(item), '@odata.nextLink': z.string().optional() }).loose();

/** At most this many pages of a collection (Graph's default page is 10 items; 100 pages: 1,000). */
const MAX_PAGES = 100;

async function readAll<T extends z.ZodType>(client: Client, first: string, item: T): Promise<z.infer<T>[]> {
  const all: z.infer<T>[] = [];
  let link: string | undefined = first;
  for (let n = 0; link && n < MAX_PAGES; n++) {
    const parsed = page(item).parse(await client.api(link).get());
    all.push(...(parsed.value as z.infer<T>[]));
    link = parsed['@odata.nextLink'];
  }
  return all;
}

export async function listCalendars(client: Client): Promise<CalendarChoice[]> {
  const docs = await readAll(client, '/me/calendars', calendarDoc);
  // The v1.0 "List calendars" example answers without isDefaultCalendar (the resource type
  // has it): when no calendar carries it, GET /me/calendar names the default.
  let defaultId = docs.find((d) => d.isDefaultCalendar === true)?.id;
  if (defaultId === undefined && docs.every((d) => d.isDefaultCalendar === undefined)) {
    defaultId = calendarDoc.parse(await client.api('/me/calendar?$select=id,name').get()).id;
  }
  return docs.map((d) => ({
    id: d.id,
    name: d.name ?? '',
    isDefault: d.id === defaultId,
    canEdit: d.canEdit !== false,
    ...(d.owner?.address ? { owner: d.owner.address } : {}),
  }));
}

export async function listTaskLists(client: Client): Promise<TaskListChoice[]> {
  const docs = await readAll(client, '/me/todo/lists', listDoc);
  // The "Flagged email" list (wellknownListName flaggedEmails) holds Outlook's flagged mail,
  // not tasks one creates: it is no list to sync into.
  const lists = docs.filter((d) => d.wellknownListName !== 'flaggedEmails');
  const defaultId = (lists.find((d) => d.wellknownListName === 'defaultList') ?? lists[0])?.id;
  return lists.map((d) => ({
    id: d.id,
    name: d.displayName ?? '',
    isDefault: d.id === defaultId,
    isShared: d.isShared === true,
  }));
}

/**
 * The calendar a run reads and writes: the chosen one (GET /me/calendars/{id}) or the
 * default (GET /me/calendar). A chosen calendar that is gone is a permanent failure that
 * says which setting to change.
 */
export async function describeCalendar(client: Client, chosen: string | undefined): Promise<Folder> {
  const url = chosen === undefined ? '/me/calendar' : `/me/calendars/${encodeURIComponent(chosen)}`;
  const doc = await readFolder(client, `${url}?$select=id,name`, calendarDoc, chosen, 'calendar');
  return { id: doc.id, name: doc.name ?? '' };
}

/** The To Do list a run reads and writes: the chosen one, or the default list. */
export async function describeTaskList(client: Client, chosen: string | undefined): Promise<Folder> {
  if (chosen === undefined) {
    const lists = await listTaskLists(client).catch((error: unknown) => {
      throw folderError(error, undefined, 'task list');
    });
    const list = lists.find((l) => l.isDefault);
    if (!list) {
      throw new SideError('microsoft', 'The account has no To Do list.', 'permanent');
    }
    return { id: list.id, name: list.name };
  }
  const doc = await readFolder(
    client,
    `/me/todo/lists/${encodeURIComponent(chosen)}`,
    listDoc,
    chosen,
    'task list',
  );
  return { id: doc.id, name: doc.displayName ?? '' };
}

async function readFolder<T extends z.ZodType>(
  client: Client,
  url: string,
  schema: T,
  chosen: string | undefined,
  kind: 'calendar' | 'task list',
): Promise<z.infer<T>> {
  try {
    return schema.parse(await client.api(url).get());
  } catch (error) {
    throw folderError(error, chosen, kind);
  }
}

/** The setting that names the chosen calendar or list. */
export const FOLDER_SETTING = {
  calendar: 'calendar.microsoftCalendarId',
  'task list': 'tasks.microsoftListId',
} as const;

/** What a chosen calendar or list that Graph no longer has (404) means, and what to do. */
export const goneFolderMessage = (kind: 'calendar' | 'task list'): string =>
  `The ${kind} chosen for sync (setting ${FOLDER_SETTING[kind]}) is not in the Microsoft account any more: choose another, or clear the setting for the default ${kind}.`;

/** A failed read of a calendar or list, classified once (shared/errors/classify.ts). */
export function folderError(
  error: unknown,
  chosen: string | undefined,
  kind: 'calendar' | 'task list',
): unknown {
  if (!(error instanceof GraphError)) {
    return error;
  }
  const errorClass = graphErrorClass(error);
  const message =
    errorClass === 'gone' && chosen !== undefined
      ? goneFolderMessage(kind)
      : `Graph answered ${error.statusCode} reading the ${kind}: ${error.message}`;
  return new SideError(
    'microsoft',
    message,
    // A chosen calendar that is gone stays gone until the setting changes: not retried.
    errorClass === 'gone' ? 'permanent' : errorClass,
    error.statusCode,
    { cause: error, retryAfterMs: retryAfterMs(Object.fromEntries(error.headers?.entries() ?? [])) },
  );
}

/**
 * A failed change-feed read of a chosen calendar or list: a 404 there means the calendar or
 * list itself is gone, said with the setting to change; anything else as Graph answered.
 */
export function feedError(
  error: unknown,
  chosen: string | undefined,
  kind: 'calendar' | 'task list',
): unknown {
  return chosen !== undefined && error instanceof GraphError && graphErrorClass(error) === 'gone'
    ? folderError(error, chosen, kind)
    : asSideError(error);
}
