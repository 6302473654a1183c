import { startOroSimulator, type OroSimulator } from '../../../../dev/oro/simulator';
import { CalendarNotKnown, checkCalendar } from '../../../../shared/oro/calendar-lookup';
import { OroCalendarSide } from '../../../../shared/oro/calendar-side';
import { OroClient, OroTokenCache } from '../../../../shared/oro/client';

/**
 * Which calendar is the user's, on a stock Oro 6.1 (no `Calendar` in its JSON:API,
 * `calendars/default` answering the API user's own) and on an instance that exposes
 * calendars: the setting decides, discovery only where it works, and a readable refusal
 * otherwise.
 */
describe("Oro calendar side: finding the user's calendar", () => {
  const clock = Date.parse('2026-05-01T10:00:00Z');
  const tokens = new OroTokenCache();
  let stock: OroSimulator;
  let open: OroSimulator;
  const client = (oro: OroSimulator) =>
    new OroClient({ baseUrl: oro.url, clientId: 'sync', clientSecret: 'pw' }, tokens, {
      sleep: () => Promise.resolve(),
    });
  const side = (oro: OroSimulator, userId: string, calendarId?: number) =>
    new OroCalendarSide(client(oro), userId, {
      now: () => new Date(clock),
      window: { pastDays: 30, futureDays: 365 },
      calendarId,
    });

  beforeAll(async () => {
    stock = await startOroSimulator({ clock: () => clock });
    open = await startOroSimulator({ clock: () => clock, calendarsJsonApi: true });
    stock.registerClient('sync', 'pw');
    open.registerClient('sync', 'pw');
  });
  afterAll(async () => {
    await stock.close();
    await open.close();
  });

  it('reads the calendar named by the setting on a stock Oro, not the API user’s own', async () => {
    const mine = stock.calendar.createEvent('21', {
      title: 'mine',
      start: '2026-05-04T09:00:00Z',
      end: '2026-05-04T10:00:00Z',
    });
    stock.calendar.createEvent('1', {
      title: "the API user's",
      start: '2026-05-04T09:00:00Z',
      end: '2026-05-04T10:00:00Z',
    });
    const read = await side(stock, '21', stock.calendar.defaultCalendar('21')).read(undefined, new Set());
    expect(read.changes).toEqual([
      { type: 'upsert', item: expect.objectContaining({ id: String(mine.id) }) as unknown },
    ]);
  });

  it('without the setting on a stock Oro, fails once with a reason naming the setting, no retry', async () => {
    stock.calendar.defaultCalendar('22');
    stock.resetCounts();
    const s = side(stock, '22');
    const error = await s.read(undefined, new Set()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CalendarNotKnown);
    expect(error).toMatchObject({ retryable: false });
    expect((error as Error).message).toContain('calendar.oroCalendarId');
    expect((error as Error).message).toContain('"22"');
    // One JSON:API lookup (404 on stock Oro), nothing else.
    expect(stock.requestCounts()).toEqual({ 'GET /api/calendars': 1 });
  });

  it('finds the calendar by owner where an instance exposes calendars over JSON:API', async () => {
    const ev = open.calendar.createEvent('23', {
      title: 'found',
      start: '2026-05-04T09:00:00Z',
      end: '2026-05-04T10:00:00Z',
    });
    open.calendar.defaultCalendar('24');
    const read = await side(open, '23').read(undefined, new Set());
    expect(read.changes).toEqual([
      { type: 'upsert', item: expect.objectContaining({ id: String(ev.id) }) as unknown },
    ]);
    expect(JSON.parse(read.cursor)).toMatchObject({ calendar: open.calendar.defaultCalendar('23') });
  });

  it('reads everything again when the setting names another calendar than the cursor’s', async () => {
    const first = stock.calendar.createEvent('25', {
      title: 'old calendar',
      start: '2026-05-04T09:00:00Z',
      end: '2026-05-04T10:00:00Z',
    });
    const oldRead = await side(stock, '25', stock.calendar.defaultCalendar('25')).read(undefined, new Set());
    stock.calendar.createEvent('26', {
      title: 'new calendar',
      start: '2026-05-04T09:00:00Z',
      end: '2026-05-04T10:00:00Z',
    });
    const moved = await side(stock, '25', stock.calendar.defaultCalendar('26')).read(
      oldRead.cursor,
      new Set([String(first.id)]),
    );
    expect(moved.full).toBe(true);
    expect(moved.changes).toEqual(
      expect.arrayContaining([
        { type: 'delete', id: String(first.id) },
        {
          type: 'upsert',
          item: expect.objectContaining({
            fields: expect.objectContaining({ title: 'new calendar' }) as unknown,
          }) as unknown,
        },
      ]),
    );
  });

  it('Check Connection: one listing says whether the calendar is readable, or why not', async () => {
    const calendar = stock.calendar.defaultCalendar('21');
    stock.resetCounts();
    await expect(checkCalendar(client(stock), '21', calendar)).resolves.toEqual({
      ok: true,
      detail: `Oro calendar ${calendar} can be read`,
    });
    expect(stock.requestCounts()).toEqual({ 'GET /api/rest/latest/calendarevents': 1 });
    await expect(checkCalendar(client(stock), '27', undefined)).resolves.toEqual({
      ok: false,
      detail: expect.stringContaining('set calendar.oroCalendarId in the settings of user "27"') as unknown,
    });
    await expect(checkCalendar(client(stock), '27', 987_654)).resolves.toEqual({
      ok: true,
      detail: expect.stringContaining('no events yet') as unknown,
    });
    stock.failNext('error-500');
    await expect(checkCalendar(client(stock), '21', calendar)).resolves.toEqual({
      ok: false,
      detail: expect.stringContaining('Oro answered 500') as unknown,
    });
  });
});
