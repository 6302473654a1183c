import { z } from 'zod';
import { entityId } from '../settings/schema';
import { SYNC_ENTITIES } from '../storage/sync-state-repository';

/** Body of a message on the calendar-sync and task-sync queues (DESIGN.md, Messages). */
export const syncMessage = z
  .strictObject({
    userId: entityId,
    entity: z.enum(SYNC_ENTITIES),
    reason: z.enum(['schedule', 'notification', 'manual', 'retry', 'continue']),
    requestedAt: z.iso.datetime({ offset: true }),
    /** Retries only: how many times this run was retried so far, this one included. */
    attempt: z.number().int().min(1).max(100).optional(),
    /**
     * Retries only: an earlier retry of this run was timed to a held lease's expiry. A lease
     * still held after that is a live run's (it renews): later retries keep the backoff.
     */
    leaseWaited: z.literal(true).optional(),
    /**
     * Continuations only: the user-entity's run count after the run that queued it; a later
     * run meanwhile supersedes it (that run queued its own when it left work).
     */
    continues: z.number().int().min(0).optional(),
    /** Manual only: run even though it deletes more than half of the linked items. */
    confirmMassDelete: z.boolean().optional(),
  })
  .meta({ id: 'SyncMessage' });
export type SyncMessage = z.infer<typeof syncMessage>;

export const QUEUES = { calendar: 'calendar-sync', tasks: 'task-sync' } as const;
