import { randomBytes } from 'node:crypto';

/**
 * A complete configuration of the app, as the Function App's settings give it: every
 * required setting present, nothing contacted (the services connect on first use).
 */
export const completeAppEnv = (): Record<string, string> => ({
  STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
  SERVICEBUS_CONNECTION_STRING:
    'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0',
  SECRET_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  AUTH_ISSUER: 'https://login.microsoftonline.com/t/v2.0',
  AUTH_AUDIENCE: 'api://x',
  AUTH_JWKS_URI: 'https://login.microsoftonline.com/t/discovery/v2.0/keys',
  PORTAL_ORIGIN: 'https://crm.example.com',
});
