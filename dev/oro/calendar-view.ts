import type { OroRecurrence } from '../../shared/sync/calendar/recurrence';
import type { OroCalendarEventRecord } from './calendar';
import { oroDate } from './calendar-list';

/**
 * How Oro's REST API shows a calendar event. GET of one event
 * (`UserCalendarEventNormalizer::serializeCalendarEvent`, key set of OroCalendarBundle
 * `Tests/Functional/ControllerRestApi/BasicCrudTest.php`) has `recurrence` only for a
 * series, its zone spelt `timezone` (`serializeRecurrence`); a list row, built from the
 * repository's `recurrence*` columns (`AbstractCalendarEventNormalizer::applyItemRecurrence`),
 * spells it `timeZone`. `reminders` appear when the event has some.
 */
export function eventView(
  r: OroCalendarEventRecord,
  owner: { email: string; userId: number },
  kind: 'get' | 'list',
): Record<string, unknown> {
  const own = r.organizerEmail.toLowerCase() === owner.email.toLowerCase();
  let recurrence: Record<string, unknown> | undefined;
  if (r.recurrence) {
    const { timeZone, ...rest } = r.recurrence satisfies OroRecurrence;
    recurrence = {
      id: r.id,
      instance: null,
      dayOfWeek: null,
      dayOfMonth: null,
      monthOfYear: null,
      occurrences: null,
      ...rest,
      startTime: oroDate(Date.parse(rest.startTime)),
      endTime: rest.endTime ? oroDate(Date.parse(rest.endTime)) : null,
      ...(kind === 'get' ? { timezone: timeZone } : { timeZone }),
    };
  }
  return {
    id: r.id,
    uid: r.uid,
    calendar: r.calendar,
    parentEventId: null,
    title: r.title,
    description: r.description,
    start: r.start,
    end: r.end,
    allDay: r.allDay,
    attendees: r.attendees.map((a) => ({ ...a, userId: null })),
    editable: true,
    editableInvitationStatus: false,
    removable: true,
    backgroundColor: null,
    invitationStatus: 'none',
    recurringEventId: r.recurringEventId,
    originalStart: r.originalStart,
    isCancelled: r.isCancelled,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    isOrganizer: own,
    organizerDisplayName: r.organizerDisplayName,
    organizerEmail: r.organizerEmail,
    organizerUserId: own ? owner.userId : null,
    ...(recurrence ? { recurrence } : {}),
    ...(r.reminders.length > 0 ? { reminders: r.reminders } : {}),
  };
}

/** What POST (with the id added) and PUT (without) answer: BasicCrudTest::getResponseArray. */
export const writeAnswer = (v: Record<string, unknown>) => ({
  uid: v.uid,
  invitationStatus: v.invitationStatus,
  editableInvitationStatus: v.editableInvitationStatus,
  organizerDisplayName: v.organizerDisplayName,
  organizerEmail: v.organizerEmail,
  organizerUserId: v.organizerUserId,
});

const JSON_API = 'application/vnd.api+json';

/**
 * JSON:API `GET /api/calendars`. `calendars` undefined: stock Oro, which does not expose
 * the resource (OroCalendarBundle `Resources/config/oro/api.yml` has it commented out) and
 * answers as oroinc/platform's ApiBundle tests show for one that is not accessible.
 * Otherwise an instance that enabled it, filtered by `filter[owner]`.
 */
export function answerCalendars(
  url: URL,
  reply: (status: number, payload?: unknown, type?: string) => void,
  calendars: [userId: string, calendarId: number][] | undefined,
  nameOf: (userId: string) => string,
): void {
  if (!calendars) {
    reply(
      404,
      {
        errors: [
          {
            status: '404',
            title: 'resource not accessible exception',
            detail: 'The resource is not accessible.',
          },
        ],
      },
      JSON_API,
    );
    return;
  }
  const owner = url.searchParams.get('filter[owner]');
  for (const key of url.searchParams.keys()) {
    if (key.startsWith('filter[') && key !== 'filter[owner]') {
      reply(
        400,
        {
          errors: [
            {
              status: '400',
              title: 'filter constraint',
              detail: 'The filter is not supported.',
              source: { parameter: key },
            },
          ],
        },
        JSON_API,
      );
      return;
    }
  }
  const data = calendars
    .filter(([userId]) => !owner || userId === owner)
    .map(([userId, id]) => ({
      type: 'calendars',
      id: String(id),
      attributes: { name: nameOf(userId) },
      relationships: { owner: { data: { type: 'users', id: userId } } },
    }));
  reply(200, { data }, JSON_API);
}
