import type { GetServices } from './http';
import type { TimerFunctionDefinition } from './timer';

/**
 * Every 30 minutes: Graph subscriptions expiring within a day are renewed (To Do's live at
 * most about 70 hours, events' 7 days), so a missed run or two loses nothing.
 */
export const subscriptionRenewalTimer = (getServices: GetServices): TimerFunctionDefinition => ({
  kind: 'timer',
  name: 'subscriptionRenewal',
  schedule: '0 */30 * * * *',
  handler: async (_timer, context) => {
    const r = await getServices().subscriptions.renewDue(new Date());
    context.log(
      `subscriptionRenewal: ${r.renewed} renewed, ${r.recreated} re-created, ${r.removed} removed, ${r.failed} failed`,
    );
  },
});
