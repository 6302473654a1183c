import { trustInThisProcess } from '../../../dev/microsoft/certificate';
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

  const { api, at, series, instances, localStarts } = graphCalendarApi(
    () => sim.graphUrl,
    () => token,
  );

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
});
