import type { HttpMethod, HttpRequest } from '@azure/functions';
import { parseInput } from '../../shared/http/validation';
import type { ApiOperation } from '../../shared/openapi/document';
import { GLOBAL_ID } from '../../shared/storage/settings-repository';
import {
  entityId,
  scopeSettingsWrite,
  settingsLevelRead,
  userSettingsWrite,
  type Level,
} from '../../shared/settings/schema';
import type { WriteMode } from '../../shared/settings/write';
import {
  ADMIN_ERRORS,
  httpFunction,
  json,
  pathParam,
  preconditions,
  problemResponse,
  readJsonBody,
  type GetServices,
} from '../http';

interface LevelRoute {
  level: Level;
  /** Function-name stem, e.g. settingsUser. */
  name: string;
  route: string;
  /** The path parameter naming the row; none for global. */
  param?: string;
  label: string;
}

export const LEVEL_ROUTES: readonly LevelRoute[] = [
  { level: 'global', name: 'settingsGlobal', route: 'settings/global', label: 'global settings' },
  {
    level: 'organization',
    name: 'settingsOrganization',
    route: 'settings/organizations/{orgId}',
    param: 'orgId',
    label: "an organization's overrides",
  },
  {
    level: 'user',
    name: 'settingsUser',
    route: 'settings/users/{userId}',
    param: 'userId',
    label: "a user's overrides",
  },
];

const onlyAbove = 'set at global or organization level only';
const USER_LEVEL_HINTS = { microsoftApp: onlyAbove, oro: onlyAbove };

const idOf = (request: HttpRequest, r: LevelRoute): string =>
  r.param ? pathParam(request, r.param, entityId) : GLOBAL_ID;

const writeSchema = (level: Level) => (level === 'user' ? userSettingsWrite : scopeSettingsWrite);

/** GET, PUT, PATCH (and DELETE below global) for one settings level. */
export function settingsLevelFunctions(getServices: GetServices, r: LevelRoute) {
  const read = httpFunction(getServices, {
    name: `${r.name}Get`,
    route: r.route,
    method: 'GET',
    operation: {
      operationId: `${r.name}Get`,
      summary: `Read ${r.label}${r.level === 'global' ? ' (every field, defaults filled in)' : ''}`,
      tags: ['settings'],
      security: 'admin',
      responses: {
        200: { description: 'The settings', schema: settingsLevelRead, headers: ['ETag'] },
        ...ADMIN_ERRORS,
        ...(r.level === 'global' ? {} : { 404: problemResponse('Unknown id') }),
      },
    },
    run: async (request, _context, services) => {
      const view = await services.settings.read(r.level, idOf(request, r));
      return json(200, view.body, { ETag: view.etag });
    },
  });

  const write = (method: HttpMethod, mode: WriteMode) =>
    httpFunction(getServices, {
      name: `${r.name}${mode === 'replace' ? 'Put' : 'Patch'}`,
      route: r.route,
      method,
      operation: writeOperation(r, mode),
      run: async (request, _context, services) => {
        const id = idOf(request, r);
        const body = parseInput(writeSchema(r.level), await readJsonBody(request), 'settings document', {
          unknownFieldHints: r.level === 'user' ? USER_LEVEL_HINTS : {},
        });
        const result = await services.settings.write(r.level, id, body, mode, preconditions(request));
        return json(result.created ? 201 : 200, result.body, {
          ETag: result.etag,
          ...(result.created ? { Location: new URL(request.url).pathname } : {}),
        });
      },
    });

  const functions = [read, write('PUT', 'replace'), write('PATCH', 'merge')];
  if (r.level === 'global') {
    return functions;
  }
  const level = r.level;
  const remove = httpFunction(getServices, {
    name: `${r.name}Delete`,
    route: r.route,
    method: 'DELETE',
    operation: {
      operationId: `${r.name}Delete`,
      summary: `Delete ${r.label}; ${level === 'user' ? 'the user falls back to nothing' : 'only when no user belongs to it'}`,
      tags: ['settings'],
      security: 'admin',
      headers: ['If-Match'],
      responses: {
        204: { description: 'Deleted' },
        ...ADMIN_ERRORS,
        404: problemResponse('Unknown id'),
        ...(level === 'organization'
          ? { 409: problemResponse('Users still belong to the organization') }
          : {}),
        412: problemResponse('If-Match does not match the current ETag'),
      },
    },
    run: async (request, _context, services) => {
      await services.settings.remove(level, idOf(request, r), preconditions(request));
      return { status: 204 };
    },
  });
  return [...functions, remove];
}

function writeOperation(r: LevelRoute, mode: WriteMode): ApiOperation {
  const verb = mode === 'replace' ? 'Replace' : 'Merge (JSON merge patch) into';
  return {
    operationId: `${r.name}${mode === 'replace' ? 'Put' : 'Patch'}`,
    summary: `${verb} ${r.label}. An absent field inherits; null clears an override.`,
    tags: ['settings'],
    security: 'admin',
    requestBody: writeSchema(r.level),
    headers: ['If-Match', 'If-None-Match'],
    responses: {
      200: { description: 'Saved', schema: settingsLevelRead, headers: ['ETag'] },
      ...(r.level === 'global'
        ? {}
        : { 201: { description: 'Created', schema: settingsLevelRead, headers: ['ETag', 'Location'] } }),
      ...ADMIN_ERRORS,
      ...(r.level === 'user' ? { 404: problemResponse('The named organization does not exist') } : {}),
      412: problemResponse('If-Match does not match the current ETag (or If-None-Match: * and it exists)'),
      413: problemResponse('Body over 64 KiB'),
      415: problemResponse('Body is not JSON'),
    },
  };
}
