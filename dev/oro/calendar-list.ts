import { occurrencesBetween } from '../../shared/oro/calendar-occurrences';
import type { OroCalendarEventRecord } from './calendar';

/**
 * `GET /api/rest/latest/calendarevents` as OroCalendarBundle's
 * `Controller/Api/Rest/CalendarEventController::cgetAction` answers it:
 *
 * - `calendar` is required (digits); a calendar id nobody owns is not refused, its
 *   listing is just empty (the paged query filters on `c.id = :calendarId`).
 * - With `start` and `end`: `CalendarManager::getCalendarEvents` runs every calendar
 *   provider, over the calendar's visible connections (a calendar its owner hid in the
 *   calendar view lists none of its events). The user provider (`Provider/UserCalendarProvider.php`,
 *   `AbstractRecurrenceAwareCalendarProvider::getExpandedRecurrences`) expands series into
 *   occurrences that repeat the series' id, replaces an occurrence by its exception row
 *   (hidden when cancelled), and appends every exception row that matched no occurrence of
 *   the range, cancelled ones included. The task provider (OroCRMTaskBundle
 *   `Provider/TaskCalendarProvider.php`, `TaskCalendarNormalizer.php`) adds the *calling*
 *   user's tasks due in the range, with task ids, `calendar: 1`. Each row gets the
 *   provider's `calendarAlias` ('user', 'tasks'). Unpaged.
 * - Otherwise `page` and `limit` are both required (a 400 without them); rows of the
 *   calendar, filtered by `createdAt`/`updatedAt` (operator in place of `=`) and `uid`;
 *   `recurringEventId` adds the series' exception rows *and the series itself*
 *   (`CalendarEventRepository::addRecurringEventFilter`: `… OR e.id = :recurringEventId`).
 *   No order is promised.
 */

/** A task as the task provider needs it. */
export interface CalendarTask {
  id: string;
  subject: string;
  description: string | null;
  dueDate: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ListContext {
  rows: () => OroCalendarEventRecord[];
  exceptionsOf: (seriesId: number) => OroCalendarEventRecord[];
  /** The REST representation of a row (a list row: no `calendarAlias`). */
  view: (r: OroCalendarEventRecord) => Record<string, unknown>;
  /** Tasks owned by the calling (integration) user. */
  apiUserTasks: () => CalendarTask[];
  /** Whether the calendar's own CalendarProperty is `visible` (its owner did not hide it). */
  visible: (calendar: number) => boolean;
}

type Reply = (status: number, payload?: unknown, type?: string) => void;

const JSON_TYPE = 'application/json';
/** The task provider's "My tasks" calendar id (TaskCalendarProvider::MY_TASKS_CALENDAR_ID). */
const MY_TASKS_CALENDAR_ID = 1;
const TASK_MS = 30 * 60_000;

/** Oro's REST dates: whole seconds, +00:00. */
export const oroDate = (ms: number): string =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', '+00:00');

/** Oro's filters: `key=value` or the operator in place of `=`; PHP decoding (`+` is a space). */
function filters(url: URL): { key: string; op: string; value: string }[] {
  return url.search
    .slice(1)
    .split('&')
    .filter(Boolean)
    .flatMap((part) => {
      const m = /^([\w.[\]-]+)(<>|<=|>=|<|>|=)(.*)$/.exec(decodeURIComponent(part.replace(/\+/g, ' ')));
      return m ? [{ key: m[1]!, op: m[2]!, value: m[3]! }] : [];
    });
}

/** FOSRest's answer to a query parameter that breaks its requirement (a plain 400). */
const badParameter = (reply: Reply, name: string, value: string) =>
  reply(
    400,
    {
      code: 400,
      message: `Parameter "${name}" of value "${value}" violated a constraint "Parameter '${name}' value, does not match requirements"`,
    },
    JSON_TYPE,
  );

export function listEvents(url: URL, reply: Reply, ctx: ListContext): void {
  const fs = filters(url);
  const one = (key: string) => fs.find((f) => f.key === key && f.op === '=')?.value;
  const calendarParam = one('calendar') ?? '';
  if (!/^\d+$/.test(calendarParam)) {
    return badParameter(reply, 'calendar', calendarParam);
  }
  const calendar = Number(calendarParam);
  const items = ctx.rows().filter((r) => r.calendar === calendar);
  const start = one('start');
  const end = one('end');
  if (start && end) {
    const from = Date.parse(start);
    const to = Date.parse(end);
    if (Number.isNaN(from)) {
      return badParameter(reply, 'start', start);
    }
    if (Number.isNaN(to)) {
      return badParameter(reply, 'end', end);
    }
    // UserCalendarProvider::getCalendarEvents selects only calendars whose connection is
    // visible (CalendarPropertyProvider::getItemsVisibility; without `subordinate`, the
    // calendar's own property), else `1 = 0`: a calendar its owner hid lists nothing.
    const shown = ctx.visible(calendar) ? items : [];
    const user = expandRange(shown, from, to, ctx).map((r) => ({ ...r, calendarAlias: 'user' }));
    return reply(200, [...user, ...taskRows(ctx.apiUserTasks(), from, to)], JSON_TYPE);
  }
  const page = Number(one('page') ?? 0);
  const limit = Number(one('limit') ?? 0);
  if (!page || !limit) {
    return reply(
      400,
      {
        code: 400,
        message:
          'Time interval ("start" and "end") or paging ("page" and "limit") parameters should be specified.',
      },
      JSON_TYPE,
    );
  }
  let filtered = items;
  let seriesId: number | undefined;
  for (const f of fs) {
    if (['calendar', 'page', 'limit', 'subordinate'].includes(f.key)) {
      continue;
    }
    if (f.key === 'recurringEventId' && f.op === '=') {
      if (!/^\d+$/.test(f.value)) {
        return badParameter(reply, 'recurringEventId', f.value);
      }
      seriesId = Number(f.value);
    } else if (f.key === 'uid' && f.op === '=') {
      filtered = filtered.filter((r) => r.uid === f.value);
    } else if (f.key === 'updatedAt' || f.key === 'createdAt') {
      const at = Date.parse(f.value);
      if (Number.isNaN(at)) {
        return badParameter(reply, f.key, f.value);
      }
      const cmp = (r: OroCalendarEventRecord) => Date.parse(r[f.key as 'updatedAt' | 'createdAt']) - at;
      const test = {
        '>': (d: number) => d > 0,
        '>=': (d: number) => d >= 0,
        '<': (d: number) => d < 0,
        '<=': (d: number) => d <= 0,
        '=': (d: number) => d === 0,
        '<>': (d: number) => d !== 0,
      }[f.op]!;
      filtered = filtered.filter((r) => test(cmp(r)));
    } else {
      // The simulator's own strictness: Oro ignores a parameter it does not know, which
      // would hide a misspelt filter from the tests.
      return badParameter(reply, f.key, f.value);
    }
  }
  if (seriesId !== undefined) {
    // ((filters AND e.recurringEvent = :id) OR e.id = :id) AND c.id = :calendarId
    const id = seriesId;
    filtered = [...filtered.filter((r) => r.recurringEventId === id), ...items.filter((r) => r.id === id)];
  }
  // No sort order is promised; a scrambled but stable order keeps pages consistent.
  filtered.sort((a, b) => scramble(a.id) - scramble(b.id));
  reply(200, filtered.slice((page - 1) * limit, page * limit).map(ctx.view), JSON_TYPE);
}

/** The user provider's rows for [from, to]: regular events, occurrences with their exceptions, leftovers. */
function expandRange(
  items: OroCalendarEventRecord[],
  from: number,
  to: number,
  ctx: ListContext,
): Record<string, unknown>[] {
  const overlaps = (r: OroCalendarEventRecord) =>
    Date.parse(r.start) < to && Math.max(Date.parse(r.end), Date.parse(r.start) + 1) > from;
  const regular: Record<string, unknown>[] = [];
  const recurring: Record<string, unknown>[] = [];
  // CalendarEventRepository::addTimeIntervalFilter: an exception row is selected when it
  // overlaps the range or its originalStart lies in it.
  const exceptions = items.filter(
    (r) =>
      r.recurringEventId !== null &&
      r.originalStart !== null &&
      (overlaps(r) || (Date.parse(r.originalStart) >= from && Date.parse(r.originalStart) <= to)),
  );
  const matched = new Set<number>();
  for (const r of items) {
    if (r.recurringEventId !== null) {
      continue;
    }
    if (!r.recurrence) {
      if (overlaps(r)) {
        regular.push(ctx.view(r));
      }
      continue;
    }
    for (const o of occurrencesBetween({ ...r, recurrence: r.recurrence }, from, to)) {
      const exception = exceptions.find(
        (e) => e.recurringEventId === r.id && Date.parse(e.originalStart ?? '') === o.start,
      );
      if (!exception) {
        recurring.push({ ...ctx.view(r), start: oroDate(o.start), end: oroDate(o.end) });
        continue;
      }
      matched.add(exception.id);
      if (!exception.isCancelled) {
        recurring.push(ctx.view(exception));
      }
    }
  }
  const leftovers = exceptions.filter((e) => !matched.has(e.id)).map(ctx.view);
  return [...regular, ...recurring, ...leftovers];
}

/** TaskCalendarNormalizer::getTasks: a task due in the range as a 30-minute item of calendar 1. */
function taskRows(tasks: CalendarTask[], from: number, to: number): Record<string, unknown>[] {
  return tasks
    .filter((t) => t.dueDate !== null && Date.parse(t.dueDate) >= from && Date.parse(t.dueDate) <= to)
    .map((t) => {
      const due = Date.parse(t.dueDate!);
      return {
        calendar: MY_TASKS_CALENDAR_ID,
        id: Number(t.id),
        title: t.subject,
        description: t.description,
        start: oroDate(due),
        end: oroDate(due + TASK_MS),
        allDay: false,
        createdAt: oroDate(Date.parse(t.createdAt)),
        updatedAt: oroDate(Date.parse(t.updatedAt)),
        editable: false,
        removable: false,
        calendarAlias: 'tasks',
      };
    });
}

const scramble = (id: number) => Math.imul(id, 2654435761) >>> 0;
