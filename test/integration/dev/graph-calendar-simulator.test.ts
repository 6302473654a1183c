import { trustInThisProcess } from '../../../dev/microsoft/certificate';
import type { CalendarChange } from '../../../dev/microsoft/calendar';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../../dev/microsoft/simulator';

const USER = 'adele.vance@contoso.example';

/** Graph's event JSON as far as these tests read it. */
interface Ev {
  id: string;
  type?: string;
  subject?: string;
  start: { dateTime: string; timeZone: string };
  originalStart?: string;
  recurrence?: unknown;
  cancelledOccurrences?: string[];
  exceptionOccurrences?: Ev[];
  singleValueExtendedProperties?: unknown;
  seriesMasterId?: string;
  sensitivity?: string;
  showAs?: string;
  '@removed'?: unknown;
}
interface Answer extends Ev {
  value: Ev[];
  responses: { status: number; headers: Record<string, string>; body: Ev }[];
  error: { code: string; message: string };
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

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

  const api = async (method: string, path: string, body?: unknown, prefer?: string) => {
    const res = await fetch(path.startsWith('https:') ? path : `${sim.graphUrl}/v1.0${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        ...(prefer ? { Prefer: prefer } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Answer };
  };
  const at = (dateTime: string, timeZone = 'UTC') => ({ dateTime, timeZone });
  const series = (subject: string, start: string, end: string, timeZone: string, recurrence: unknown) =>
    api('POST', '/me/events', { subject, start: at(start, timeZone), end: at(end, timeZone), recurrence });
  const instances = async (id: string, from: string, to: string, prefer?: string) =>
    (
      await api(
        'GET',
        `/me/events/${id}/instances?startDateTime=${from}&endDateTime=${to}`,
        undefined,
        prefer,
      )
    ).body.value;
  const localStarts = (list: Ev[]) => list.map((i) => i.start.dateTime.slice(0, 16));

  describe('series expansion, each pattern kind, in the series zone', () => {
    it('daily every 2 days, 5 occurrences', async () => {
      const s = await series('daily', '2026-12-01T09:00:00', '2026-12-01T09:30:00', 'UTC', {
        pattern: { type: 'daily', interval: 2 },
        range: { type: 'numbered', startDate: '2026-12-01', numberOfOccurrences: 5 },
      });
      expect(s.status).toBe(201);
      expect(s.body.type).toBe('seriesMaster');
      const list = await instances(s.body.id, '2026-11-01T00:00:00Z', '2027-02-01T00:00:00Z');
      expect(localStarts(list)).toEqual([
        '2026-12-01T09:00',
        '2026-12-03T09:00',
        '2026-12-05T09:00',
        '2026-12-07T09:00',
        '2026-12-09T09:00',
      ]);
      expect(list[0]).toMatchObject({
        type: 'occurrence',
        seriesMasterId: s.body.id,
        originalStart: '2026-12-01T09:00:00Z',
        start: { dateTime: '2026-12-01T09:00:00.0000000', timeZone: 'UTC' },
      });
    });

    it('weekly on Monday and Wednesday keeps 09:00 Berlin time across the March DST change', async () => {
      const s = await series(
        'weekly',
        '2027-03-22T09:00:00',
        '2027-03-22T10:00:00',
        'W. Europe Standard Time',
        {
          pattern: {
            type: 'weekly',
            interval: 1,
            daysOfWeek: ['Monday', 'Wednesday'],
            firstDayOfWeek: 'sunday',
          },
          range: {
            type: 'endDate',
            startDate: '2027-03-22',
            endDate: '2027-03-31',
            recurrenceTimeZone: 'W. Europe Standard Time',
          },
        },
      );
      expect(s.status).toBe(201);
      const list = await instances(s.body.id, '2027-03-01T00:00:00Z', '2027-05-01T00:00:00Z');
      // 08:00Z before the change (CET), 07:00Z after it (CEST): 09:00 local throughout.
      expect(list.map((i) => i.originalStart)).toEqual([
        '2027-03-22T08:00:00Z',
        '2027-03-24T08:00:00Z',
        '2027-03-29T07:00:00Z',
        '2027-03-31T07:00:00Z',
      ]);
      const berlin = await instances(
        s.body.id,
        '2027-03-01T00:00:00Z',
        '2027-05-01T00:00:00Z',
        'outlook.timezone="Europe/Berlin"',
      );
      expect(localStarts(berlin).every((t) => t.endsWith('T09:00'))).toBe(true);
      expect(berlin[0]!.start.timeZone).toBe('Europe/Berlin');
    });

    it('absolute monthly on the 31st skips shorter months', async () => {
      const s = await series('monthly', '2027-01-31T12:00:00', '2027-01-31T13:00:00', 'UTC', {
        pattern: { type: 'absoluteMonthly', interval: 1, dayOfMonth: 31 },
        range: { type: 'numbered', startDate: '2027-01-31', numberOfOccurrences: 3 },
      });
      const list = await instances(s.body.id, '2027-01-01T00:00:00Z', '2028-01-01T00:00:00Z');
      expect(localStarts(list)).toEqual(['2027-01-31T12:00', '2027-03-31T12:00', '2027-05-31T12:00']);
    });

    it('relative monthly on the last Friday, every 2 months', async () => {
      const s = await series('monthnth', '2027-01-29T15:00:00', '2027-01-29T16:00:00', 'UTC', {
        pattern: { type: 'relativeMonthly', interval: 2, daysOfWeek: ['friday'], index: 'last' },
        range: { type: 'endDate', startDate: '2027-01-01', endDate: '2027-07-31' },
      });
      const list = await instances(s.body.id, '2027-01-01T00:00:00Z', '2028-01-01T00:00:00Z');
      expect(localStarts(list)).toEqual([
        '2027-01-29T15:00',
        '2027-03-26T15:00',
        '2027-05-28T15:00',
        '2027-07-30T15:00',
      ]);
    });

    it('absolute yearly and relative yearly, with no end', async () => {
      const y = await series('yearly', '2027-03-15T08:00:00', '2027-03-15T09:00:00', 'UTC', {
        pattern: { type: 'absoluteYearly', interval: 1, month: 3, dayOfMonth: 15 },
        range: { type: 'noEnd', startDate: '2027-03-15' },
      });
      expect(localStarts(await instances(y.body.id, '2027-01-01T00:00:00Z', '2030-01-01T00:00:00Z'))).toEqual(
        ['2027-03-15T08:00', '2028-03-15T08:00', '2029-03-15T08:00'],
      );
      const n = await series('yearnth', '2027-09-06T08:00:00', '2027-09-06T09:00:00', 'UTC', {
        pattern: { type: 'relativeYearly', interval: 1, month: 9, daysOfWeek: ['monday'], index: 'first' },
        range: { type: 'noEnd', startDate: '2027-09-01' },
      });
      expect(localStarts(await instances(n.body.id, '2027-01-01T00:00:00Z', '2030-01-01T00:00:00Z'))).toEqual(
        ['2027-09-06T08:00', '2028-09-04T08:00', '2029-09-03T08:00'],
      );
      // Responses carry Graph's filler fields and lower-case days.
      const master = await api('GET', `/me/events/${n.body.id}`);
      expect(master.body.recurrence).toEqual({
        pattern: {
          type: 'relativeYearly',
          interval: 1,
          month: 9,
          dayOfMonth: 0,
          daysOfWeek: ['monday'],
          firstDayOfWeek: 'sunday',
          index: 'first',
        },
        range: {
          type: 'noEnd',
          startDate: '2027-09-01',
          endDate: '0001-01-01',
          recurrenceTimeZone: '',
          numberOfOccurrences: 0,
        },
      });
      expect(master.body.start.dateTime).toBe('2027-09-06T08:00:00.0000000');
    });
  });

  it('makes exceptions of patched occurrences and lists deleted ones as cancelled', async () => {
    const s = await series('standup', '2027-02-01T09:00:00', '2027-02-01T09:15:00', 'Pacific Standard Time', {
      pattern: { type: 'daily', interval: 1 },
      range: { type: 'numbered', startDate: '2027-02-01', numberOfOccurrences: 4 },
    });
    const [, second, third] = await instances(s.body.id, '2027-01-01T00:00:00Z', '2027-03-01T00:00:00Z');
    const moved = await api('PATCH', `/me/events/${second!.id}`, {
      subject: 'standup (late)',
      start: at('2027-02-02T11:00:00', 'Pacific Standard Time'),
      end: at('2027-02-02T11:15:00', 'Pacific Standard Time'),
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({
      type: 'exception',
      id: second!.id,
      originalStart: '2027-02-02T17:00:00Z',
    });
    expect((await api('DELETE', `/me/events/${third!.id}`)).status).toBe(204);
    expect((await api('DELETE', `/me/events/${third!.id}`)).status).toBe(404);

    const master = await api(
      'GET',
      `/me/events/${s.body.id}?$select=subject,cancelledOccurrences&$expand=exceptionOccurrences`,
    );
    expect(master.body.cancelledOccurrences).toEqual([`OID.${s.body.id}.2027-02-03`]);
    expect(master.body.exceptionOccurrences).toEqual([
      expect.objectContaining({
        id: second!.id,
        subject: 'standup (late)',
        originalStart: '2027-02-02T17:00:00Z',
        start: { dateTime: '2027-02-02T19:00:00.0000000', timeZone: 'UTC' },
      }),
    ]);
    // $select keeps only what was asked (and id, etag).
    expect(master.body.start).toBeUndefined();
    const list = await instances(s.body.id, '2027-01-01T00:00:00Z', '2027-03-01T00:00:00Z');
    expect(list.map((i) => i.type)).toEqual(['occurrence', 'exception', 'occurrence']);

    // Deleting the series takes every occurrence with it; delta reports each as removed.
    const window =
      '/me/calendarView/delta?startDateTime=2027-01-15T00:00:00Z&endDateTime=2027-02-15T00:00:00Z';
    const before = await api('GET', window);
    expect(before.body.value.filter((i) => i.seriesMasterId === s.body.id).map((i) => i.type)).toEqual([
      'occurrence',
      'exception',
      'occurrence',
    ]);
    expect((await api('DELETE', `/me/events/${s.body.id}`)).status).toBe(204);
    expect((await api('GET', `/me/events/${second!.id}`)).status).toBe(404);
    const after = await api('GET', before.body['@odata.deltaLink']!);
    expect(after.body.value.map((i) => i.id).sort()).toEqual(list.map((i) => i.id).sort());
    expect(after.body.value.every((i) => i['@removed'])).toBe(true);
  });

  it('pages calendarView/delta, then reports only changes and removals; a lost token is 410', async () => {
    const store = sim.calendar(USER);
    store.expireDeltaTokens();
    const before = store.all().length;
    for (let i = 0; i < 23; i++) {
      await api('POST', '/me/events', {
        subject: `e${i}`,
        start: at(`2028-01-10T${String(8 + (i % 10)).padStart(2, '0')}:00:00`),
        end: at(`2028-01-10T${String(8 + (i % 10)).padStart(2, '0')}:30:00`),
      });
    }
    const round = async (first: string) => {
      const pages: Answer[] = [];
      for (let link: string | undefined = first; link;) {
        const page = await api('GET', link, undefined, 'odata.maxpagesize=10');
        expect(page.status).toBe(200);
        pages.push(page.body);
        link = page.body['@odata.nextLink'];
      }
      return {
        pages,
        items: pages.flatMap((p) => p.value),
        deltaLink: pages.at(-1)!['@odata.deltaLink']!,
      };
    };
    const first = await round(
      '/me/calendarView/delta?startDateTime=2028-01-01T00:00:00Z&endDateTime=2028-01-31T00:00:00Z',
    );
    expect(first.items).toHaveLength(23);
    expect(first.pages.map((p) => p.value.length)).toEqual([10, 10, 3]);
    expect(first.deltaLink).toContain('$deltatoken=');
    expect(store.all().length).toBe(before + 23);

    const idle = await round(first.deltaLink);
    expect(idle.items).toEqual([]);

    const [a, b, c] = first.items.filter((i) => /^e\d+$/.test(i.subject ?? ''));
    await api('PATCH', `/me/events/${a!.id}`, { subject: 'renamed' });
    await api('DELETE', `/me/events/${b!.id}`);
    await api('PATCH', `/me/events/${c!.id}`, {
      start: at('2027-06-01T08:00:00'),
      end: at('2027-06-01T09:00:00'),
    });
    const next = await round(idle.deltaLink);
    expect(next.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: a!.id, subject: 'renamed', type: 'singleInstance' }),
        { '@odata.type': '#microsoft.graph.event', id: b!.id, '@removed': { reason: 'deleted' } },
        { '@odata.type': '#microsoft.graph.event', id: c!.id, '@removed': { reason: 'deleted' } },
      ]),
    );
    expect(next.items).toHaveLength(3);

    store.expireDeltaTokens();
    const lost = await api('GET', next.deltaLink);
    expect(lost.status).toBe(410);
    expect(lost.body.error.code).toBe('syncStateNotFound');
  });

  it('stores sensitivity and showAs as Graph does: normal and busy by default, each PATCHable, occurrences show their series', async () => {
    // learn.microsoft.com/graph/api/resources/event (v1.0): sensitivity normal | personal |
    // private | confidential; showAs free | tentative | busy | oof | workingElsewhere | unknown.
    const plain = await api('POST', '/me/events', {
      subject: 'plain',
      start: at('2026-12-21T10:00:00'),
      end: at('2026-12-21T11:00:00'),
    });
    expect(plain.body).toMatchObject({ sensitivity: 'normal', showAs: 'busy' });
    const secret = await series('secret', '2026-12-22T08:00:00', '2026-12-22T09:00:00', 'UTC', {
      pattern: { type: 'daily', interval: 1 },
      range: { type: 'numbered', startDate: '2026-12-22', numberOfOccurrences: 2 },
    });
    const patched = await api('PATCH', `/me/events/${secret.body.id}`, {
      sensitivity: 'private',
      showAs: 'oof',
    });
    expect(patched.body).toMatchObject({ sensitivity: 'private', showAs: 'oof' });
    const selected = await api('GET', `/me/events/${secret.body.id}?$select=subject,sensitivity,showAs`);
    expect(selected.body).toMatchObject({ subject: 'secret', sensitivity: 'private', showAs: 'oof' });
    const occurrences = await instances(secret.body.id, '2026-12-22T00:00:00Z', '2026-12-24T00:00:00Z');
    expect(occurrences.map((o) => [o.sensitivity, o.showAs])).toEqual([
      ['private', 'oof'],
      ['private', 'oof'],
    ]);
    for (const bad of [{ sensitivity: 'secret' }, { showAs: 'away' }]) {
      const refused = await api('PATCH', `/me/events/${plain.body.id}`, bad);
      expect(refused.status).toBe(400);
    }
    expect((await api('GET', `/me/events/${plain.body.id}`)).body).toMatchObject({
      sensitivity: 'normal',
      showAs: 'busy',
    });
  });

  it('returns the first event for a retried transactionId, and keeps extended properties', async () => {
    const prop = 'String {6f3e2b1c-8d4a-4e5f-9b7c-2a1d0e3f4c5b} Name Test';
    const body = {
      subject: 'once',
      start: at('2026-12-20T10:00:00'),
      end: at('2026-12-20T11:00:00'),
      transactionId: '5e1c6b2a-0000-4000-8000-000000000001',
      singleValueExtendedProperties: [{ id: prop, value: 'L-1' }],
    };
    const one = await api('POST', '/me/events', body);
    const two = await api('POST', '/me/events', body);
    expect(two.body.id).toBe(one.body.id);
    expect(
      sim
        .calendar(USER)
        .all()
        .filter((e) => e.subject === 'once'),
    ).toHaveLength(1);
    const plain = await api('GET', `/me/events/${one.body.id}`);
    expect(plain.body.singleValueExtendedProperties).toBeUndefined();
    const expanded = await api(
      'GET',
      `/me/events/${one.body.id}?$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${prop}')`)}`,
    );
    expect(expanded.body.singleValueExtendedProperties).toEqual([{ id: prop, value: 'L-1' }]);
  });

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

  it('serves the calendar inside $batch, honouring each step Prefer header and throttling per step', async () => {
    const created = await api('POST', '/me/events', {
      subject: 'batched',
      start: at('2026-12-24T10:00:00'),
      end: at('2026-12-24T11:00:00'),
    });
    sim.throttleNext(1, 0.25);
    const res = await api('POST', '/$batch', {
      requests: [
        { id: '1', method: 'GET', url: `/me/events/${created.body.id}` },
        {
          id: '2',
          method: 'GET',
          url: `/me/events/${created.body.id}`,
          headers: { Prefer: 'outlook.timezone="Tokyo Standard Time"' },
        },
      ],
    });
    const [one, two] = res.body.responses;
    expect(one).toMatchObject({ status: 429, headers: { 'Retry-After': '0.25' } });
    expect(two!.body.start).toEqual({
      dateTime: '2026-12-24T19:00:00.0000000',
      timeZone: 'Tokyo Standard Time',
    });
  });

  it('refuses bad input with Graph errors and changes nothing', async () => {
    const count = sim.calendar(USER).all().length;
    const noStart = await api('POST', '/me/events', { subject: 'x' });
    expect(noStart.status).toBe(400);
    expect(noStart.body.error).toMatchObject({
      code: expect.any(String) as unknown,
      message: expect.any(String) as unknown,
    });
    const badZone = await api('POST', '/me/events', {
      subject: 'x',
      start: at('2026-12-01T10:00:00', 'Mars/Olympus'),
      end: at('2026-12-01T11:00:00', 'Mars/Olympus'),
    });
    expect(badZone.status).toBe(400);
    const backwards = await api('POST', '/me/events', {
      subject: 'x',
      start: at('2026-12-01T10:00:00'),
      end: at('2026-12-01T09:00:00'),
    });
    expect(backwards.status).toBe(400);
    expect((await api('GET', '/me/calendarView/delta')).status).toBe(400);
    expect((await api('GET', '/me/calendarView/delta?$deltatoken=nope')).status).toBe(410);
    expect(sim.calendar(USER).all().length).toBe(count);
  });
});
