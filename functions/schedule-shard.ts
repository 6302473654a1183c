import { AppError } from '../shared/errors/app-error';
import { toFieldErrors } from '../shared/http/validation';
import { SCHEDULE_QUEUE, shardWork } from '../shared/messaging/schedule-queue';
import { recordFanOut } from '../shared/telemetry/telemetry';
import type { GetServices } from './http';
import { safeJson, type QueueFunctionDefinition } from './queue';

/** One shard's due users of a minute (the timer queues one message per shard; docs/scheduling.md). */
export const scheduleShard = (getServices: GetServices): QueueFunctionDefinition => ({
  kind: 'serviceBusQueue',
  name: 'scheduleShard',
  queueName: SCHEDULE_QUEUE,
  handler: async (raw, context) => {
    const body = typeof raw === 'string' ? safeJson(raw) : raw;
    const parsed = shardWork.safeParse(body);
    if (!parsed.success) {
      const errors = toFieldErrors(parsed.error.issues);
      context.error(
        `scheduleShard: invalid message: ${errors.map((e) => `${e.path || '(body)'}: ${e.message}`).join('; ')}`,
      );
      throw new AppError('validation', 'Invalid shard work item.', { fieldErrors: errors });
    }
    const services = getServices();
    const r = await services.scheduler.runShard(parsed.data, services.now());
    recordFanOut(r);
    const skipped = [
      ...(r.disabled > 0 ? [`disabled ${r.disabled}`] : []),
      ...(r.movedMeanwhile > 0 ? [`moved-meanwhile ${r.movedMeanwhile}`] : []),
    ];
    const part = parsed.data.part ? ` (part ${parsed.data.part + 1})` : '';
    context.log(
      `scheduleShard ${r.shard} through ${r.through}${part}: ${r.read} due, ${r.enqueued} queued` +
        (skipped.length > 0 ? `, skipped: ${skipped.join(', ')}` : '') +
        (r.continued ? '; time budget reached, continues in a new work item' : ''),
    );
  },
});
