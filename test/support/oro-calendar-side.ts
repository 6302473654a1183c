/** Builders shared by the Oro calendar side's integration tests (test/integration/shared/oro/calendar-side.*). */
import { startOroSimulator, type OroSimulator } from '../../dev/oro/simulator';
import { OroCalendarSide } from '../../shared/oro/calendar-side';
import { OroClient, OroTokenCache } from '../../shared/oro/client';
import type { EventFields } from '../../shared/sync/calendar/event-mapping';
import type { Recurrence } from '../../shared/sync/calendar/recurrence';
import type { Change, Snapshot } from '../../shared/sync/model';
import type { ReadResult } from '../../shared/sync/ports';

export const conn = (oro: OroSimulator) => ({ baseUrl: oro.url, clientId: 'sync', clientSecret: 'pw' });
export const event = (over: Partial<EventFields> = {}): EventFields => ({
  title: 'Planning',
  description: 'agenda',
  allDay: false,
  start: '2026-05-11T07:00:00Z',
  end: '2026-05-11T07:30:00Z',
  reminderMinutes: 15,
  location: '',
  attendees: [],
  recurrence: null,
  exceptions: [],
  organizer: null,
  showAs: 'busy',
  ...over,
});
export const series = (r: Partial<Recurrence>, over: Partial<EventFields> = {}): EventFields =>
  event({
    recurrence: {
      pattern: 'daily',
      interval: 1,
      start: '2026-05-11',
      end: { type: 'none' },
      timeZone: 'Europe/Berlin',
      ...r,
    },
    ...over,
  });
export const upserts = (r: ReadResult<EventFields>): Snapshot<EventFields>[] =>
  r.changes.flatMap((c: Change<EventFields>) => (c.type === 'upsert' ? [c.item] : []));
export const deletes = (r: ReadResult<EventFields>): string[] =>
  r.changes.flatMap((c) => (c.type === 'delete' ? [c.id] : []));
export const written = (result: { ok: boolean } & Partial<{ id: string }>): string => {
  if (!result.ok || !result.id) {
    throw new Error(`write failed: ${JSON.stringify(result)}`);
  }
  return result.id;
};

/** The side of one Oro user on their default calendar (every Oro user has one, set in their settings); sleeps are recorded, not slept. */
export function oroCalendarSide(
  oro: OroSimulator,
  tokens: OroTokenCache,
  userId: string,
  options: { now: () => Date; sleeps: number[]; timeoutMs: number },
): OroCalendarSide {
  const calendarId = oro.calendar.defaultCalendar(userId);
  return new OroCalendarSide(
    new OroClient(conn(oro), tokens, {
      timeoutMs: options.timeoutMs,
      sleep: (ms) => {
        options.sleeps.push(ms);
        return Promise.resolve();
      },
    }),
    userId,
    { now: options.now, window: { pastDays: 30, futureDays: 365 }, calendarId },
  );
}

/**
 * The Oro simulator for the enclosing describe's tests, on a clock of their own
 * (`t.clock`, moved by `settle()` past Oro's settle time), with the sides' sleeps recorded.
 */
export function useOroCalendar() {
  const t = {
    clock: Date.parse('2026-05-01T10:00:00Z'),
    sleeps: [] as number[],
    tokens: new OroTokenCache(),
  } as {
    oro: OroSimulator;
    clock: number;
    sleeps: number[];
    tokens: OroTokenCache;
    side: (userId: string, timeoutMs?: number) => OroCalendarSide;
    /** Past the settle time: what was read is final. */
    settle: () => number;
  };
  t.side = (userId, timeoutMs = 5_000) =>
    oroCalendarSide(t.oro, t.tokens, userId, { now: () => new Date(t.clock), sleeps: t.sleeps, timeoutMs });
  t.settle = () => (t.clock += 60_000);
  beforeAll(async () => {
    t.oro = await startOroSimulator({ clock: () => t.clock });
    t.oro.registerClient('sync', 'pw');
  });
  afterAll(() => t.oro.close());
  return t;
}
