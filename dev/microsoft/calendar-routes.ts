import { graphError } from './respond';
import type { GraphAnswer } from './todo';
import {
  zoneOf,
  type Located,
  type SimCalendarInfo,
  type SimEvent,
  type SimException,
} from './calendar-model';
import { expand } from './calendar-recurrence';
import { renderEvent, renderInstance, renderOptions, type RenderOptions } from './calendar-render';

/** What the routes need of a calendar: its events as stored, how to find one, its writes. */
export interface RoutedCalendar {
  readonly info: SimCalendarInfo;
  /** The events themselves (singles and series masters), not copies. */
  readonly events: ReadonlyMap<string, SimEvent>;
  locate(id: string): Located | undefined;
  create(input: Record<string, unknown>): SimEvent | { error: string };
  update(id: string, input: Record<string, unknown>): SimEvent | SimException | { error: string } | undefined;
  remove(id: string): boolean;
  delta(url: URL, zone: string, prefer: string, base: string): GraphAnswer;
}

/**
 * The calendar routes; undefined when the path is not one of them. A request for another
 * than the default calendar (`/me/calendars/{id}/…`) comes here as `/me/calendar/…`.
 */
export function routeCalendar(
  calendar: RoutedCalendar,
  method: string,
  path: string,
  url: URL,
  body: Record<string, unknown>,
  prefer: string,
  base: string,
): GraphAnswer | undefined {
  const zone = /outlook\.timezone="([^"]+)"/.exec(prefer)?.[1] ?? 'UTC';
  if (!zoneOf(zone)) {
    return graphError(400, 'TimeZoneNotSupportedException', `A valid TimeZone value must be specified.`);
  }
  const options = renderOptions(url);
  const notFound = () =>
    graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
  if (path === '/me/calendarView/delta' || path === '/me/calendar/calendarView/delta') {
    return method === 'GET' ? calendar.delta(url, zone, prefer, base) : methodNotAllowed(method, path);
  }
  if (path === '/me/events' || path === '/me/calendar/events') {
    if (method === 'POST') {
      const created = calendar.create(body);
      if ('error' in created) {
        return graphError(400, 'ErrorInvalidRequest', created.error);
      }
      return { status: 201, body: renderEvent(created, zone, options) };
    }
    if (method === 'GET') {
      return list(calendar, url, zone, options, base);
    }
    return methodNotAllowed(method, path);
  }
  const m = /^\/me\/(?:calendar\/)?events\/([^/]+)(\/instances)?$/.exec(path);
  if (!m) {
    return undefined;
  }
  const id = decodeURIComponent(m[1]!);
  if (m[2]) {
    if (method !== 'GET') {
      return methodNotAllowed(method, path);
    }
    const e = calendar.events.get(id);
    if (!e) {
      return notFound();
    }
    const from = Date.parse(url.searchParams.get('startDateTime') ?? '');
    const to = Date.parse(url.searchParams.get('endDateTime') ?? '');
    if (!Number.isFinite(from) || !Number.isFinite(to)) {
      return graphError(
        400,
        'ErrorInvalidParameter',
        'This request requires a startDateTime and an endDateTime.',
      );
    }
    const value =
      e.type === 'seriesMaster' ? expand(e, from, to).map((i) => renderInstance(i, zone, options)) : [];
    return { status: 200, body: { value } };
  }
  if (method === 'GET') {
    const direct = calendar.events.get(id);
    if (direct) {
      return { status: 200, body: renderEvent(direct, zone, options) };
    }
    const found = calendar.locate(id);
    if (!found?.instance) {
      return notFound();
    }
    const i = expand(found.event, found.instance.originalStart, found.instance.originalStart + 1, true)[0];
    return i ? { status: 200, body: renderInstance(i, zone, options) } : notFound();
  }
  if (method === 'PATCH') {
    const updated = calendar.update(id, body);
    if (!updated) {
      return notFound();
    }
    if ('error' in updated) {
      return graphError(400, 'ErrorInvalidRequest', updated.error);
    }
    if ('type' in updated) {
      return { status: 200, body: renderEvent(updated, zone, options) };
    }
    const found = calendar.locate(id);
    const i = found?.instance
      ? expand(found.event, found.instance.originalStart, found.instance.originalStart + 1, true)[0]
      : undefined;
    return i ? { status: 200, body: renderInstance(i, zone, options) } : notFound();
  }
  if (method === 'DELETE') {
    return calendar.remove(id) ? { status: 204 } : notFound();
  }
  return methodNotAllowed(method, path);
}

function eventsPath(info: SimCalendarInfo): string {
  return info.isDefault ? '/me/events' : `/me/calendars/${encodeURIComponent(info.id)}/events`;
}

/** GET /me/events: singles and series masters (no occurrences), $top/$skip paging. */
function list(
  calendar: RoutedCalendar,
  url: URL,
  zone: string,
  options: RenderOptions,
  base: string,
): GraphAnswer {
  const top = Math.min(1000, Number(url.searchParams.get('$top') ?? 10) || 10);
  const skip = Number(url.searchParams.get('$skip') ?? 0) || 0;
  const all = [...calendar.events.values()];
  const next = skip + top < all.length;
  return {
    status: 200,
    body: {
      value: all.slice(skip, skip + top).map((e) => renderEvent(e, zone, options)),
      ...(next
        ? { '@odata.nextLink': `${base}/v1.0${eventsPath(calendar.info)}?$top=${top}&$skip=${skip + top}` }
        : {}),
    },
  };
}

const methodNotAllowed = (method: string, path: string) =>
  graphError(405, 'BadRequest', `Method ${method} is not supported on ${path}.`);
