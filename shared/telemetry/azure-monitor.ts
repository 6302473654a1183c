import type * as Identity from '@azure/identity';
import type * as AzureMonitorDistro from '@azure/monitor-opentelemetry';
import { authenticationClientId } from './telemetry';

/**
 * The distro's Node `http` instrumentation records every URL in full, query included (Table
 * Storage filters name users): it is off. Oro and Graph requests have spans of their own
 * with path templates (outbound.ts); Table Storage and Service Bus calls are traced by the
 * Azure SDK instrumentation, whose URLs the SDK's pipeline redacts.
 */
export const INSTRUMENTATION_OPTIONS = { http: { enabled: false }, azureSdk: { enabled: true } } as const;

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
    instrumentationOptions: INSTRUMENTATION_OPTIONS,
    azureMonitorExporterOptions: {
      connectionString,
      ...(clientId ? { credential: new ManagedIdentityCredential({ clientId }) } : {}),
    },
  });
  return true;
}
