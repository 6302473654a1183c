import { readFileSync } from 'node:fs';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { generate } from 'selfsigned';

export interface Certificate {
  key: string;
  cert: string;
}

/** A fresh self-signed certificate for localhost, so local HTTPS peers need no files on disk. */
export async function localhostCertificate(): Promise<Certificate> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    notAfterDate: new Date(Date.now() + 30 * 24 * 3600_000),
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

let shared: Promise<Certificate> | undefined;

/**
 * The one certificate every local HTTPS peer of this process uses. Node builds its
 * default trust store once, at the first TLS connection; certificates added after that
 * are ignored, so a process trusts one certificate, early, and reuses it. Test workers
 * share one through DEV_TLS_CERT_FILE / DEV_TLS_KEY_FILE (written by the global setup).
 */
export function devCertificate(): Promise<Certificate> {
  const certFile = process.env.DEV_TLS_CERT_FILE;
  const keyFile = process.env.DEV_TLS_KEY_FILE;
  if (certFile && keyFile) {
    return Promise.resolve({ cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') });
  }
  shared ??= localhostCertificate();
  return shared;
}

/**
 * Adds a certificate to this process's default trust store, so MSAL, the Graph client and
 * jose reach the local simulator over HTTPS unmodified. Local and test stacks only:
 * production trusts the system roots and nothing else.
 */
export function trustInThisProcess(certPem: string): void {
  const current = getCACertificates('default');
  if (!current.includes(certPem)) {
    setDefaultCACertificates([...current, certPem]);
  }
}
