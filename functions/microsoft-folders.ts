import { z } from 'zod';
import { ADMIN_ERRORS, httpFunction, json, problemResponse, userIdParam, type GetServices } from './http';

const route = 'users/{userId}/microsoft';

export const calendarChoices = z
  .object({
    value: z.array(
      z.object({
        id: z.string().meta({ description: 'What the setting calendar.microsoftCalendarId takes.' }),
        name: z.string(),
        isDefault: z
          .boolean()
          .meta({ description: 'The default calendar: what syncs while the setting is unset.' }),
        canEdit: z
          .boolean()
          .meta({ description: 'False for a calendar shared read-only: sync cannot write to it.' }),
        owner: z.string().optional().meta({ description: 'Who created or shared the calendar.' }),
      }),
    ),
  })
  .meta({ id: 'MicrosoftCalendars' });

export const taskListChoices = z
  .object({
    value: z.array(
      z.object({
        id: z.string().meta({ description: 'What the setting tasks.microsoftListId takes.' }),
        name: z.string(),
        isDefault: z
          .boolean()
          .meta({ description: 'The default list ("Tasks"): what syncs while the setting is unset.' }),
        isShared: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'MicrosoftTaskLists' });

const tags = ['connection'];
const errors = {
  ...ADMIN_ERRORS,
  404: problemResponse('Unknown user'),
  409: problemResponse(
    'No connected Microsoft account (or it must be connected again), or Microsoft refused the listing (a permission not granted)',
  ),
  503: problemResponse('Microsoft Graph did not answer; try again after Retry-After'),
};

/** The lists the settings screen's "Calendar" and "Task list" choices are filled from. */
export const microsoftFolderFunctions = (getServices: GetServices) => [
  httpFunction(getServices, {
    name: 'microsoftCalendars',
    route: `${route}/calendars`,
    method: 'GET',
    operation: {
      operationId: 'microsoftCalendars',
      summary: "The connected account's Outlook calendars: which one syncs is calendar.microsoftCalendarId",
      tags,
      security: 'admin',
      responses: { 200: { description: 'Calendars', schema: calendarChoices }, ...errors },
    },
    run: async (request, _context, services) =>
      json(
        200,
        { value: await services.folders.calendars(userIdParam(request)) },
        { 'Cache-Control': 'no-store' },
      ),
  }),
  httpFunction(getServices, {
    name: 'microsoftTaskLists',
    route: `${route}/task-lists`,
    method: 'GET',
    operation: {
      operationId: 'microsoftTaskLists',
      summary: "The connected account's Microsoft To Do lists: which one syncs is tasks.microsoftListId",
      tags,
      security: 'admin',
      responses: { 200: { description: 'To Do lists', schema: taskListChoices }, ...errors },
    },
    run: async (request, _context, services) =>
      json(
        200,
        { value: await services.folders.taskLists(userIdParam(request)) },
        { 'Cache-Control': 'no-store' },
      ),
  }),
];
