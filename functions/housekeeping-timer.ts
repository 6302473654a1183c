import { REPLAY_WINDOW_MS } from '../shared/oro/webhook-receiver';
import { OroWebhookRepository } from '../shared/storage/oro-webhook-repository';
import type { GetServices } from './http';
import type { TimerFunctionDefinition } from './timer';

/**
 * Nightly: sign-ins that were started and never finished are removed once they lapsed, and
 * the Oro webhook message ids remembered against replays once past their window.
 */
export const housekeepingTimer = (getServices: GetServices): TimerFunctionDefinition => ({
  kind: 'timer',
  name: 'housekeeping',
  schedule: '0 15 3 * * *',
  handler: async (_timer, context) => {
    const removed = await getServices().connections.purgeExpiredSignIns();
    context.log(`housekeeping: ${removed} lapsed sign-in state(s) removed`);
    const services = getServices();
    const seen = await new OroWebhookRepository(services.tables).purgeSeen(
      new Date(services.now().getTime() - 2 * REPLAY_WINDOW_MS),
    );
    context.log(`housekeeping: ${seen} remembered Oro webhook message id(s) past the replay window removed`);
  },
});
