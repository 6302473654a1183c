import { ConfidentialClientApplication, type ICachePlugin } from '@azure/msal-node';
import type { MicrosoftApp } from '../settings/service';

/** Delegated permissions the sync needs; MSAL adds openid and profile itself. */
export const GRAPH_SCOPES = [
  'offline_access',
  'User.Read',
  'Calendars.ReadWrite',
  'Tasks.ReadWrite',
] as const;
/** The ones that must have been granted for the product to work. */
export const REQUIRED_SCOPES = ['User.Read', 'Calendars.ReadWrite', 'Tasks.ReadWrite'] as const;

/**
 * A confidential client for one user's effective Entra app; made per invocation (the app
 * may differ per organization, and the cache plugin is per user). Authority metadata is
 * derived instead of fetched, which saves a discovery request on every invocation.
 */
export function createMsalClient(app: MicrosoftApp, authorityHost: string, cachePlugin?: ICachePlugin) {
  const authority = `${authorityHost}/${app.tenantId}`;
  return new ConfidentialClientApplication({
    auth: {
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      authority,
      knownAuthorities: [new URL(authorityHost).host],
      authorityMetadata: JSON.stringify({
        token_endpoint: `${authority}/oauth2/v2.0/token`,
        authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
        issuer: `${authority}/v2.0`,
        jwks_uri: `${authority}/discovery/v2.0/keys`,
      }),
    },
    ...(cachePlugin ? { cache: { cachePlugin } } : {}),
    system: { loggerOptions: { piiLoggingEnabled: false } },
  });
}
