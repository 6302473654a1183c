/** Builders shared by the Microsoft calendar side's integration tests (test/integration/shared/microsoft/calendar-side.*). */
import type { EventFields } from '../../shared/sync/calendar/event-mapping';
import type { Recurrence } from '../../shared/sync/calendar/recurrence';
import type { Change, Snapshot } from '../../shared/sync/model';
import type { Write } from '../../shared/sync/plan';
import { trustInThisProcess } from '../../dev/microsoft/certificate';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../dev/microsoft/simulator';
import { GraphCalendarSide } from '../../shared/microsoft/calendar-side';
import { createGraphClient } from '../../shared/microsoft/graph-client';

export const USER = 'megan.bowen@contoso.example';
export const NOW = Date.parse('2026-11-24T12:00:00Z');
export const DAY = 86_400_000;

export const ev = (over: Partial<EventFields> = {}): EventFields => ({
  title: 'Planning',
  description: 'agenda',
  allDay: false,
  start: '2026-12-01T09:00:00Z',
  end: '2026-12-01T10:00:00Z',
  reminderMinutes: 15,
  location: '',
  attendees: [],
  recurrence: null,
  exceptions: [],
  organizer: null,
  showAs: 'busy',
  ...over,
});
export const create = (fields: EventFields, linkId: string): Write<EventFields> => ({
  op: 'create',
  side: 'microsoft',
  linkId,
  fields,
});
export const upserts = (changes: Change<EventFields>[]): Snapshot<EventFields>[] =>
  changes.flatMap((c) => (c.type === 'upsert' ? [c.item] : []));
export const deletes = (changes: Change<EventFields>[]) => changes.filter((c) => c.type === 'delete');

/** USER's calendar side on the simulator, 25 instances a delta page; sleeps are recorded, not slept. */
export const graphCalendarSide = (
  sim: MicrosoftSimulator,
  now: () => Date,
  sleeps: () => number[],
): GraphCalendarSide =>
  new GraphCalendarSide(
    createGraphClient(sim.graphUrl, () => sim.graphToken(USER)),
    {
      now,
      sleep: (ms) => {
        sleeps().push(ms);
        return Promise.resolve();
      },
      pageSize: 25,
    },
  );

/** One series of each pattern kind: name, recurrence, first start. */
export const patterns: [string, Recurrence, string][] = [
  [
    'daily',
    {
      pattern: 'daily',
      interval: 2,
      start: '2026-12-01',
      end: { type: 'count', count: 10 },
      timeZone: 'UTC',
    },
    '2026-12-01T09:00:00Z',
  ],
  [
    'weekly',
    {
      pattern: 'weekly',
      interval: 1,
      daysOfWeek: ['monday', 'thursday'],
      start: '2026-11-30',
      end: { type: 'date', date: '2027-06-30' },
      timeZone: 'Europe/Berlin',
    },
    '2026-11-30T08:00:00Z',
  ],
  [
    'monthly',
    {
      pattern: 'monthly',
      interval: 1,
      dayOfMonth: 15,
      start: '2026-12-15',
      end: { type: 'none' },
      timeZone: 'America/New_York',
    },
    '2026-12-15T14:00:00Z',
  ],
  [
    'monthnth',
    {
      pattern: 'monthnth',
      interval: 2,
      daysOfWeek: ['tuesday'],
      instance: 'second',
      start: '2026-12-01',
      end: { type: 'count', count: 6 },
      timeZone: 'Asia/Tokyo',
    },
    '2026-12-08T01:00:00Z',
  ],
  [
    'yearly',
    {
      pattern: 'yearly',
      interval: 1,
      month: 2,
      dayOfMonth: 14,
      start: '2027-02-14',
      end: { type: 'none' },
      timeZone: 'UTC',
    },
    '2027-02-14T18:00:00Z',
  ],
  [
    'yearnth',
    {
      pattern: 'yearnth',
      interval: 1,
      month: 5,
      daysOfWeek: ['friday'],
      instance: 'last',
      start: '2027-05-28',
      end: { type: 'date', date: '2030-12-31' },
      timeZone: 'Europe/London',
    },
    '2027-05-28T16:00:00Z',
  ],
];

/**
 * The Graph simulator for the enclosing describe's tests: each test starts with Megan's
 * calendar empty and no mail, no sleeps recorded and the clock at NOW (`t.now` moves it).
 */
export function useGraphCalendar() {
  const t = { sleeps: [] as number[], now: NOW } as {
    sim: MicrosoftSimulator;
    sleeps: number[];
    now: number;
    store: () => ReturnType<MicrosoftSimulator['calendar']>;
    side: () => GraphCalendarSide;
  };
  t.store = () => t.sim.calendar(USER);
  t.side = () =>
    graphCalendarSide(
      t.sim,
      () => new Date(t.now),
      () => t.sleeps,
    );
  beforeAll(async () => {
    t.sim = await startMicrosoftSimulator();
    trustInThisProcess(t.sim.certificate);
  });
  beforeEach(() => {
    t.sleeps = [];
    t.now = NOW;
    for (const e of t.store().all()) {
      t.store().remove(e.id);
    }
    t.store().resetMessages();
  });
  afterAll(() => t.sim.close());
  return t;
}
