import type { ServiceBusClient, ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';
import { z } from 'zod';
import { AppError } from '../errors/app-error';
import { entityId } from '../settings/schema';
import { MAX_SHARDS } from '../storage/schedule-repository';
import { traceProperties } from '../telemetry/trace-context';
import { sendInBatches, serviceBusClient, type ServiceBusConnection } from './service-bus-queue';

/** The queue of the timer's work items: one message per shard and minute. */
export const SCHEDULE_QUEUE = 'schedule-shards';

/** The settings leaves the schedule depends on, as one level sets them. */
export const scheduleLeaves = z.strictObject({
  syncIntervalMinutes: z.number().int().min(1).max(1440).optional(),
  'calendar.enabled': z.boolean().optional(),
  'tasks.enabled': z.boolean().optional(),
});
export type ScheduleLeaves = z.infer<typeof scheduleLeaves>;

/**
 * The global and organization levels of the schedule's settings, read once per minute by the
 * timer and handed to every shard (a user's own overrides are on the user's schedule rows).
 * Only organizations that set one of the leaves are listed.
 */
export const scheduleLevels = z.strictObject({
  global: scheduleLeaves,
  organizations: z.record(entityId, scheduleLeaves),
});
export type ScheduleLevels = z.infer<typeof scheduleLevels>;

/** One shard's work for the minutes up to `through` (docs/scheduling.md). */
export const shardWork = z
  .strictObject({
    shard: z
      .number()
      .int()
      .min(0)
      .max(MAX_SHARDS - 1),
    through: z.string().regex(/^\d{12}$/, 'a schedule slot (yyyyMMddHHmm)'),
    requestedAt: z.iso.datetime({ offset: true }),
    levels: scheduleLevels,
    /** A continuation of a shard's work that reached its time budget (1, 2, …). */
    part: z.number().int().min(1).max(10_000).optional(),
  })
  .meta({ id: 'ShardWork' });
export type ShardWork = z.infer<typeof shardWork>;

export interface ShardQueue {
  send(work: readonly ShardWork[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Shard work on Service Bus: sessionId = the shard, so one shard's work items never overlap
 * (and the partition's pace holds); messageId = shard and minute, so a timer run repeated
 * after a crash is dropped by duplicate detection.
 */
export function createServiceBusShardQueue(connection: ServiceBusConnection): ShardQueue {
  let client: ServiceBusClient | undefined;
  let sender: ServiceBusSender | undefined;
  return {
    async send(work) {
      if (work.length === 0) {
        return;
      }
      const messages: ServiceBusMessage[] = work.map((w) => ({
        body: shardWork.parse(w),
        contentType: 'application/json',
        messageId: `shard:${w.shard}:${w.through}${w.part ? `:${w.part}` : ''}`,
        sessionId: `shard-${w.shard}`,
        subject: 'schedule',
        applicationProperties: traceProperties(),
      }));
      client ??= serviceBusClient(connection);
      sender ??= client.createSender(SCHEDULE_QUEUE);
      try {
        await sendInBatches(sender, messages);
      } catch (error) {
        // The SDK has retried already. A resend is safe: duplicate detection.
        throw new AppError(
          'dependency-unavailable',
          `Service Bus did not take the ${SCHEDULE_QUEUE} messages.`,
          {
            cause: error,
          },
        );
      }
    },
    async close() {
      await sender?.close();
      await client?.close();
      sender = undefined;
      client = undefined;
    },
  };
}
