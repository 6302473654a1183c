/** What OroCalendarBundle's functional tests expect of the calendar REST API, shared by test/conformance/oro-calendar.*. */

export const REST = '/api/rest/latest';
export const ORO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/;
/** BasicCrudTest::getResponseArray: what POST answers (PUT: the same without `id`). */
export const WRITE_KEYS = [
  'editableInvitationStatus',
  'id',
  'invitationStatus',
  'organizerDisplayName',
  'organizerEmail',
  'organizerUserId',
  'uid',
];
/** BasicCrudTest::testCreateRegularCalendarEventWithMinimalRequiredData, step 2: GET of a single event. */
export const GET_KEYS = [
  'allDay',
  'attendees',
  'backgroundColor',
  'calendar',
  'createdAt',
  'description',
  'editable',
  'editableInvitationStatus',
  'end',
  'id',
  'invitationStatus',
  'isCancelled',
  'isOrganizer',
  'organizerDisplayName',
  'organizerEmail',
  'organizerUserId',
  'originalStart',
  'parentEventId',
  'recurringEventId',
  'removable',
  'start',
  'title',
  'uid',
  'updatedAt',
];
export const FORM_CHILDREN = [
  'allDay',
  'attendees',
  'backgroundColor',
  'calendar',
  'calendarAlias',
  'createdAt',
  'contexts',
  'description',
  'end',
  'id',
  'uid',
  'isCancelled',
  'notifyAttendees',
  'originalStart',
  'recurrence',
  'recurringEventId',
  'reminders',
  'start',
  'title',
  'updateExceptions',
  'organizerDisplayName',
  'organizerEmail',
];
export const RECURRENCE_CHILDREN = [
  'dayOfMonth',
  'dayOfWeek',
  'endTime',
  'instance',
  'interval',
  'monthOfYear',
  'occurrences',
  'recurrenceType',
  'startTime',
  'timeZone',
];
/** ValidationFailedTest::getValidationFailedResponse: every child listed, errors where refused. */
export function validationFailed(
  children: Record<string, string[]>,
  recurrence: Record<string, string[]> = {},
) {
  const all: Record<string, unknown> = Object.fromEntries(
    FORM_CHILDREN.map((k) => [k, children[k] ? { errors: children[k] } : []]),
  );
  all.recurrence = {
    children: Object.fromEntries(
      RECURRENCE_CHILDREN.map((k) => [k, recurrence[k] ? { errors: recurrence[k] } : []]),
    ),
  };
  return { code: 400, message: 'Validation Failed', errors: { children: all } };
}

export type Json = Record<string, unknown>;
