import { z } from 'zod';
import { parseInput } from '../shared/http/validation';
import { entityId } from '../shared/settings/schema';
import { SYNC_ENTITIES } from '../shared/storage/sync-state-repository';
import { ADMIN_ERRORS, httpFunction, json, type GetServices } from './http';

export const fleetStatusQuery = z.object({
  state: z.enum(['error']).meta({ description: 'Which syncs to list: those whose last run failed' }),
  organizationId: entityId.optional().meta({ description: "Only this organization's users" }),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  continuationToken: z
    .string()
    .max(4096)
    .optional()
    .meta({ description: 'The continuationToken of the previous page of the same query' }),
});

export const fleetStatus = z
  .object({
    items: z.array(
      z.object({
        userId: z.string(),
        organizationId: z.string().nullable(),
        entity: z.enum(SYNC_ENTITIES),
        lastError: z.string().nullable().meta({ description: 'Why the last run failed' }),
        lastSyncAt: z.string().nullable().meta({ description: 'The last run that completed' }),
      }),
    ),
    continuationToken: z.string().nullable().meta({
      description:
        'Null on the last page. A page may hold fewer than `limit` items, none even, and still have a next one.',
    }),
  })
  .meta({ id: 'FleetSyncStatus' });

/** The fleet view: users whose sync fails, with the reason, across the deployment or in one organization. */
export const fleetStatusFunction = (getServices: GetServices) =>
  httpFunction(getServices, {
    name: 'syncFleetStatus',
    route: 'sync/status',
    method: 'GET',
    operation: {
      operationId: 'syncFleetStatus',
      summary: 'Users whose sync fails, with the reason (paged), so an admin need not open users one by one',
      tags: ['sync'],
      security: 'admin',
      query: fleetStatusQuery,
      responses: {
        200: { description: 'One page of failing syncs', schema: fleetStatus },
        ...ADMIN_ERRORS,
      },
    },
    run: async (request, _context, services) => {
      const query = parseInput(fleetStatusQuery, Object.fromEntries(request.query), 'query');
      const page = await services.fleet.failing({
        limit: query.limit,
        ...(query.organizationId === undefined ? {} : { organizationId: query.organizationId }),
        ...(query.continuationToken === undefined ? {} : { continuationToken: query.continuationToken }),
      });
      return json(200, page);
    },
  });
