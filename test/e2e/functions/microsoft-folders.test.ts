import { DEMO } from '../../../dev/seed';
import { effectiveSettingsRead } from '../../../shared/settings/schema';
import { connect } from '../../support/sign-in';
import { apiClient, useTestStack } from '../../support/stack';

const USER = DEMO.inheritingUserId;
const MEGAN = 'megan.bowen@contoso.example';

const graphTime = (days: number, hour: number) => {
  const d = new Date(Date.now() + days * 86_400_000);
  d.setUTCHours(hour, 0, 0, 0);
  return { dateTime: d.toISOString().replace('.000Z', '.0000000'), timeZone: 'UTC' };
};

describe('which Outlook calendar and which To Do list sync, through the dev host', () => {
  const t = useTestStack({ seed: true });

  it('lists them only for a connected user, with the problems the other Microsoft routes give', async () => {
    const anonymous = apiClient(t.stack.url);
    expect((await anonymous('GET', `/api/users/${USER}/microsoft/calendars`)).status).toBe(401);
    expect((await t.api('GET', '/api/users/nobody/microsoft/calendars')).status).toBe(404);
    for (const path of ['calendars', 'task-lists']) {
      const refused = await t.api('GET', `/api/users/${USER}/microsoft/${path}`);
      expect(refused.status).toBe(409);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(refused.body).toMatchObject({
        type: 'urn:oro-m365-sync:problem:not-connected',
        detail: `User "${USER}" has no connected Microsoft account.`,
      });
    }

    expect((await connect(t.api, USER)).message.ok).toBe(true);
    // The demo mailbox: the default calendar and "Holidays"; the default list and "Groceries".
    const one = await t.api('GET', `/api/users/${USER}/microsoft/calendars`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual({
      value: [
        {
          id: t.stack.microsoft.calendar(MEGAN).info.id,
          name: 'Calendar',
          isDefault: true,
          canEdit: true,
          owner: MEGAN,
        },
        {
          id: t.stack.microsoft.calendars(MEGAN)[1]!.info.id,
          name: 'Holidays',
          isDefault: false,
          canEdit: true,
          owner: MEGAN,
        },
      ],
    });
    const work = t.stack.microsoft.addCalendar(MEGAN, 'Work');
    const three = (await t.api('GET', `/api/users/${USER}/microsoft/calendars`)).body as {
      value: { id: string; name: string; isDefault: boolean }[];
    };
    expect(three.value.map((c) => [c.name, c.isDefault])).toEqual([
      ['Calendar', true],
      ['Holidays', false],
      ['Work', false],
    ]);
    expect(three.value[2]!.id).toBe(work.info.id);

    const lists = await t.api('GET', `/api/users/${USER}/microsoft/task-lists`);
    expect(lists.body).toEqual({
      value: [
        { id: t.stack.microsoft.todo(MEGAN).listId, name: 'Tasks', isDefault: true, isShared: false },
        {
          id: t.stack.microsoft.todoLists(MEGAN)[1]!.listId,
          name: 'Groceries',
          isDefault: false,
          isShared: false,
        },
      ],
    });

    // Graph failing (a 502 the SDK does not retry itself): 503 with Retry-After, not a 500.
    t.stack.microsoft.failNext(502, 'badGateway');
    const down = await t.api('GET', `/api/users/${USER}/microsoft/task-lists`);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(down.body).toMatchObject({ type: 'urn:oro-m365-sync:problem:dependency-unavailable' });
    // Graph refusing (403): 409 with Graph's reason; asking again changes nothing.
    t.stack.microsoft.failNext(403, 'ErrorAccessDenied');
    const refused = await t.api('GET', `/api/users/${USER}/microsoft/calendars`);
    expect(refused.status).toBe(409);
    expect((refused.body as { detail: string }).detail).toMatch(
      /^Microsoft refused to list the calendars: Graph answered 403 reading the calendar: /,
    );
  });

  it('takes the choice at user level only, and names a malformed id beside its field', async () => {
    const org = await t.api('PATCH', '/api/settings/organizations/acme', {
      body: { calendar: { microsoftCalendarId: 'AAMkAGI2TGuLAAA=' }, tasks: { microsoftListId: 'AAMkAD' } },
    });
    expect(org.status).toBe(400);
    const bad = await t.api('PATCH', `/api/settings/users/${USER}`, {
      body: { calendar: { microsoftCalendarId: '../me/events' } },
    });
    expect(bad.status).toBe(400);
    expect((bad.body as { errors: { path: string; message: string }[] }).errors).toEqual([
      {
        path: 'calendar.microsoftCalendarId',
        message: 'must be the id of an Outlook calendar, as GET /api/users/{id}/microsoft/calendars lists it',
      },
    ]);
    const effective = effectiveSettingsRead.parse(
      (await t.api('GET', `/api/settings/users/${USER}/effective`)).body,
    );
    expect(effective.calendar.microsoftCalendarId).toEqual({ value: null, source: 'global' });
    expect(effective.tasks.microsoftListId).toEqual({ value: null, source: 'global' });
  });

  it('switching the calendar pairs the new one afresh: nothing in the old one changes, nothing is duplicated', async () => {
    const first = await t.stack.services.sync.run(USER, 'calendar');
    expect(first).toMatchObject({ status: 'ok', result: { created: 5, errors: 0 } });
    const snapshot = () =>
      t.stack.microsoft
        .calendar(MEGAN)
        .all()
        .map((e) => ({ id: e.id, subject: e.subject, modified: e.lastModifiedDateTime }))
        .sort((a, b) => a.id.localeCompare(b.id));
    const before = snapshot();
    const work = t.stack.microsoft.calendars(MEGAN).find((c) => c.info.name === 'Work')!;
    work.create({ subject: 'Offsite', start: graphTime(8, 9), end: graphTime(8, 17) });

    const chosen = await t.api('PATCH', `/api/settings/users/${USER}`, {
      body: { calendar: { microsoftCalendarId: work.info.id } },
    });
    expect(chosen.status).toBe(200);
    const switched = await t.stack.services.sync.run(USER, 'calendar');
    // The 5 Oro events into Work, Work's own event into Oro; nothing deleted anywhere.
    expect(switched).toMatchObject({ status: 'ok', result: { created: 6, deleted: 0, errors: 0 } });
    expect(snapshot()).toEqual(before);
    const all = [
      'Dentist',
      'Offsite',
      'Partner briefing',
      'Quarterly review with Acme',
      'Sales standup',
      'Trade fair',
    ];
    expect(
      work
        .all()
        .map((e) => e.subject)
        .sort(),
    ).toEqual(all);
    expect(
      t.stack.oro.calendar
        .events(USER)
        .filter((e) => e.recurringEventId === null)
        .map((e) => e.title)
        .sort(),
    ).toEqual(all);

    const log = (await t.api('GET', `/api/users/${USER}/sync/log?entity=calendar&limit=50`)).body as {
      entries: { action: string; detail: string }[];
    };
    expect(log.entries.find((e) => e.action === 'unlink')?.detail).toBe(
      'switched to calendar "Work": 5 link(s) to the old calendar "Calendar" retired, nothing deleted in it; both sides are read in full and paired with the new calendar',
    );

    const next = await t.stack.services.sync.run(USER, 'calendar');
    expect(next).toMatchObject({ status: 'ok', result: { created: 0, updated: 0, deleted: 0 } });
    expect(work.all()).toHaveLength(6);
  });

  it('Check Connection checks the chosen calendar and list, and names the setting of one that is gone', async () => {
    await t.api('PATCH', `/api/settings/users/${USER}`, {
      body: { tasks: { microsoftListId: 'AAMkAD-gone' } },
    });
    const check = (await t.api('POST', `/api/users/${USER}/connection/check`)).body as {
      ok: boolean;
      checks: { name: string; ok: boolean; detail?: string }[];
    };
    expect(check.ok).toBe(false);
    expect(check.checks.find((c) => c.name === 'calendar')).toEqual({
      name: 'calendar',
      ok: true,
      detail: 'Calendar "Work" can be written',
    });
    expect(check.checks.find((c) => c.name === 'tasks')).toEqual({
      name: 'tasks',
      ok: false,
      detail:
        'The task list chosen for sync (setting tasks.microsoftListId) is not in the Microsoft account any more: choose another, or clear the setting for the default task list.',
    });
  });

  it('the To Do change notifications follow the chosen list; events need none (/me/events covers every calendar)', async () => {
    const resources = () =>
      t.stack.microsoft.subscriptions
        .all()
        .map((s) => s.resource)
        .sort();
    const groceries = t.stack.microsoft.todoLists(MEGAN)[1]!.listId;
    await t.api('PATCH', `/api/settings/users/${USER}`, { body: { tasks: { microsoftListId: groceries } } });
    expect(await t.stack.services.subscriptions.ensure(USER)).toEqual({ calendar: 'kept', tasks: 'created' });
    expect(resources()).toEqual(['/me/events', `/me/todo/lists/${groceries}/tasks`]);
    expect(await t.stack.services.subscriptions.ensure(USER)).toEqual({ calendar: 'kept', tasks: 'kept' });

    await t.api('PATCH', `/api/settings/users/${USER}`, { body: { tasks: { microsoftListId: null } } });
    expect(await t.stack.services.subscriptions.ensure(USER)).toEqual({ calendar: 'kept', tasks: 'created' });
    expect(resources()).toEqual([
      '/me/events',
      `/me/todo/lists/${t.stack.microsoft.todo(MEGAN).listId}/tasks`,
    ]);
  });
});
