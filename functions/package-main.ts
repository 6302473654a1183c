import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAzureMonitor } from '../shared/telemetry/azure-monitor';
import type * as AppModule from './app';
import type { FunctionDefinition } from './index';
import { registerFunctions, type FunctionTrigger } from './register';

// Entry point of the package (`npm run package`, package.json "main"). A cold start waits
// only for this: @azure/functions and the triggers of the function table, listed at package
// time in function-table.json from the one table (functions/index.ts). The app itself
// (handlers, schemas, services, SDKs) is ./app.js, another bundle, required on the first
// invocation of any function. docs/deploy.md, "Cold start", has the figures.

// Telemetry first, so what the functions load is instrumented (only when Application Insights is configured).
startAzureMonitor();

const triggers = JSON.parse(
  readFileSync(join(__dirname, 'function-table.json'), 'utf8'),
) as FunctionTrigger[];

/** A handler of any kind: @azure/functions passes (trigger input, context), and takes its answer. */
type Handler = (...args: unknown[]) => Promise<unknown>;

let handlers: Map<string, Handler> | undefined;
function handlerOf(name: string): Handler {
  if (!handlers) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the app's bundle, loaded on first use
    const app = require('./app') as typeof AppModule;
    handlers = new Map(app.functionTable().map((f: FunctionDefinition) => [f.name, f.handler as Handler]));
  }
  const handler = handlers.get(name);
  if (!handler) {
    throw new Error(`function-table.json lists ${name}, which the app does not serve`);
  }
  return handler;
}

registerFunctions(
  triggers.map((trigger) => ({
    ...trigger,
    handler: (...args: unknown[]) => handlerOf(trigger.name)(...args),
  })),
);
