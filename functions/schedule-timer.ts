import type { GetServices } from './http';
import type { TimerFunctionDefinition } from './timer';

/** Every minute: one queued run per user and entity that came due (shared/scheduling/scheduler.ts). */
export const scheduleTimer = (getServices: GetServices) =>
  ({
    kind: 'timer',
    name: 'scheduleTimer',
    schedule: '0 * * * * *',
    handler: async (_timer, context) => {
      const services = getServices();
      const r = await services.scheduler.fanOut(services.now());
      const skipped = Object.entries(r.skipped)
        .filter(([, n]) => n > 0)
        .map(([reason, n]) => `${reason} ${n}`);
      context.log(
        r.busy
          ? 'scheduleTimer: another run holds the schedule; nothing to do'
          : `scheduleTimer: ${r.slots ? `slots ${r.slots.from}..${r.slots.through}, ` : ''}` +
              `${r.read} due, ${r.enqueued} queued` +
              (skipped.length > 0 ? `, skipped: ${skipped.join(', ')}` : ''),
      );
    },
  }) satisfies TimerFunctionDefinition;
