import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzurite, type Azurite } from '../../dev/azurite';
import { localhostCertificate } from '../../dev/microsoft/certificate';

/**
 * One in-memory Azurite for the whole run (each test file isolates itself with a table
 * prefix), and one localhost certificate that every simulator of every worker serves.
 */
export default async function globalSetup(): Promise<void> {
  const azurite: Azurite = await startAzurite();
  (globalThis as { __azurite?: Azurite }).__azurite = azurite;
  process.env.TEST_STORAGE_CONNECTION_STRING = azurite.connectionString;

  const dir = mkdtempSync(join(tmpdir(), 'dev-tls-'));
  const certificate = await localhostCertificate();
  writeFileSync(join(dir, 'cert.pem'), certificate.cert);
  writeFileSync(join(dir, 'key.pem'), certificate.key, { mode: 0o600 });
  process.env.DEV_TLS_CERT_FILE = join(dir, 'cert.pem');
  process.env.DEV_TLS_KEY_FILE = join(dir, 'key.pem');
}
