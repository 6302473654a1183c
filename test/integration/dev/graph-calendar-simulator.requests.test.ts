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

  const { api, at } = graphCalendarApi(
    () => sim.graphUrl,
    () => token,
  );

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
