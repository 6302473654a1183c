/** Calls to the Graph simulator over real HTTPS, in Graph's wire format, for test/integration/dev/graph-calendar-simulator.*. */

export const USER = 'adele.vance@contoso.example';

/** Graph's event JSON as far as these tests read it. */
export interface Ev {
  id: string;
  type?: string;
  subject?: string;
  start: { dateTime: string; timeZone: string };
  originalStart?: string;
  recurrence?: unknown;
  cancelledOccurrences?: string[];
  exceptionOccurrences?: Ev[];
  singleValueExtendedProperties?: unknown;
  seriesMasterId?: string;
  sensitivity?: string;
  showAs?: string;
  '@removed'?: unknown;
}
export interface Answer extends Ev {
  value: Ev[];
  responses: { status: number; headers: Record<string, string>; body: Ev }[];
  error: { code: string; message: string };
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

/** Graph calls with USER's token, and the calendar requests the tests repeat. */
export function graphCalendarApi(graphUrl: () => string, token: () => string) {
  const api = async (method: string, path: string, body?: unknown, prefer?: string) => {
    const res = await fetch(path.startsWith('https:') ? path : `${graphUrl()}/v1.0${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token()}`,
        'Content-Type': 'application/json',
        ...(prefer ? { Prefer: prefer } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Answer };
  };
  const at = (dateTime: string, timeZone = 'UTC') => ({ dateTime, timeZone });
  const series = (subject: string, start: string, end: string, timeZone: string, recurrence: unknown) =>
    api('POST', '/me/events', { subject, start: at(start, timeZone), end: at(end, timeZone), recurrence });
  const instances = async (id: string, from: string, to: string, prefer?: string) =>
    (
      await api(
        'GET',
        `/me/events/${id}/instances?startDateTime=${from}&endDateTime=${to}`,
        undefined,
        prefer,
      )
    ).body.value;
  const localStarts = (list: Ev[]) => list.map((i) => i.start.dateTime.slice(0, 16));
  return { api, at, series, instances, localStarts };
}
