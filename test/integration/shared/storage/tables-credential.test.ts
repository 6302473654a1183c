import { startAzurite, type Azurite } from '../../../../dev/azurite';
import { devCertificate, trustInThisProcess } from '../../../../dev/microsoft/certificate';
import { tableConnection } from '../../../../shared/app/azure-credential';
import { createTableStore, readRow, writeRow } from '../../../../shared/storage/tables';
import { uniquePrefix } from '../../../support/storage';
import { testIdentity } from '../../../support/token-credential';

// Table Storage on an identity-based connection, as deployed (AzureWebJobsStorage__
// tableServiceUri + a managed identity, no shared key): the SDK sends an Entra ID bearer
// token over HTTPS. Azurite in `--oauth basic` mode over HTTPS checks each token's audience
// (Storage), issuer (Entra ID) and lifetime, as the service does (not its signature).

let azurite: Azurite;

beforeAll(async () => {
  const certificate = await devCertificate();
  trustInThisProcess(certificate.cert);
  const certFile = process.env.DEV_TLS_CERT_FILE;
  const keyFile = process.env.DEV_TLS_KEY_FILE;
  if (!certFile || !keyFile) {
    throw new Error(
      'DEV_TLS_CERT_FILE / DEV_TLS_KEY_FILE are not set: run the tests through jest (global setup).',
    );
  }
  azurite = await startAzurite({ https: { certFile, keyFile }, oauth: 'basic' });
}, 60_000);

afterAll(async () => {
  await azurite?.stop();
});

it('creates its tables, writes at an ETag and reads back with a token credential, over HTTPS', async () => {
  const identity = testIdentity();
  const tables = createTableStore(
    { endpoint: azurite.tableEndpoint, credential: identity.credential },
    uniquePrefix(),
  );
  const etag = await writeRow(
    tables,
    'settings',
    { partitionKey: 'global', rowKey: 'x', value: 'one' },
    undefined,
    'row',
  );
  await writeRow(tables, 'settings', { partitionKey: 'global', rowKey: 'x', value: 'two' }, etag, 'row');
  await expect(
    writeRow(tables, 'settings', { partitionKey: 'global', rowKey: 'x', value: 'three' }, etag, 'row'),
  ).rejects.toMatchObject({ code: 'precondition-failed' });
  expect(await readRow<{ value: string }>(tables, 'settings', 'global', 'x')).toMatchObject({ value: 'two' });
  await tables.ping();
  // Storage's resource scope: the token's audience is https://storage.azure.com.
  expect(new Set(identity.requested.flat())).toEqual(new Set(['https://storage.azure.com/.default']));
});

it('is refused with a token for another resource: the bearer is what authorizes', async () => {
  const wrongAudience = testIdentity({ audience: () => 'https://management.azure.com' });
  const tables = createTableStore(
    { endpoint: azurite.tableEndpoint, credential: wrongAudience.credential },
    uniquePrefix(),
  );
  await expect(tables.ping()).rejects.toMatchObject({ statusCode: 403 }); // AuthenticationFailed, as Azure Storage answers
});

it('the composition builds a managed-identity client from the config, without a connection string', () => {
  const connection = tableConnection({
    tableEndpoint: 'https://orosyncabc.table.core.windows.net',
    credential: { kind: 'managed-identity', clientId: 'c1c1c1c1-0000-4000-8000-000000000001' },
  });
  expect(connection).toMatchObject({ endpoint: 'https://orosyncabc.table.core.windows.net' });
  expect((connection as { credential: object }).credential.constructor.name).toBe(
    'ManagedIdentityCredential',
  );
  expect(tableConnection({ connectionString: 'UseDevelopmentStorage=true' })).toBe(
    'UseDevelopmentStorage=true',
  );
});
