import type { SettingsService } from '../shared/settings/service';
import { GLOBAL_ID } from '../shared/storage/settings-repository';

export const DEMO = {
  organizationId: 'acme',
  inheritingUserId: '101',
  overridingUserId: '102',
  clientId: '3e9b8c1a-7f21-4d3a-9b57-0c6de1f2a8b4',
  /** Registered with the local Microsoft simulator only. */
  clientSecret: 'demo-client-secret',
} as const;

/**
 * Demo settings for `npm start`: global defaults with a (simulated) Microsoft app, one
 * organization that overrides a few fields, one user who inherits everything and one
 * who overrides some fields of their own.
 */
export async function seedDemo(
  settings: SettingsService,
  opts: { tenantId: string; apiUrl: string },
): Promise<void> {
  await settings.write(
    'global',
    GLOBAL_ID,
    {
      microsoftApp: {
        clientId: DEMO.clientId,
        tenantId: opts.tenantId,
        clientSecret: DEMO.clientSecret,
        redirectUri: `${opts.apiUrl}/api/oauth/callback`,
      },
      syncIntervalMinutes: 30,
      calendar: { enabled: true, direction: 'bidirectional', conflictResolution: 'oro-wins' },
      tasks: { enabled: true, direction: 'bidirectional', conflictResolution: 'oro-wins' },
    },
    'replace',
    {},
  );
  await settings.write(
    'organization',
    DEMO.organizationId,
    { syncIntervalMinutes: 15, tasks: { direction: 'oro-to-microsoft' } },
    'replace',
    {},
  );
  await settings.write('user', DEMO.inheritingUserId, { organizationId: DEMO.organizationId }, 'replace', {});
  await settings.write(
    'user',
    DEMO.overridingUserId,
    {
      organizationId: DEMO.organizationId,
      syncIntervalMinutes: 5,
      calendar: { direction: 'microsoft-to-oro' },
      tasks: { conflictResolution: 'most-recent-wins' },
    },
    'replace',
    {},
  );
}
