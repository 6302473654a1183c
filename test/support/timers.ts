import { InvocationContext, type Timer } from '@azure/functions';
import { buildFunctionTable } from '../../functions/index';
import type { Services } from '../../shared/app/services';

/**
 * Runs a timer function of the function table once, as the host would on its schedule,
 * and returns its schedule and what it logged.
 */
export async function runTimerFunction(
  services: Services,
  name: string,
): Promise<{ schedule: string; lines: string[] }> {
  const fn = buildFunctionTable(() => services).find((f) => f.name === name);
  if (fn?.kind !== 'timer') {
    throw new Error(`no ${name} timer in the function table`);
  }
  const lines: string[] = [];
  const timer: Timer = {
    isPastDue: false,
    schedule: { adjustForDST: true },
    scheduleStatus: { last: '', next: '', lastUpdated: '' },
  };
  await fn.handler(
    timer,
    new InvocationContext({
      functionName: name,
      logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
    }),
  );
  return { schedule: fn.schedule, lines };
}
