import type { InvocationContext, Timer } from '@azure/functions';

/**
 * A timer-triggered function. `schedule` is an NCRONTAB expression with seconds
 * ("0 * * * * *" = every minute), as the Azure host reads it; the dev host fires the same.
 */
export interface TimerFunctionDefinition {
  kind: 'timer';
  name: string;
  schedule: string;
  handler: (timer: Timer, context: InvocationContext) => Promise<void>;
}
