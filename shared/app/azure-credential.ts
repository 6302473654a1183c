import type * as Identity from '@azure/identity';
import type { TokenCredential } from '@azure/identity'; // the interface every Azure SDK client takes
import type { AzureCredentialConfig, ServiceBusConfig, TableStorageConfig } from '../config/config';
import type { ServiceBusConnection } from '../messaging/service-bus-queue';
import type { TableConnection } from '../storage/tables';

/**
 * The token credential of an identity-based connection: the Function App's managed identity
 * (a user-assigned one by its client id), or DefaultAzureCredential for a developer machine
 * (az login, environment variables, workload identity). Tokens are fetched on first use and
 * cached and refreshed by the SDKs; nothing here holds a secret.
 */
export function createAzureCredential(config: AzureCredentialConfig): TokenCredential {
  // Loaded on first use: a deployment on connection strings (local runs) never pays for it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy, synchronous load on purpose
  const { DefaultAzureCredential, ManagedIdentityCredential } = require('@azure/identity') as typeof Identity;
  if (config.kind === 'managed-identity') {
    return config.clientId
      ? new ManagedIdentityCredential({ clientId: config.clientId })
      : new ManagedIdentityCredential();
  }
  return new DefaultAzureCredential();
}

/** The configured Table Storage connection, with its credential when identity-based. */
export const tableConnection = (config: TableStorageConfig): TableConnection =>
  'connectionString' in config
    ? config.connectionString
    : { endpoint: config.tableEndpoint, credential: createAzureCredential(config.credential) };

/** The configured Service Bus connection, with its credential when identity-based. */
export const serviceBusConnection = (config: ServiceBusConfig): ServiceBusConnection =>
  'connectionString' in config
    ? config.connectionString
    : {
        fullyQualifiedNamespace: config.fullyQualifiedNamespace,
        credential: createAzureCredential(config.credential),
      };
