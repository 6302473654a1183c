import type { GetServices } from './http';
import type { TimerFunctionDefinition } from './timer';

/** Nightly: sign-ins that were started and never finished are removed once they lapsed. */
export const housekeepingTimer = (getServices: GetServices): TimerFunctionDefinition => ({
  kind: 'timer',
  name: 'housekeeping',
  schedule: '0 15 3 * * *',
  handler: async (_timer, context) => {
    const removed = await getServices().connections.purgeExpiredSignIns();
    context.log(`housekeeping: ${removed} lapsed sign-in state(s) removed`);
  },
});
