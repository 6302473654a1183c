import type { SimAccount } from './accounts';
import type { CalendarStore } from './calendar';
import { graphError } from './respond';
import type { SimulatorContext } from './simulator';
import type { GraphAnswer, TodoStore } from './todo';

/**
 * A mailbox's calendars and To Do lists, as Graph v1.0 serves them: "List calendars" (GET
 * /me/calendars), "Get calendar" (GET /me/calendar, /me/calendars/{id}), "Create
 * calendar" (POST /me/calendars), and for To Do "List lists" (GET /me/todo/lists), "Get
 * todoTaskList" and "Create todoTaskList" (POST /me/todo/lists). A mailbox has one default
 * calendar (`isDefaultCalendar: true`) and one default list (`wellknownListName:
 * "defaultList"`), and any number of others.
 */

const notFound = (): GraphAnswer =>
  graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');

const notSupported = (method: string, path: string): GraphAnswer =>
  graphError(405, 'BadRequest', `Method ${method} is not supported on ${path}.`);

/**
 * The calendar a calendar request is for, and the path its store routes: `/me/calendars/{id}/…`
 * becomes `/me/calendar/…` of that calendar; an item by id (`/me/events/{id}…`) goes to the
 * calendar holding it (event ids are unique in a mailbox); anything else to the default.
 */
export function calendarFor(
  sim: SimulatorContext,
  account: SimAccount,
  path: string,
): { store: CalendarStore; path: string } | GraphAnswer {
  const all = sim.calendars(account);
  const chosen = /^\/me\/calendars\/([^/]+)(\/.+)$/.exec(path);
  if (chosen) {
    const id = decodeURIComponent(chosen[1]!);
    const store = all.find((c) => c.info.id === id);
    return store ? { store, path: `/me/calendar${chosen[2]!}` } : notFound();
  }
  const item = /^\/me\/(?:calendar\/)?events\/([^/]+)/.exec(path);
  if (item) {
    const id = decodeURIComponent(item[1]!);
    return { store: all.find((c) => c.holds(id)) ?? all[0]!, path };
  }
  return { store: all[0]!, path };
}

/** GET/POST /me/calendars, GET /me/calendar and /me/calendars/{id}; undefined for other paths. */
export function calendarFolders(
  sim: SimulatorContext,
  account: SimAccount,
  method: string,
  path: string,
  body: Record<string, unknown>,
): GraphAnswer | undefined {
  const all = sim.calendars(account);
  if (path === '/me/calendars') {
    if (method === 'GET') {
      return {
        status: 200,
        body: {
          '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#me/calendars',
          value: all.map((c) => c.renderCalendar()),
        },
      };
    }
    if (method === 'POST') {
      // "Create calendar": the name is required; the new calendar is not the default.
      if (typeof body.name !== 'string' || body.name.trim() === '') {
        return graphError(400, 'ErrorInvalidRequest', 'The calendar name is required.');
      }
      if (all.some((c) => c.info.name === body.name)) {
        return graphError(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
      }
      return { status: 201, body: sim.addCalendar(account, body.name).renderCalendar() };
    }
    return notSupported(method, path);
  }
  const one = path === '/me/calendar' ? all[0] : undefined;
  const byId = /^\/me\/calendars\/([^/]+)$/.exec(path);
  if (!one && !byId) {
    return undefined;
  }
  if (method !== 'GET') {
    return notSupported(method, path);
  }
  const store = one ?? all.find((c) => c.info.id === decodeURIComponent(byId![1]!));
  if (!store) {
    return notFound();
  }
  return {
    status: 200,
    body: {
      '@odata.context': "https://graph.microsoft.com/v1.0/$metadata#users('me')/calendars/$entity",
      ...store.renderCalendar(),
    },
  };
}

/** GET/POST /me/todo/lists and GET /me/todo/lists/{id}; undefined for other paths. */
export function todoFolders(
  sim: SimulatorContext,
  account: SimAccount,
  method: string,
  path: string,
  body: Record<string, unknown>,
): GraphAnswer | undefined {
  const all = sim.todoLists(account);
  if (path === '/me/todo/lists') {
    if (method === 'GET') {
      return {
        status: 200,
        body: {
          '@odata.context': "https://graph.microsoft.com/v1.0/$metadata#users('me')/todo/lists",
          value: all.map((l) => l.list()),
        },
      };
    }
    if (method === 'POST') {
      if (typeof body.displayName !== 'string' || body.displayName.trim() === '') {
        return graphError(400, 'invalidRequest', 'Invalid request: displayName is required.');
      }
      return { status: 201, body: sim.addTodoList(account, body.displayName).list() };
    }
    return notSupported(method, path);
  }
  const byId = /^\/me\/todo\/lists\/([^/]+)$/.exec(path);
  if (!byId) {
    return undefined;
  }
  if (method !== 'GET') {
    return notSupported(method, path);
  }
  const list = todoList(sim, account, decodeURIComponent(byId[1]!));
  return list ? { status: 200, body: list.list() } : notFound();
}

/** The account's To Do list with this id. */
export function todoList(sim: SimulatorContext, account: SimAccount, listId: string): TodoStore | undefined {
  return sim.todoLists(account).find((l) => l.listId === listId);
}
