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
 * who overrides some fields of their own. Each user's Oro calendar id is set as an Oro
 * admin sets it (`oroCalendarOf`: the id Oro gives the user's calendar).
 */
export async function seedDemo(
  settings: SettingsService,
  opts: { tenantId: string; apiUrl: string; oroUrl: string; oroCalendarOf: (userId: string) => number },
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
  await settings.write(
    'user',
    DEMO.inheritingUserId,
    {
      organizationId: DEMO.organizationId,
      calendar: { oroCalendarId: opts.oroCalendarOf(DEMO.inheritingUserId) },
    },
    'replace',
    {},
  );
  await settings.write(
    'user',
    DEMO.overridingUserId,
    {
      organizationId: DEMO.organizationId,
      syncIntervalMinutes: 5,
      calendar: { direction: 'microsoft-to-oro', oroCalendarId: opts.oroCalendarOf(DEMO.overridingUserId) },
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
  // A list of her own beside the default one: not synced unless chosen (docs/folders.md).
  microsoft.addTodoList('megan.bowen@contoso.example', 'Groceries').create({ title: 'Buy coffee beans' });
  microsoft
    .todo('adele.vance@contoso.example')
    .create({ title: 'Review the partner proposal', importance: 'high' });
}

/**
 * Demo calendar events on both sides: a meeting with an attendee, a weekly series with a
 * moved and a cancelled occurrence, an all-day event in Oro; an appointment with a location
 * and an invitation from someone else in Microsoft 365.
 */
export function seedDemoEvents(oro: OroSimulator, microsoft: MicrosoftSimulator): void {
  const day = (n: number, hour = 0, minute = 0) => {
    const d = new Date(Date.now() + n * 86_400_000);
    d.setUTCHours(hour, minute, 0, 0);
    return d;
  };
  const oroTime = (d: Date) => d.toISOString().replace('.000Z', '+00:00');
  const graphTime = (d: Date) => ({
    dateTime: d.toISOString().replace('.000Z', '.0000000'),
    timeZone: 'UTC',
  });
  const user = DEMO.inheritingUserId;
  oro.calendar.setUser(user, { email: 'megan.bowen@contoso.example', name: 'Megan Bowen' });
  oro.calendar.createEvent(user, {
    title: 'Quarterly review with Acme',
    description: 'Renewal terms and the Q3 numbers.',
    start: oroTime(day(2, 10)),
    end: oroTime(day(2, 11)),
    reminders: [{ method: 'web_socket', interval: { number: 15, unit: 'M' } }],
    attendees: [
      { displayName: 'Zoe Miller', email: 'zoe.miller@acme.example', status: 'none', type: 'required' },
    ],
  });
  const standup = oro.calendar.createEvent(user, {
    title: 'Sales standup',
    start: oroTime(day(1, 8)),
    end: oroTime(day(1, 8, 15)),
    recurrence: {
      recurrenceType: 'daily',
      interval: 1,
      startTime: oroTime(day(1, 8)),
      occurrences: 10,
      timeZone: 'UTC',
    },
  });
  oro.calendar.createException(standup.id, {
    originalStart: oroTime(day(3, 8)),
    start: oroTime(day(3, 9)),
    end: oroTime(day(3, 9, 15)),
    title: 'Sales standup (later today)',
  });
  oro.calendar.createException(standup.id, { originalStart: oroTime(day(4, 8)), isCancelled: true });
  oro.calendar.createEvent(user, {
    title: 'Trade fair',
    allDay: true,
    start: `${day(10).toISOString().slice(0, 10)}T00:00:00+00:00`,
    end: `${day(13).toISOString().slice(0, 10)}T00:00:00+00:00`,
  });
  const megan = microsoft.calendar('megan.bowen@contoso.example');
  megan.create({
    subject: 'Dentist',
    start: graphTime(day(5, 14)),
    end: graphTime(day(5, 15)),
    location: { displayName: 'Main Street 7' },
  });
  // A second calendar: not synced unless chosen (setting calendar.microsoftCalendarId).
  microsoft
    .addCalendar('megan.bowen@contoso.example', 'Holidays')
    .create({ subject: 'Family trip', start: graphTime(day(20, 8)), end: graphTime(day(20, 18)) });
  megan.receiveInvitation(
    { subject: 'Partner briefing', start: graphTime(day(6, 13)), end: graphTime(day(6, 14)) },
    { name: 'Alex Wilber', address: 'alex.wilber@fabrikam.example' },
  );
}
