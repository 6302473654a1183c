import { z } from 'zod';
import { ADMIN_ERRORS, httpFunction, json, userIdParam, problemResponse, type GetServices } from './http';

const route = 'users/{userId}/connection';

export const connectionStatus = z
  .object({
    status: z.enum(['connected', 'disconnected', 'reconnect-required']),
    accountName: z.string().optional(),
    displayName: z.string().optional(),
    connectedAt: z.string().optional(),
    reason: z.string().optional().meta({ description: 'Why the account must be connected again.' }),
    signInError: z.object({ at: z.string(), message: z.string() }).optional().meta({
      description:
        'The last sign-in attempt failed after the last successful one (cancelled, refused, or the Microsoft account is linked to another Oro user); the connection itself, if any, is unchanged.',
    }),
  })
  .meta({ id: 'ConnectionStatus' });

export const authorizeResult = z
  .object({ authorizeUrl: z.string(), expiresAt: z.string() })
  .meta({ id: 'ConnectionAuthorize' });

export const checkResult = z
  .object({
    ok: z.boolean(),
    checks: z.array(
      z.object({
        name: z.enum(['profile', 'calendar', 'tasks', 'oro-calendar']),
        ok: z.boolean(),
        detail: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'ConnectionCheck' });

const tags = ['connection'];

export const connectionFunctions = (getServices: GetServices) => [
  httpFunction(getServices, {
    name: 'connectionAuthorize',
    route: `${route}/authorize`,
    method: 'POST',
    operation: {
      operationId: 'connectionAuthorize',
      summary:
        'Start connecting a Microsoft 365 account: the URL to open in a sign-in popup (valid 10 minutes)',
      tags,
      security: 'admin',
      responses: {
        200: { description: 'Sign-in URL', schema: authorizeResult },
        ...ADMIN_ERRORS,
        404: problemResponse('Unknown user'),
        409: problemResponse(
          'The Microsoft app is not configured for this user; `errors` names the missing fields',
        ),
      },
    },
    run: async (request, _context, services) =>
      json(200, await services.connections.authorize(userIdParam(request)), { 'Cache-Control': 'no-store' }),
  }),
  httpFunction(getServices, {
    name: 'connectionGet',
    route,
    method: 'GET',
    operation: {
      operationId: 'connectionGet',
      summary: "The user's Microsoft account connection",
      tags,
      security: 'admin',
      responses: {
        200: { description: 'Status', schema: connectionStatus },
        ...ADMIN_ERRORS,
        404: problemResponse('Unknown user'),
      },
    },
    run: async (request, _context, services) =>
      json(200, await services.connections.status(userIdParam(request))),
  }),
  httpFunction(getServices, {
    name: 'connectionCheck',
    route: `${route}/check`,
    method: 'POST',
    operation: {
      operationId: 'connectionCheck',
      summary: 'Check Connection: profile, calendar and To Do, each reported on its own',
      tags,
      security: 'admin',
      responses: {
        200: { description: 'Checks', schema: checkResult },
        ...ADMIN_ERRORS,
        404: problemResponse('Unknown user'),
      },
    },
    run: async (request, _context, services) =>
      json(200, await services.connections.check(userIdParam(request))),
  }),
  httpFunction(getServices, {
    name: 'connectionDelete',
    route,
    method: 'DELETE',
    operation: {
      operationId: 'connectionDelete',
      summary: 'Disconnect: remove the tokens; the account is remembered so a reconnect re-links',
      tags,
      security: 'admin',
      responses: {
        204: { description: 'Disconnected' },
        ...ADMIN_ERRORS,
        404: problemResponse('Unknown user'),
      },
    },
    run: async (request, _context, services) => {
      await services.connections.disconnect(userIdParam(request));
      return { status: 204 };
    },
  }),
];
