import { USER, ev, create, upserts, useGraphCalendar } from '../../../support/graph-calendar-side';

describe('Microsoft calendar side against the Graph simulator', () => {
  const t = useGraphCalendar();
  const { store, side } = t;
  const at = (dateTime: string, timeZone = 'UTC') => ({ dateTime, timeZone });

  it('marks invitations read-only, copies someone else’s meeting without attendees, and sends no mail', async () => {
    const s = side();
    const invitation = store().receiveInvitation(
      {
        subject: 'their meeting',
        start: at('2026-12-03T10:00:00'),
        end: at('2026-12-03T11:00:00'),
        attendees: [{ type: 'required', emailAddress: { address: USER, name: 'Megan' } }],
      },
      { name: 'Boss', address: 'boss@fabrikam.example' },
    );
    const copy = ev({
      title: 'from oro',
      organizer: { email: 'lead@oro.example', name: 'Lead' },
      attendees: [
        { email: 'a@contoso.example', name: 'A', type: 'required' },
        { email: 'b@contoso.example', name: 'B', type: 'optional' },
      ],
    });
    const [created] = await s.write([create(copy, 'V-1')]);
    const id = created!.ok ? created!.id : '';
    expect(store().get(id)!.attendees).toEqual([]);

    const read = await s.read(undefined, new Set([id]));
    const items = new Map(upserts(read.changes).map((u) => [u.id, u]));
    expect(items.get(invitation.id)).toMatchObject({
      readOnly: expect.stringContaining('Boss') as unknown,
      fields: { organizer: { email: 'boss@fabrikam.example', name: 'Boss' } },
    });
    expect(items.get(id)).toMatchObject({ fields: copy });
    expect(items.get(id)!.readOnly).toBeUndefined();

    const more = {
      ...copy,
      title: 'from oro (moved)',
      start: '2026-12-01T11:00:00Z',
      end: '2026-12-01T12:00:00Z',
      attendees: [...copy.attendees, { email: 'c@contoso.example', name: 'C', type: 'required' as const }],
    };
    const [updated] = await s.write([
      {
        op: 'update',
        side: 'microsoft',
        linkId: 'V-1',
        id,
        fields: more,
        changed: ['title', 'start', 'end', 'attendees'],
      },
    ]);
    expect(updated).toMatchObject({ ok: true });
    expect(store().get(id)!.attendees).toEqual([]);
    const after = await s.read(read.cursor, new Set([id]));
    expect(upserts(after.changes).map((u) => u.fields)).toEqual([more]);
    await s.write([{ op: 'delete', side: 'microsoft', linkId: 'V-1', id }]);
    expect(store().get(id)).toBeUndefined();
    expect(store().messages()).toEqual([]);
  });

  it('sends only the mail the user caused: invitations for their own meeting, nothing for a reminder change', async () => {
    const s = side();
    const meeting = ev({
      title: 'kick-off',
      start: '2026-12-14T09:00:00Z',
      end: '2026-12-14T10:00:00Z',
      attendees: [{ email: 'a@contoso.example', name: 'A', type: 'required' }],
      recurrence: {
        pattern: 'weekly',
        interval: 1,
        daysOfWeek: ['monday'],
        start: '2026-12-14',
        end: { type: 'count', count: 4 },
        timeZone: 'UTC',
      },
    });
    const [created] = await s.write([create(meeting, 'M-1')]);
    const id = created!.ok ? created!.id : '';
    expect(
      store()
        .messages()
        .map((m) => m.kind),
    ).toEqual(['invitation']);
    store().resetMessages();
    await s.write([
      {
        op: 'update',
        side: 'microsoft',
        linkId: 'M-1',
        id,
        fields: { ...meeting, reminderMinutes: 30 },
        changed: ['reminderMinutes'],
      },
    ]);
    expect(store().messages()).toEqual([]);
    // The user cancelled one occurrence in Oro: that cancellation is theirs.
    await s.write([
      {
        op: 'update',
        side: 'microsoft',
        linkId: 'M-1',
        id,
        fields: {
          ...meeting,
          reminderMinutes: 30,
          exceptions: [{ originalStart: '2026-12-21T09:00:00Z', cancelled: true }],
        },
        changed: ['exceptions'],
      },
    ]);
    expect(
      store()
        .messages()
        .map((m) => m.kind),
    ).toEqual(['cancellation']);
  });
});
