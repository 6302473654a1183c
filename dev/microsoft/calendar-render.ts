import type { GraphRecurrence } from '../../shared/sync/calendar/recurrence';
import { utcToZoned, zonedDate, zonedToUtc } from '../../shared/sync/calendar/time-zones';
import {
  type CONTENT_KEYS,
  iso,
  seriesRecurrence,
  zoneOf,
  type Content,
  type Instance,
  type SimEvent,
} from './calendar-model';

/**
 * An event, a series' occurrence or exception as Graph's JSON puts it on the wire, with
 * the query options that shape it ($select, $expand of exceptionOccurrences and of
 * singleValueExtendedProperties).
 */

export interface RenderOptions {
  select?: string[];
  expandExceptions?: boolean;
  extendedIds?: string[];
}

export function renderOptions(url: URL): RenderOptions {
  const select = url.searchParams.get('$select');
  const expand = url.searchParams.get('$expand') ?? '';
  const extended = /singleValueExtendedProperties\(\$filter=([^)]*)\)/.exec(expand)?.[1];
  return {
    ...(select ? { select: select.split(',').map((s) => s.trim()) } : {}),
    ...(/(^|,)\s*exceptionOccurrences/.test(expand) ? { expandExceptions: true } : {}),
    ...(extended ? { extendedIds: [...extended.matchAll(/id eq '([^']+)'/gi)].map((x) => x[1]!) } : {}),
  };
}

const ALWAYS = ['@odata.etag', 'id', 'exceptionOccurrences', 'singleValueExtendedProperties'];
function select(doc: Record<string, unknown>, fields: string[] | undefined): Record<string, unknown> {
  if (!fields) {
    return doc;
  }
  return Object.fromEntries(Object.entries(doc).filter(([k]) => ALWAYS.includes(k) || fields.includes(k)));
}

/** Graph's event JSON; date-times in `zone` (Prefer: outlook.timezone; UTC by default). */
export function renderEvent(e: SimEvent, zone: string, options: RenderOptions = {}): Record<string, unknown> {
  const iana = zoneOf(zone) ?? 'UTC';
  const at = (v: number | string) =>
    typeof v === 'string'
      ? { dateTime: `${v}T00:00:00.0000000`, timeZone: zone }
      : { dateTime: `${utcToZoned(new Date(v), iana)}.0000000`, timeZone: zone };
  const own = (t: { dateTime: string; timeZone: string }): number | string =>
    e.isAllDay ? t.dateTime.slice(0, 10) : zonedToUtc(t.dateTime, zoneOf(t.timeZone) ?? 'UTC').getTime();
  const doc: Record<string, unknown> = {
    '@odata.etag': `W/"${e.changeKey}"`,
    id: e.id,
    createdDateTime: e.createdDateTime,
    lastModifiedDateTime: e.lastModifiedDateTime,
    changeKey: e.changeKey,
    categories: [],
    transactionId: e.transactionId ?? null,
    originalStartTimeZone: e.start.timeZone,
    originalEndTimeZone: e.end.timeZone,
    iCalUId: e.iCalUId,
    reminderMinutesBeforeStart: e.reminderMinutesBeforeStart,
    isReminderOn: e.isReminderOn,
    hasAttachments: false,
    subject: e.subject,
    bodyPreview: e.body.content.slice(0, 255),
    importance: 'normal',
    sensitivity: e.sensitivity,
    isAllDay: e.isAllDay,
    isCancelled: false,
    isDraft: false,
    isOrganizer: e.isOrganizer,
    responseRequested: true,
    seriesMasterId: null,
    showAs: e.showAs,
    type: e.type,
    webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(e.id)}`,
    onlineMeetingUrl: null,
    isOnlineMeeting: false,
    responseStatus: {
      response: e.isOrganizer ? 'organizer' : 'notResponded',
      time: '0001-01-01T00:00:00Z',
    },
    body: e.body,
    start: at(own(e.start)),
    end: at(own(e.end)),
    location: { displayName: e.location.displayName, locationType: 'default', uniqueIdType: 'unknown' },
    locations: e.location.displayName ? [{ displayName: e.location.displayName }] : [],
    recurrence: e.recurrence ? renderRecurrence(e.recurrence) : null,
    attendees: e.attendees,
    organizer: e.organizer,
  };
  if (options.select?.includes('cancelledOccurrences')) {
    const r = seriesRecurrence(e);
    doc.cancelledOccurrences = r
      ? [...e.cancelled]
          .sort((a, b) => a - b)
          .map((ms) => `OID.${e.id}.${zonedDate(new Date(ms), r.timeZone)}`)
      : [];
  }
  if (options.expandExceptions) {
    doc.exceptionOccurrences =
      e.type === 'seriesMaster'
        ? [...e.exceptions.values()]
            .sort((a, b) => a.originalStart - b.originalStart)
            .map((x) =>
              renderInstance(
                {
                  id: x.id,
                  event: e,
                  exception: x,
                  originalStart: x.originalStart,
                  start: e.isAllDay ? x.start : Date.parse(x.start),
                  end: e.isAllDay ? x.end : Date.parse(x.end),
                  version: '',
                },
                zone,
                {},
              ),
            )
        : [];
  }
  if (options.extendedIds) {
    const wanted = options.extendedIds.map((id) => id.toLowerCase());
    const props = e.extendedProperties.filter((p) => wanted.includes(p.id.toLowerCase()));
    if (props.length > 0) {
      doc.singleValueExtendedProperties = props;
    }
  }
  return select(doc, options.select);
}

export function renderInstance(i: Instance, zone: string, options: RenderOptions): Record<string, unknown> {
  const e = i.event;
  if (i.originalStart === undefined) {
    return renderEvent(e, zone, options);
  }
  const iana = zoneOf(zone) ?? 'UTC';
  const at = (v: number | string) =>
    typeof v === 'string'
      ? { dateTime: `${v}T00:00:00.0000000`, timeZone: zone }
      : { dateTime: `${utcToZoned(new Date(v), iana)}.0000000`, timeZone: zone };
  const x = i.exception;
  const content = (key: (typeof CONTENT_KEYS)[number]) => (x && x[key] !== undefined ? x[key] : e[key]);
  const changeKey = x ? x.changeKey : e.changeKey;
  const location = content('location') as Content['location'];
  const body = content('body') as Content['body'];
  const doc: Record<string, unknown> = {
    '@odata.etag': `W/"${changeKey}"`,
    id: i.id,
    createdDateTime: e.createdDateTime,
    lastModifiedDateTime: x ? x.lastModifiedDateTime : e.lastModifiedDateTime,
    changeKey,
    categories: [],
    transactionId: null,
    originalStartTimeZone: e.start.timeZone,
    originalEndTimeZone: e.end.timeZone,
    iCalUId: e.iCalUId,
    reminderMinutesBeforeStart: content('reminderMinutesBeforeStart'),
    isReminderOn: content('isReminderOn'),
    subject: content('subject'),
    bodyPreview: body.content.slice(0, 255),
    sensitivity: e.sensitivity,
    showAs: e.showAs,
    isAllDay: e.isAllDay,
    isCancelled: false,
    isDraft: false,
    isOrganizer: e.isOrganizer,
    responseStatus: {
      response: e.isOrganizer ? 'organizer' : 'notResponded',
      time: '0001-01-01T00:00:00Z',
    },
    originalStart: iso(i.originalStart),
    seriesMasterId: e.id,
    type: x ? 'exception' : 'occurrence',
    body,
    start: at(i.start),
    end: at(i.end),
    location: { displayName: location.displayName, locationType: 'default', uniqueIdType: 'unknown' },
    recurrence: null,
    attendees: e.attendees,
    organizer: e.organizer,
  };
  return select(doc, options.select);
}

function renderRecurrence(g: GraphRecurrence): Record<string, unknown> {
  return {
    pattern: {
      type: g.pattern.type,
      interval: g.pattern.interval,
      month: g.pattern.month ?? 0,
      dayOfMonth: g.pattern.dayOfMonth ?? 0,
      daysOfWeek: (g.pattern.daysOfWeek ?? []).map((d) => d.toLowerCase()),
      firstDayOfWeek: (g.pattern.firstDayOfWeek ?? 'sunday').toLowerCase(),
      index: g.pattern.index ?? 'first',
    },
    range: {
      type: g.range.type,
      startDate: g.range.startDate,
      endDate: g.range.type === 'endDate' ? g.range.endDate : '0001-01-01',
      recurrenceTimeZone: g.range.recurrenceTimeZone ?? '',
      numberOfOccurrences: g.range.type === 'numbered' ? g.range.numberOfOccurrences : 0,
    },
  };
}
