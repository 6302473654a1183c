import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../../../../shared/config/config';

// Identity-based connections, named as the Functions host names its own: what a Function
// App deployed by infra/azuredeploy.json has instead of connection strings.
const base = {
  SECRET_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  AUTH_ISSUER: 'https://login.microsoftonline.com/t/v2.0',
  AUTH_AUDIENCE: 'api://x',
  AUTH_JWKS_URI: 'https://login.microsoftonline.com/t/discovery/v2.0/keys',
  PORTAL_ORIGIN: 'https://crm.example.com',
};
const clientId = 'c1c1c1c1-0000-4000-8000-000000000001';
const identity = {
  AzureWebJobsStorage__accountName: 'orosyncabc',
  AzureWebJobsStorage__tableServiceUri: 'https://orosyncabc.table.core.windows.net/',
  AzureWebJobsStorage__credential: 'managedidentity',
  AzureWebJobsStorage__clientId: clientId,
  SERVICEBUS_CONNECTION__fullyQualifiedNamespace: 'sb-orosync.servicebus.windows.net',
  SERVICEBUS_CONNECTION__credential: 'managedidentity',
  SERVICEBUS_CONNECTION__clientId: clientId,
};

describe('loadConfig: identity-based connections', () => {
  it('reads the table endpoint, the namespace and the user-assigned identity', () => {
    const config = loadConfig({ ...base, ...identity });
    expect(config.storage).toEqual({
      tableEndpoint: 'https://orosyncabc.table.core.windows.net',
      credential: { kind: 'managed-identity', clientId },
      tablePrefix: '',
    });
    expect(config.serviceBus).toEqual({
      fullyQualifiedNamespace: 'sb-orosync.servicebus.windows.net',
      credential: { kind: 'managed-identity', clientId },
    });
  });

  it('derives the table endpoint from the account name, and uses DefaultAzureCredential without a credential setting', () => {
    const config = loadConfig({
      ...base,
      AzureWebJobsStorage__accountName: 'orosyncabc',
      SERVICEBUS_CONNECTION__fullyQualifiedNamespace: 'sb-orosync.servicebus.windows.net',
    });
    expect(config.storage).toMatchObject({
      tableEndpoint: 'https://orosyncabc.table.core.windows.net',
      credential: { kind: 'default' },
    });
    expect(config.serviceBus).toMatchObject({ credential: { kind: 'default' } });
  });

  it('prefers a connection string (Azurite, the local emulator) when both are set', () => {
    const local =
      'Endpoint=sb://localhost:5672;SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true';
    const config = loadConfig({
      ...base,
      ...identity,
      STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
      SERVICEBUS_CONNECTION: local,
    });
    expect(config.storage).toMatchObject({ connectionString: 'UseDevelopmentStorage=true' });
    expect(config.serviceBus).toEqual({ connectionString: local });
  });

  it('names both ways of configuring each connection when neither is set, beside the other problems', () => {
    let message = '';
    try {
      loadConfig({ ...base, AUTH_ISSUER: 'not a url' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/AUTH_ISSUER/);
    expect(message).toMatch(
      /Table Storage is not configured.*STORAGE_CONNECTION_STRING.*AzureWebJobsStorage__accountName/,
    );
    expect(message).toMatch(
      /Service Bus is not configured.*SERVICEBUS_CONNECTION.*SERVICEBUS_CONNECTION__fullyQualifiedNamespace/,
    );
  });

  it('refuses a credential kind the host does not know and a client id that is not a GUID', () => {
    expect(() => loadConfig({ ...base, ...identity, AzureWebJobsStorage__credential: 'secret' })).toThrow(
      /AzureWebJobsStorage__credential/,
    );
    expect(() => loadConfig({ ...base, ...identity, SERVICEBUS_CONNECTION__clientId: 'me' })).toThrow(
      /SERVICEBUS_CONNECTION__clientId/,
    );
    expect(() =>
      loadConfig({ ...base, ...identity, SERVICEBUS_CONNECTION__fullyQualifiedNamespace: 'https://x/' }),
    ).toThrow(/SERVICEBUS_CONNECTION__fullyQualifiedNamespace/);
  });
});
