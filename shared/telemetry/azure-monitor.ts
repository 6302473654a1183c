import type * as Identity from '@azure/identity';
import type * as AzureMonitorDistro from '@azure/monitor-opentelemetry';
import { authenticationClientId } from './telemetry';

/**
 * Registers Azure Monitor's OpenTelemetry distro (traces, metrics, logs to Application
 * Insights) when APPLICATIONINSIGHTS_CONNECTION_STRING is set, with the managed identity of
 * APPLICATIONINSIGHTS_AUTHENTICATION_STRING for ingestion (the deployed resource accepts
 * Entra ID only). Returns whether it did. Without the setting nothing is loaded.
 */
export function startAzureMonitor(env: NodeJS.ProcessEnv = process.env): boolean {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING;
  if (!connectionString) {
    return false;
  }
  // Loaded only when configured: the distro and its instrumentations cost start-up time.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy, synchronous load on purpose
  const distro = require('@azure/monitor-opentelemetry') as typeof AzureMonitorDistro;
  const { useAzureMonitor } = distro;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy as well
  const { ManagedIdentityCredential } = require('@azure/identity') as typeof Identity;
  const clientId = authenticationClientId(env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING);
  useAzureMonitor({
    azureMonitorExporterOptions: {
      connectionString,
      ...(clientId ? { credential: new ManagedIdentityCredential({ clientId }) } : {}),
    },
  });
  return true;
}
