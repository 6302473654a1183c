import { ConfidentialClientApplication, type ICachePlugin } from '@azure/msal-node';
import type { MicrosoftApp } from '../settings/service';

/**
 * Delegated permissions the sync needs; MSAL adds openid and profile itself.
 * MailboxSettings.Read: To Do answers a due date as an instant, and only the mailbox's time
 * zone says which day it is (a due date set in Berlin is 22:00 UTC the day before).
 */
export const GRAPH_SCOPES = [
  'offline_access',
  'User.Read',
  'Calendars.ReadWrite',
  'Tasks.ReadWrite',
  'MailboxSettings.Read',
] as const;
/**
 * The ones that must have been granted for the product to work: all of them. A silent
 * refresh asks for every scope, and Entra ID refuses a refresh that asks for one never
 * consented to, so an optional scope would turn into a reconnect later.
 */
export const REQUIRED_SCOPES = [
  'User.Read',
  'Calendars.ReadWrite',
  'Tasks.ReadWrite',
  'MailboxSettings.Read',
] as const;

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
