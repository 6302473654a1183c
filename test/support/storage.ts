import { randomBytes } from 'node:crypto';

/** The Azurite started by global-setup.ts. */
export function testConnectionString(): string {
  const value = process.env.TEST_STORAGE_CONNECTION_STRING;
  if (!value) {
    throw new Error('TEST_STORAGE_CONNECTION_STRING is not set: run the tests through jest (global setup).');
  }
  return value;
}

/** A table-name prefix no other test uses, so tests never see each other's rows. */
export const uniquePrefix = (): string => `t${randomBytes(5).toString('hex')}`;

export const testKey = (id = 'k1'): string => `${id}:${randomBytes(32).toString('base64')}`;
