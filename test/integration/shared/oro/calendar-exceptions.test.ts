import { startOroSimulator, type OroSimulator } from '../../../../dev/oro/simulator';
import { OroCalendarSide } from '../../../../shared/oro/calendar-side';
import { OroClient, OroTokenCache } from '../../../../shared/oro/client';
import type { EventFields } from '../../../../shared/sync/calendar/event-mapping';
import type { Snapshot } from '../../../../shared/sync/model';
import type { ReadResult } from '../../../../shared/sync/ports';

/**
 * A series' exception rows as stock Oro lists them: the `recurringEventId=` listing
 * returns the series itself too (CalendarEventRepository::addRecurringEventFilter), and an
 * exception whose occurrence the pattern no longer has stays and is listed on its own,
 * cancelled ones included (RecurringEventRecurrenceUpdateExceptionTest::
 * testRemoveRecurringEventRecurrenceDoesntClearExceptionsWhenUpdateExceptionIsFalse).
 */
describe('Oro calendar side: exception rows as Oro lists them', () => {
  let oro: OroSimulator;
  let clock = Date.parse('2026-05-01T10:00:00Z');
  const tokens = new OroTokenCache();
  const side = (userId: string) =>
    new OroCalendarSide(
      new OroClient({ baseUrl: oro.url, clientId: 'sync', clientSecret: 'pw' }, tokens, {
        sleep: () => Promise.resolve(),
      }),
      userId,
      {
        now: () => new Date(clock),
        window: { pastDays: 30, futureDays: 365 },
        calendarId: oro.calendar.defaultCalendar(userId),
      },
    );
  const upserts = (r: ReadResult<EventFields>): Snapshot<EventFields>[] =>
    r.changes.flatMap((c) => (c.type === 'upsert' ? [c.item] : []));
  const settle = () => (clock += 60_000);
  const daily = (occurrences: number) => ({
    recurrenceType: 'daily' as const,
    interval: 1,
    startTime: '2026-05-11T07:00:00+00:00',
    endTime: null,
    occurrences,
    timeZone: 'UTC',
  });

  beforeAll(async () => {
    oro = await startOroSimulator({ clock: () => clock });
    oro.registerClient('sync', 'pw');
  });
  afterAll(() => oro.close());

  it('never takes the series row of a recurringEventId listing for one of its exceptions', async () => {
    const series = oro.calendar.createEvent('31', {
      title: 'Standup',
      start: '2026-05-11T07:00:00+00:00',
      end: '2026-05-11T07:15:00+00:00',
      recurrence: daily(5),
    });
    const s = side('31');
    const [read] = upserts(await s.read(undefined, new Set()));
    expect(read?.fields.exceptions).toEqual([]);
    settle();
    // In Outlook, the first occurrence (the series' own start) is cancelled, the second moved.
    const fields: EventFields = {
      ...read!.fields,
      exceptions: [
        { originalStart: '2026-05-11T07:00:00Z', cancelled: true },
        {
          originalStart: '2026-05-12T07:00:00Z',
          cancelled: false,
          title: 'Standup',
          description: read!.fields.description,
          start: '2026-05-12T09:00:00Z',
          end: '2026-05-12T09:15:00Z',
          location: '',
        },
      ],
    };
    const [result] = await s.write([
      {
        op: 'update',
        side: 'oro',
        linkId: series.uid,
        id: String(series.id),
        fields,
        changed: ['exceptions'],
      },
    ]);
    expect(result).toMatchObject({ ok: true });
    // The series row is untouched, and two exception rows hold the changes.
    expect(oro.calendar.event(series.id)).toMatchObject({
      isCancelled: false,
      start: '2026-05-11T07:00:00+00:00',
      recurrence: expect.objectContaining({ occurrences: 5 }) as unknown,
    });
    const rows = oro.calendar.events('31').filter((r) => r.recurringEventId === series.id);
    expect(rows.map((r) => [r.originalStart, r.isCancelled]).sort()).toEqual([
      ['2026-05-11T07:00:00+00:00', true],
      ['2026-05-12T07:00:00+00:00', false],
    ]);
    // A partial read completes the series from the same listing and sees the same two exceptions.
    settle();
    const again = upserts(await s.read(JSON.stringify({ watermark: '2026-05-01T00:00:00Z' }), new Set()));
    expect(again.find((i) => i.id === String(series.id))?.fields.exceptions).toEqual(fields.exceptions);
  });

  it('leaves out an exception whose occurrence the series no longer has; never reads it as live', async () => {
    const series = oro.calendar.createEvent('32', {
      title: 'Review',
      start: '2026-05-11T07:00:00+00:00',
      end: '2026-05-11T08:00:00+00:00',
      recurrence: daily(6),
    });
    oro.calendar.createException(series.id, {
      originalStart: '2026-05-13T07:00:00+00:00',
      isCancelled: true,
    });
    oro.calendar.createException(series.id, {
      originalStart: '2026-05-15T07:00:00+00:00',
      start: '2026-05-15T10:00:00+00:00',
      end: '2026-05-15T11:00:00+00:00',
      title: 'Review (late)',
    });
    const s = side('32');
    const [before] = upserts(await s.read(undefined, new Set()));
    expect(before?.fields.exceptions.map((e) => e.originalStart)).toEqual([
      '2026-05-13T07:00:00Z',
      '2026-05-15T07:00:00Z',
    ]);
    settle();
    // Another API client moves the series to every other day, without updateExceptions: Oro
    // keeps both exception rows, neither on an occurrence any more (11, 13 → 12, 14, …
    // from the 12th).
    oro.calendar.editEvent(
      series.id,
      {
        start: '2026-05-12T07:00:00+00:00',
        end: '2026-05-12T08:00:00+00:00',
        recurrence: { ...daily(3), interval: 2, startTime: '2026-05-12T07:00:00+00:00' },
      },
      { keepExceptions: true },
    );
    // Oro lists the orphans as items of their own, the cancelled one with isCancelled: true.
    const listed = await fetch(
      `${oro.url}/api/rest/latest/calendarevents?calendar=${oro.calendar.defaultCalendar('32')}&start=2026-05-01T00:00:00Z&end=2026-06-01T00:00:00Z`,
      { headers: { Authorization: `Bearer ${await token()}` } },
    );
    const rows = (await listed.json()) as {
      id: number;
      isCancelled: boolean;
      recurringEventId: number | null;
    }[];
    expect(rows.filter((r) => r.recurringEventId === series.id).map((r) => r.isCancelled)).toEqual([
      true,
      false,
    ]);

    const after = await s.read(undefined, new Set([String(series.id)]));
    const item = upserts(after).find((i) => i.id === String(series.id));
    expect(item?.fields.exceptions).toEqual([]);
    expect(item?.fields.recurrence).toMatchObject({ interval: 2, end: { type: 'count', count: 3 } });
    expect(upserts(after)).toHaveLength(1);
    expect(s.readNotes.join('\n')).toContain('where the series has no occurrence any more');
  });

  const token = async () => {
    const res = await fetch(`${oro.url}/oauth2-token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'sync', client_secret: 'pw' }),
    });
    return ((await res.json()) as { access_token: string }).access_token;
  };
});
