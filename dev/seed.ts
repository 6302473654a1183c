import type { SettingsService } from '../shared/settings/service';
import type { MicrosoftSimulator } from './microsoft/simulator';
import type { OroSimulator } from './oro/simulator';
import { GLOBAL_ID } from '../shared/storage/settings-repository';

export const DEMO = {
  organizationId: 'acme',
  inheritingUserId: '101',
  overridingUserId: '102',
  clientId: '3e9b8c1a-7f21-4d3a-9b57-0c6de1f2a8b4',
  /** Registered with the local Microsoft simulator only. */
  clientSecret: 'demo-client-secret',
  oroClientId: 'oro-sync-integration',
  oroClientSecret: 'demo-oro-secret',
} as const;

/**
 * Demo settings for `npm start`: global defaults with a (simulated) Microsoft app, one
 * organization that overrides a few fields, one user who inherits everything and one
 * who overrides some fields of their own.
 */
export async function seedDemo(
  settings: SettingsService,
  opts: { tenantId: string; apiUrl: string; oroUrl: string },
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
      oro: { baseUrl: opts.oroUrl, clientId: DEMO.oroClientId, clientSecret: DEMO.oroClientSecret },
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

/** Demo tasks on both sides, so the first sync has something to do. */
export function seedDemoTasks(oro: OroSimulator, microsoft: MicrosoftSimulator): void {
  const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
  oro.createTask(DEMO.inheritingUserId, {
    subject: 'Call Acme about the renewal',
    dueDate: `${inDays(3)}T09:00:00Z`,
    priority: 'high',
  });
  oro.createTask(DEMO.inheritingUserId, {
    subject: 'Prepare the Q3 forecast',
    description: 'Numbers from finance first.',
  });
  oro.createTask(DEMO.overridingUserId, { subject: 'Send the contract to Globex', status: 'in_progress' });
  microsoft
    .todo('megan.bowen@contoso.example')
    .create({ title: 'Book the flight to Berlin', importance: 'normal' });
  microsoft
    .todo('adele.vance@contoso.example')
    .create({ title: 'Review the partner proposal', importance: 'high' });
}
