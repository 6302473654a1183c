import { z } from 'zod';
import { syncLogEntry } from '../shared/storage/sync-log-repository';
import { SYNC_ENTITIES, runResult } from '../shared/storage/sync-state-repository';
import { AppError } from '../shared/errors/app-error';
import { parseInput } from '../shared/http/validation';
import {
  ADMIN_ERRORS,
  httpFunction,
  json,
  userIdParam,
  problemResponse,
  readJsonBody,
  type GetServices,
} from './http';

const entityStatus = z.object({
  enabled: z.boolean(),
  direction: z.enum(['oro-to-microsoft', 'microsoft-to-oro', 'bidirectional']),
  state: z.enum(['idle', 'queued', 'running', 'continuing', 'error', 'disabled']),
  progress: z.object({ done: z.number().int(), planned: z.number().int() }).optional().meta({
    description:
      'While a sync goes on over several bounded runs ("continuing", or "running" meanwhile): items applied so far, of those planned',
  }),
  lastSyncAt: z.string().nullable(),
  nextSyncAt: z.string().nullable(),
  lastResult: runResult.meta({ description: 'Counts of the last run, even when it found nothing to do' }),
  lastChange: z
    .object({ at: z.string(), result: runResult })
    .nullable()
    .meta({ description: 'The last run that changed something, with its counts; null until one did' }),
  lastError: z.string().optional(),
  nextRetryAt: z.string().optional().meta({ description: 'A failed run waits for its retry until then' }),
  retryAttempt: z.number().int().optional(),
  retryReason: z.string().optional().meta({ description: 'Why the try before the retry failed' }),
});
export const syncStatus = z
  .object({ calendar: entityStatus, tasks: entityStatus })
  .meta({ id: 'SyncStatus' });

export const syncRequest = z
  .strictObject({
    entity: z.enum(SYNC_ENTITIES).optional(),
    confirmMassDelete: z.boolean().optional().meta({
      description:
        'Run even though it deletes more than half of the linked items (after a run was blocked for that).',
    }),
  })
  .meta({ id: 'SyncRequest' });
export const syncQueued = z
  .object({
    queued: z.array(
      z.object({
        entity: z.enum(SYNC_ENTITIES),
        messageId: z.string(),
        requestedAt: z.string(),
      }),
    ),
    skipped: z.array(z.object({ entity: z.enum(SYNC_ENTITIES), reason: z.enum(['disabled']) })),
  })
  .meta({
    id: 'SyncQueued',
    description:
      'Runs queued (the status shows "queued" until each starts) and entities not queued, with why',
  });

export const syncLogQuery = z.object({
  entity: z.enum(SYNC_ENTITIES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export const syncLog = z.object({ entries: z.array(syncLogEntry) }).meta({ id: 'SyncLog' });

const tags = ['sync'];

export const syncFunctions = (getServices: GetServices) => [
  httpFunction(getServices, {
    name: 'syncStatus',
    route: 'users/{userId}/sync',
    method: 'GET',
    operation: {
      operationId: 'syncStatus',
      summary: 'Per entity: enabled, direction, state, last and next sync, last result and error',
      tags,
      security: 'admin',
      responses: {
        200: { description: 'Status', schema: syncStatus },
        ...ADMIN_ERRORS,
        404: problemResponse('Unknown user'),
      },
    },
    run: async (request, _context, services) => json(200, await services.sync.status(userIdParam(request))),
  }),
  httpFunction(getServices, {
    name: 'syncNow',
    route: 'users/{userId}/sync',
    method: 'POST',
    operation: {
      operationId: 'syncNow',
      summary: 'Sync now (one entity or both): queues a run per enabled entity and answers at once',
      tags,
      security: 'admin',
      requestBody: syncRequest,
      responses: {
        202: { description: 'Queued', schema: syncQueued },
        ...ADMIN_ERRORS,
        404: problemResponse('Unknown user'),
        409: problemResponse(
          'Nothing queued: the user has no connected Microsoft account (type not-connected), or every entity asked for is disabled (type conflict); the detail says which',
        ),
      },
    },
    run: async (request, _context, services) => {
      const id = userIdParam(request);
      const text = await request.clone().text();
      const body =
        text.trim() === '' ? {} : parseInput(syncRequest, await readJsonBody(request), 'sync request');
      const entities = body.entity ? [body.entity] : [...SYNC_ENTITIES];
      await services.sync.requireConnected(id);
      const queued = await services.scheduler.requestNow(
        id,
        entities,
        body.confirmMassDelete ? { confirmMassDelete: true } : {},
        services.now(),
      );
      if (queued.queued.length === 0) {
        throw new AppError(
          'conflict',
          `Nothing to sync: ${entities.join(' and ')} sync is disabled for user "${id}"; enable it in the settings first (${entities.map((e) => `${e}.enabled`).join(', ')}).`,
        );
      }
      return json(202, queued);
    },
  }),
  httpFunction(getServices, {
    name: 'syncLog',
    route: 'users/{userId}/sync/log',
    method: 'GET',
    operation: {
      operationId: 'syncLog',
      summary: 'Recent per-item outcomes, newest first',
      tags,
      security: 'admin',
      query: syncLogQuery,
      responses: {
        200: { description: 'Log', schema: syncLog },
        ...ADMIN_ERRORS,
        404: problemResponse('Unknown user'),
      },
    },
    run: async (request, _context, services) => {
      const query = parseInput(syncLogQuery, Object.fromEntries(request.query), 'query', {});
      const entries = await services.sync.recentLog(userIdParam(request), {
        limit: query.limit,
        ...(query.entity ? { entity: query.entity } : {}),
      });
      return json(200, { entries });
    },
  }),
];
