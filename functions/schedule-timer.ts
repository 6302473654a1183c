import type { GetServices } from './http';
import type { TimerFunctionDefinition } from './timer';

/** Every minute: one work item per shard of the schedule (shared/scheduling/scheduler.ts, docs/scheduling.md). */
export const scheduleTimer = (getServices: GetServices) =>
  ({
    kind: 'timer',
    name: 'scheduleTimer',
    schedule: '0 * * * * *',
    handler: async (_timer, context) => {
      const services = getServices();
      const r = await services.scheduler.fanOut(services.now());
      context.log(
        r.busy
          ? 'scheduleTimer: another run holds the schedule; nothing to do'
          : r.slots
            ? `scheduleTimer: slots ${r.slots.from}..${r.slots.through}, ${r.shards} shards queued` +
              (r.migrated ? `, ${r.migrated} rows moved from the earlier layout` : '')
            : 'scheduleTimer: nothing new since the last run',
      );
    },
  }) satisfies TimerFunctionDefinition;
