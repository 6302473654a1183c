import { effectiveSettingsRead } from '../../shared/settings/schema';
import { ADMIN_ERRORS, httpFunction, json, userIdParam, problemResponse, type GetServices } from '../http';

export const settingsEffective = (getServices: GetServices) =>
  httpFunction(getServices, {
    name: 'settingsUserEffective',
    route: 'settings/users/{userId}/effective',
    method: 'GET',
    operation: {
      operationId: 'settingsUserEffective',
      summary: "A user's resolved settings: every leaf with its value and the level it came from",
      tags: ['settings'],
      security: 'admin',
      responses: {
        200: { description: 'Resolved settings', schema: effectiveSettingsRead, headers: ['ETag'] },
        ...ADMIN_ERRORS,
        404: problemResponse('Unknown user'),
        409: problemResponse("The user's organization does not exist; move the user to an existing one"),
      },
    },
    run: async (request, _context, services) => {
      const view = await services.settings.effective(userIdParam(request));
      return json(200, view.body, { ETag: view.etag });
    },
  });
