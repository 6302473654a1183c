import { trustInThisProcess } from '../../../dev/microsoft/certificate';
import type { CalendarChange } from '../../../dev/microsoft/calendar';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../../dev/microsoft/simulator';
import { USER, graphCalendarApi } from '../../support/graph-simulator-api';

/** The calendar part of the Graph simulator, over real HTTPS, in Graph's wire format. */
describe('Graph simulator: calendar', () => {
  let sim: MicrosoftSimulator;
  let token: string;

  beforeAll(async () => {
    sim = await startMicrosoftSimulator();
    trustInThisProcess(sim.certificate);
    token = await sim.graphToken(USER);
  });
  afterAll(() => sim.close());

  const { api, at, instances } = graphCalendarApi(
    () => sim.graphUrl,
    () => token,
  );

  it('counts the mail Exchange would send: invitations, updates, cancellations', async () => {
    const store = sim.calendar(USER);
    store.resetMessages();
    const changes: CalendarChange[] = [];
    const stop = store.onChange((c) => changes.push(c));
    const everywhere: CalendarChange[] = [];
    const stopAll = sim.onCalendarChange((c) => everywhere.push(c));
    const solo = await api('POST', '/me/events', {
      subject: 'focus',
      start: at('2026-12-21T10:00:00'),
      end: at('2026-12-21T11:00:00'),
    });
    await api('PATCH', `/me/events/${solo.body.id}`, { subject: 'focus time' });
    await api('DELETE', `/me/events/${solo.body.id}`);
    expect(store.messages()).toEqual([]);

    const attendee = (address: string) => ({ type: 'required', emailAddress: { address, name: address } });
    const meeting = await api('POST', '/me/events', {
      subject: 'review',
      start: at('2026-12-22T10:00:00'),
      end: at('2026-12-22T11:00:00'),
      attendees: [attendee('a@contoso.example')],
      recurrence: {
        pattern: { type: 'daily', interval: 1 },
        range: { type: 'numbered', startDate: '2026-12-22', numberOfOccurrences: 3 },
      },
    });
    await api('PATCH', `/me/events/${meeting.body.id}`, { reminderMinutesBeforeStart: 5 });
    await api('PATCH', `/me/events/${meeting.body.id}`, { location: { displayName: 'Room 1' } });
    await api('PATCH', `/me/events/${meeting.body.id}`, {
      attendees: [attendee('a@contoso.example'), attendee('b@contoso.example')],
    });
    const [first] = await instances(meeting.body.id, '2026-12-01T00:00:00Z', '2027-01-31T00:00:00Z');
    await api('DELETE', `/me/events/${first!.id}`);
    await api('DELETE', `/me/events/${meeting.body.id}`);
    expect(store.messages().map((m) => [m.kind, m.recipients])).toEqual([
      ['invitation', ['a@contoso.example']],
      ['update', ['a@contoso.example']],
      ['invitation', ['b@contoso.example']],
      ['cancellation', ['a@contoso.example', 'b@contoso.example']],
      ['cancellation', ['a@contoso.example', 'b@contoso.example']],
    ]);

    store.resetMessages();
    const invitation = store.receiveInvitation(
      {
        subject: 'their meeting',
        start: at('2026-12-23T10:00:00'),
        end: at('2026-12-23T11:00:00'),
        attendees: [attendee(USER)],
      },
      { name: 'Outside Org', address: 'boss@fabrikam.example' },
    );
    expect((await api('GET', `/me/events/${invitation.id}`)).body).toMatchObject({
      isOrganizer: false,
      organizer: { emailAddress: { address: 'boss@fabrikam.example' } },
    });
    await api('DELETE', `/me/events/${invitation.id}`);
    expect(store.messages()).toEqual([]);

    stop();
    stopAll();
    expect(everywhere).toEqual(changes);
    const adele = sim.accounts.find((a) => a.username === USER)!;
    expect(new Set(everywhere.map((c) => c.accountOid))).toEqual(new Set([adele.oid]));
    expect(changes.slice(0, 3)).toEqual([
      {
        accountOid: expect.any(String) as unknown,
        resource: 'events',
        changeType: 'created',
        id: solo.body.id,
      },
      {
        accountOid: expect.any(String) as unknown,
        resource: 'events',
        changeType: 'updated',
        id: solo.body.id,
      },
      {
        accountOid: expect.any(String) as unknown,
        resource: 'events',
        changeType: 'deleted',
        id: solo.body.id,
      },
    ]);
  });
});
