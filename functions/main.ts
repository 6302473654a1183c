import { startAzureMonitor } from '../shared/telemetry/azure-monitor';
import { functionTable } from './app';
import { registerFunctions } from './register';

// Telemetry first, so what the functions load is instrumented (only when Application Insights is configured).
startAzureMonitor();

// Entry point under the Azure Functions host when run from compiled sources; the package
// (`npm run package`) uses package-main.ts, which registers the same table from its list.
registerFunctions(functionTable());
