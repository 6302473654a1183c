import { app } from '@azure/functions';
import { createServices, type Services } from '../shared/app/services';
import { loadConfig } from '../shared/config/config';
import { startAzureMonitor } from '../shared/telemetry/azure-monitor';
import { buildFunctionTable } from './index';

// Telemetry first, so what the functions load is instrumented (only when Application Insights is configured).
startAzureMonitor();

// Entry point under the Azure Functions host (package.json "main"). Config is read on the
// first invocation, so a bad setting fails loudly there rather than hiding the functions.
let services: Services | undefined;
const getServices = (): Services => (services ??= createServices(loadConfig()));

for (const fn of buildFunctionTable(getServices)) {
  if (fn.kind === 'http') {
    app.http(fn.name, { route: fn.route, methods: [fn.method], authLevel: 'anonymous', handler: fn.handler });
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
