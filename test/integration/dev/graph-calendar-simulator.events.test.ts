import { trustInThisProcess } from '../../../dev/microsoft/certificate';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../../dev/microsoft/simulator';
import { type Answer, USER, graphCalendarApi } from '../../support/graph-simulator-api';

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

  const { api, at, series, instances } = graphCalendarApi(
    () => sim.graphUrl,
    () => token,
  );

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
});
