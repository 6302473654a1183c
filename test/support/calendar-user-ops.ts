import fc from 'fast-check';
import { PRIVATE_TITLE, type EventFields } from '../../shared/sync/calendar/event-mapping';
import { faultArb, type Fault } from './property';
import { MS_USER, ORO_OWNER, type SyncHarness } from './sync-harness';

/**
 * What the calendar property test (test/property/shared/sync/calendar-sync.property.test.ts)
 * does between runs: the user's actions on both sides (singles, series, moved and cancelled
 * occurrences, edits, deletions, invitations, private events), runs and faults, and how
 * each is carried out on the simulators.
 */

export type SideName = 'oro' | 'ms';
export type Op =
  | {
      kind: 'create';
      side: SideName;
      series: boolean;
      day: number;
      hour: number;
      title: string;
      /** Microsoft only: marked private in Outlook, and its free/busy. */
      secret: boolean;
      showAs: 'busy' | 'free' | 'oof';
    }
  | { kind: 'edit'; side: SideName; pick: number; what: 'title' | 'time' | 'description'; value: number }
  | { kind: 'occurrence'; side: SideName; pick: number; nth: number; cancel: boolean }
  | { kind: 'delete'; side: SideName; pick: number }
  | { kind: 'invite'; day: number; hour: number }
  | { kind: 'sync' }
  | { kind: 'fault'; fault: Fault };

export const side = fc.constantFrom<SideName>('oro', 'ms');
export const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      side,
      series: fc.boolean(),
      day: fc.integer({ min: 1, max: 14 }),
      hour: fc.integer({ min: 7, max: 16 }),
      title: fc.constantFrom('Call', 'Review', 'Lunch', 'Demo'),
      secret: fc.boolean(),
      showAs: fc.constantFrom('busy' as const, 'free' as const, 'oof' as const),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      side,
      pick: fc.nat(),
      what: fc.constantFrom('title' as const, 'time' as const, 'description' as const),
      value: fc.nat({ max: 5 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('occurrence' as const),
      side,
      pick: fc.nat(),
      nth: fc.integer({ min: 1, max: 4 }),
      cancel: fc.boolean(),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), side, pick: fc.nat() }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('invite' as const),
      day: fc.integer({ min: 1, max: 14 }),
      hour: fc.integer({ min: 7, max: 16 }),
    }),
    weight: 1,
  },
  { arbitrary: fc.constant({ kind: 'sync' as const }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('fault' as const), fault: faultArb }), weight: 2 },
);

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const BASE = (() => {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  return d.getTime();
})();
export const oroTime = (ms: number) => new Date(ms).toISOString().replace('.000Z', '+00:00');
export const graphTime = (ms: number) => ({
  dateTime: new Date(ms).toISOString().replace('.000Z', '.0000000'),
  timeZone: 'UTC',
});
export const pick = <T>(list: T[], n: number): T | undefined => list[n % Math.max(1, list.length)];

export function apply(h: SyncHarness<EventFields>, o: Op): void {
  const oro = h.oro.calendar;
  const cal = h.microsoft.calendar(MS_USER);
  // Edits and deletions are the user's own events: invitations are someone else's, and so
  // is a private event's busy-only copy (Outlook leads it, as an organizer does).
  const oroOwn = () =>
    oro
      .events(ORO_OWNER)
      .filter(
        (r) => r.recurringEventId === null && r.organizerEmail === MS_USER && r.title !== PRIVATE_TITLE,
      );
  const msOwn = () => cal.all().filter((e) => e.isOrganizer);
  try {
    if (o.kind === 'create') {
      const start = BASE + o.day * DAY + o.hour * HOUR;
      if (o.side === 'oro') {
        oro.createEvent(ORO_OWNER, {
          title: o.title,
          start: oroTime(start),
          end: oroTime(start + HOUR),
          ...(o.series
            ? {
                recurrence: {
                  recurrenceType: 'daily',
                  interval: 1,
                  startTime: oroTime(start),
                  occurrences: 6,
                  timeZone: 'Europe/Berlin',
                },
              }
            : {}),
        });
      } else {
        cal.create({
          subject: o.title,
          start: graphTime(start),
          end: graphTime(start + HOUR),
          showAs: o.showAs,
          ...(o.secret ? { sensitivity: 'private' } : {}),
          ...(o.series
            ? {
                recurrence: {
                  pattern: { type: 'daily', interval: 1 },
                  range: {
                    type: 'numbered',
                    startDate: new Date(start).toISOString().slice(0, 10),
                    numberOfOccurrences: 6,
                    recurrenceTimeZone: 'UTC',
                  },
                },
              }
            : {}),
        });
      }
    }
    if (o.kind === 'invite') {
      const start = BASE + o.day * DAY + o.hour * HOUR;
      cal.receiveInvitation(
        { subject: 'Their meeting', start: graphTime(start), end: graphTime(start + HOUR) },
        { name: 'Boss', address: 'boss@fabrikam.example' },
      );
    }
    if (o.kind === 'edit' && o.side === 'oro') {
      const e = pick(oroOwn(), o.pick);
      if (!e) {
        return;
      }
      if (o.what === 'title') {
        oro.editEvent(e.id, { title: `${e.title.split(' ')[0]} v${o.value}` });
      }
      if (o.what === 'description') {
        oro.editEvent(e.id, { description: `note ${o.value}` });
      }
      if (o.what === 'time' && !e.recurrence) {
        const start = Date.parse(e.start) + (o.value + 1) * HOUR;
        oro.editEvent(e.id, { start: oroTime(start), end: oroTime(start + HOUR) });
      }
    }
    if (o.kind === 'edit' && o.side === 'ms') {
      const e = pick(msOwn(), o.pick);
      if (!e) {
        return;
      }
      if (o.what === 'title') {
        cal.update(e.id, { subject: `${String(e.subject).split(' ')[0]} w${o.value}` });
      }
      if (o.what === 'description') {
        cal.update(e.id, { body: { contentType: 'text', content: `memo ${o.value}` } });
      }
      if (o.what === 'time' && !e.recurrence) {
        const start = Date.parse(`${e.start.dateTime.slice(0, 19)}Z`) + (o.value + 1) * HOUR;
        cal.update(e.id, { start: graphTime(start), end: graphTime(start + HOUR) });
      }
    }
    if (o.kind === 'occurrence' && o.side === 'oro') {
      const series = pick(
        oroOwn().filter((r) => r.recurrence),
        o.pick,
      );
      if (!series) {
        return;
      }
      const original = Date.parse(series.start) + o.nth * DAY;
      oro.createException(
        series.id,
        o.cancel
          ? { originalStart: oroTime(original), isCancelled: true }
          : {
              originalStart: oroTime(original),
              start: oroTime(original + 2 * HOUR),
              end: oroTime(original + 3 * HOUR),
              title: `${series.title} (moved)`,
            },
      );
    }
    if (o.kind === 'occurrence' && o.side === 'ms') {
      const series = pick(
        msOwn().filter((e) => e.recurrence),
        o.pick,
      );
      if (!series) {
        return;
      }
      const original = Date.parse(`${series.start.dateTime.slice(0, 19)}Z`) + o.nth * DAY;
      const id = cal.occurrenceId(series.id, new Date(original).toISOString().replace('.000Z', 'Z'));
      if (!id) {
        return;
      }
      if (o.cancel) {
        cal.remove(id);
      } else {
        cal.update(id, { start: graphTime(original + 2 * HOUR), end: graphTime(original + 3 * HOUR) });
      }
    }
    if (o.kind === 'delete' && o.side === 'oro') {
      const e = pick(oroOwn(), o.pick);
      if (e) {
        oro.deleteEvent(e.id);
      }
    }
    if (o.kind === 'delete' && o.side === 'ms') {
      const e = pick(msOwn(), o.pick);
      if (e) {
        cal.remove(e.id);
      }
    }
  } catch (error) {
    // A user action the simulator refuses (an occurrence already cancelled, say) is no action.
    if (!(error instanceof Error)) {
      throw error;
    }
  }
}
