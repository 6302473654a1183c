import { startAzurite, type Azurite } from '../../dev/azurite';

/** One in-memory Azurite for the whole run; each test file isolates itself with a table prefix. */
export default async function globalSetup(): Promise<void> {
  const azurite: Azurite = await startAzurite();
  (globalThis as { __azurite?: Azurite }).__azurite = azurite;
  process.env.TEST_STORAGE_CONNECTION_STRING = azurite.connectionString;
}
