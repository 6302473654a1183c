import { trustInThisProcess } from '../../../dev/microsoft/certificate';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../../dev/microsoft/simulator';
import { createGraphClient } from '../../../shared/microsoft/graph-client';
import {
  describeCalendar,
  describeTaskList,
  listCalendars,
  listTaskLists,
} from '../../../shared/microsoft/folders';

const USER = 'adele.vance@contoso.example';

interface Answer {
  id?: string;
  name?: string;
  displayName?: string;
  subject?: string;
  isDefaultCalendar?: boolean;
  wellknownListName?: string;
  value: { id: string; subject?: string; title?: string; name?: string; displayName?: string }[];
  '@odata.deltaLink'?: string;
  error?: { code: string };
}

/**
 * Several calendars and To Do lists in one mailbox, as Graph v1.0 serves them ("List
 * calendars", "Create calendar", calendarView/delta of one calendar; "List lists",
 * "Create todoTaskList"), and the adapter that lists them for the settings screen.
 */
describe('Graph simulator: several calendars and To Do lists', () => {
  let sim: MicrosoftSimulator;
  let token: string;

  beforeAll(async () => {
    sim = await startMicrosoftSimulator();
    trustInThisProcess(sim.certificate);
    token = await sim.graphToken(USER);
  });
  afterAll(() => sim.close());

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(path.startsWith('https:') ? path : `${sim.graphUrl}/v1.0${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Answer };
  };
  const at = (day: number, hour: number) => ({
    dateTime: `2030-03-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00`,
    timeZone: 'UTC',
  });
  const window = 'startDateTime=2030-03-01T00:00:00Z&endDateTime=2030-04-01T00:00:00Z';

  it('creates a calendar that is not the default, lists both, and keeps each calendar view to its own events', async () => {
    const created = await api('POST', '/me/calendars', { name: 'Volunteering' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Volunteering', isDefaultCalendar: false });
    const id = created.body.id!;
    expect((await api('POST', '/me/calendars', { name: 'Volunteering' })).status).toBe(409);

    const listed = await api('GET', '/me/calendars');
    expect(listed.body.value.map((c) => [c.name, (c as Answer).isDefaultCalendar])).toEqual([
      ['Calendar', true],
      ['Volunteering', false],
    ]);

    // POST /me/events goes to the default calendar; POST /me/calendars/{id}/events to that one.
    await api('POST', '/me/events', { subject: 'Standup', start: at(3, 9), end: at(3, 10) });
    const beach = await api('POST', `/me/calendars/${id}/events`, {
      subject: 'Beach clean-up',
      start: at(4, 9),
      end: at(4, 12),
    });
    expect(beach.status).toBe(201);
    const mine = await api('GET', `/me/calendars/${id}/calendarView/delta?${window}`);
    expect(mine.body.value.map((e) => e.subject)).toEqual(['Beach clean-up']);
    expect(mine.body['@odata.deltaLink']).toContain(`/me/calendars/${id}/calendarView/delta`);
    const main = await api('GET', `/me/calendarView/delta?${window}`);
    expect(main.body.value.map((e) => e.subject)).toEqual(['Standup']);

    // An event is reached by its id whatever calendar holds it (event ids are unique in a mailbox).
    const patched = await api('PATCH', `/me/events/${beach.body.id!}`, {
      subject: 'Beach clean-up (rain date)',
    });
    expect(patched.body.subject).toBe('Beach clean-up (rain date)');
    const next = await api('GET', mine.body['@odata.deltaLink']!);
    expect(next.body.value.map((e) => e.subject)).toEqual(['Beach clean-up (rain date)']);
    expect((await api('GET', `/me/calendars/no-such-calendar/calendarView/delta?${window}`)).status).toBe(
      404,
    );
  });

  it('creates a To Do list beside the default one, each with its own tasks', async () => {
    const created = await api('POST', '/me/todo/lists', { displayName: 'Errands' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ displayName: 'Errands', wellknownListName: 'none' });
    const lists = await api('GET', '/me/todo/lists');
    expect(lists.body.value.map((l) => [l.displayName, (l as Answer).wellknownListName])).toEqual([
      ['Tasks', 'defaultList'],
      ['Errands', 'none'],
    ]);
    await api('POST', `/me/todo/lists/${created.body.id!}/tasks`, { title: 'Buy stamps' });
    const errands = await api('GET', `/me/todo/lists/${created.body.id!}/tasks`);
    expect(errands.body.value.map((t) => t.title)).toEqual(['Buy stamps']);
    const defaults = await api('GET', `/me/todo/lists/${sim.todo(USER).listId}/tasks`);
    expect(defaults.body.value.map((t) => t.title)).not.toContain('Buy stamps');
  });

  it('the adapter lists them for the settings screen, the default marked, and names the chosen or default one', async () => {
    const client = createGraphClient(sim.graphUrl, () => Promise.resolve(token));
    expect((await listCalendars(client)).map((c) => [c.name, c.isDefault, c.canEdit])).toEqual([
      ['Calendar', true, true],
      ['Volunteering', false, true],
    ]);
    expect((await listTaskLists(client)).map((l) => [l.name, l.isDefault])).toEqual([
      ['Tasks', true],
      ['Errands', false],
    ]);
    const volunteering = sim.calendars(USER)[1]!.info.id;
    expect(await describeCalendar(client, undefined)).toEqual({
      id: sim.calendar(USER).info.id,
      name: 'Calendar',
    });
    expect(await describeCalendar(client, volunteering)).toEqual({ id: volunteering, name: 'Volunteering' });
    expect(await describeTaskList(client, undefined)).toEqual({ id: sim.todo(USER).listId, name: 'Tasks' });
    await expect(describeCalendar(client, 'gone-calendar')).rejects.toThrow(
      'The calendar chosen for sync (setting calendar.microsoftCalendarId) is not in the Microsoft account any more',
    );
  });
});
