import type * as ServicesModule from '../shared/app/services';
import type { Services } from '../shared/app/services';
import type * as ConfigModule from '../shared/config/config';
import { buildFunctionTable, type FunctionDefinition } from './index';

// The app's side of the Function App, apart from registration (main.ts). Config is read on
// the first invocation, so a bad setting fails loudly there rather than hiding the functions;
// the services, and the SDKs they build (Service Bus, Tables, MSAL, Graph, identity), are
// required then too, not when the table is listed. In the package (dev/package.ts) this
// module is its own bundle, required on the first invocation (docs/deploy.md, "Cold start").
let services: Services | undefined;

export const getServices = (): Services => {
  if (!services) {
    /* eslint-disable @typescript-eslint/no-require-imports -- lazy, synchronous loads on purpose */
    const { createServices } = require('../shared/app/services') as typeof ServicesModule;
    const { loadConfig } = require('../shared/config/config') as typeof ConfigModule;
    /* eslint-enable @typescript-eslint/no-require-imports */
    services = createServices(loadConfig());
  }
  return services;
};

let table: FunctionDefinition[] | undefined;

/** The function table served with these lazily built services. */
export function functionTable(): FunctionDefinition[] {
  return (table ??= buildFunctionTable(getServices));
}
