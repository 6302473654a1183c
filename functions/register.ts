import { app, type HttpMethod } from '@azure/functions';

/** What registering a function needs: its trigger, from the one table (functions/index.ts). */
export type FunctionTrigger =
  | { kind: 'http'; name: string; route: string; method: HttpMethod }
  | { kind: 'timer'; name: string; schedule: string }
  | { kind: 'serviceBusQueue'; name: string; queueName: string };

/** Any handler: each kind's is typed in its definition; @azure/functions passes (trigger, context). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the three kinds' handlers, as @azure/functions takes them
type AnyHandler = (...args: any[]) => Promise<any>;

/** Registers each function under @azure/functions with its trigger. */
export function registerFunctions(functions: ReadonlyArray<FunctionTrigger & { handler: AnyHandler }>): void {
  for (const fn of functions) {
    if (fn.kind === 'http') {
      app.http(fn.name, {
        route: fn.route,
        methods: [fn.method],
        authLevel: 'anonymous',
        handler: fn.handler,
      });
    } else if (fn.kind === 'timer') {
      app.timer(fn.name, { schedule: fn.schedule, handler: fn.handler });
    } else {
      // Sessions keep one user's runs (sessionId = userId), and one schedule shard's work
      // (sessionId = shard-<n>), in order; see host.json for concurrency.
      app.serviceBusQueue(fn.name, {
        queueName: fn.queueName,
        connection: 'SERVICEBUS_CONNECTION',
        isSessionsEnabled: true,
        handler: fn.handler,
      });
    }
  }
}

/** The trigger of a table entry, without its handler: what the package's function-table.json holds. */
export function triggerOf(fn: FunctionTrigger): FunctionTrigger {
  if (fn.kind === 'http') {
    return { kind: 'http', name: fn.name, route: fn.route, method: fn.method };
  }
  if (fn.kind === 'timer') {
    return { kind: 'timer', name: fn.name, schedule: fn.schedule };
  }
  return { kind: 'serviceBusQueue', name: fn.name, queueName: fn.queueName };
}
