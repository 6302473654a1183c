import fc from 'fast-check';
import { LinkRepository } from '../../../../shared/storage/link-repository';
import type { EventFields } from '../../../../shared/sync/calendar/event-mapping';
import type { SyncSettings } from '../../../../shared/sync/model';
import type { RunBounds } from '../../../../shared/sync/bounded';
import {
  boundedRuns,
  propertyParameters,
  propertyRuns,
  propertyTimeout,
  runBoundsArb,
  settingsArb,
} from '../../../support/property';
import { MS_USER, ORO_OWNER, startCalendarHarness, type SyncHarness } from '../../../support/sync-harness';

const side = fc.constantFrom('oro' as const, 'ms' as const);

/*
 * Bounded runs (shared/sync/bounded.ts) for calendar events, as bounded-runs.property.test.ts
 * for tasks: singles and daily series on both sides, whose sides read differently (Graph's
 * calendarView delta over a window, Oro's watermark and window listing), tiny bounds and
 * crashes at any step point of any run or between any two of its table transactions. Each
 * run that stops at its bound is continued.
 */
type CalendarOp =
  | { kind: 'create'; side: 'oro' | 'ms'; series: boolean; day: number; title: string }
  | { kind: 'edit'; side: 'oro' | 'ms'; pick: number; value: number }
  | { kind: 'delete'; side: 'oro' | 'ms'; pick: number }
  | { kind: 'run'; steps: number }
  | { kind: 'crash'; at: number }
  /** The next run's process dies after `after` table transactions (the next lost, or applied). */
  | { kind: 'table-crash'; after: number; applied: boolean };

const calendarOp: fc.Arbitrary<CalendarOp> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      side,
      series: fc.boolean(),
      day: fc.integer({ min: 1, max: 14 }),
      title: fc.constantFrom('Call', 'Review', 'Demo'),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      side,
      pick: fc.nat(),
      value: fc.nat({ max: 5 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), side, pick: fc.nat() }), weight: 1 },
  {
    arbitrary: fc.record({ kind: fc.constant('run' as const), steps: fc.integer({ min: 1, max: 4 }) }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('crash' as const), at: fc.integer({ min: 1, max: 12 }) }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('table-crash' as const),
      after: fc.nat({ max: 8 }),
      applied: fc.boolean(),
    }),
    weight: 1,
  },
);

const DAY = 86_400_000;
const BASE = (() => {
  const d = new Date();
  d.setUTCHours(9, 0, 0, 0);
  return d.getTime();
})();
const oroTime = (ms: number) => new Date(ms).toISOString().replace('.000Z', '+00:00');
const graphTime = (ms: number) => ({
  dateTime: new Date(ms).toISOString().replace('.000Z', '.0000000'),
  timeZone: 'UTC',
});

function createEvent(h: SyncHarness<EventFields>, o: Extract<CalendarOp, { kind: 'create' }>): void {
  const start = BASE + o.day * DAY;
  if (o.side === 'oro') {
    h.oro.calendar.createEvent(ORO_OWNER, {
      title: o.title,
      start: oroTime(start),
      end: oroTime(start + 3_600_000),
      ...(o.series
        ? {
            recurrence: {
              recurrenceType: 'daily',
              interval: 1,
              startTime: oroTime(start),
              occurrences: 4,
              timeZone: 'UTC',
            },
          }
        : {}),
    });
    return;
  }
  h.microsoft.calendar(MS_USER).create({
    subject: o.title,
    start: graphTime(start),
    end: graphTime(start + 3_600_000),
    ...(o.series
      ? {
          recurrence: {
            pattern: { type: 'daily', interval: 1 },
            range: {
              type: 'numbered',
              startDate: new Date(start).toISOString().slice(0, 10),
              numberOfOccurrences: 4,
              recurrenceTimeZone: 'UTC',
            },
          },
        }
      : {}),
  });
}

function changeEvent(h: SyncHarness<EventFields>, o: Extract<CalendarOp, { kind: 'edit' | 'delete' }>): void {
  if (o.side === 'oro') {
    const own = h.oro.calendar.events(ORO_OWNER).filter((r) => r.recurringEventId === null);
    const e = own[o.pick % Math.max(1, own.length)];
    if (e && o.kind === 'edit') {
      h.oro.calendar.editEvent(e.id, { title: `${e.title.split(' ')[0]} v${o.value}` });
    } else if (e) {
      h.oro.calendar.deleteEvent(e.id);
    }
    return;
  }
  const cal = h.microsoft.calendar(MS_USER);
  const own = cal.all();
  const e = own[o.pick % Math.max(1, own.length)];
  if (e && o.kind === 'edit') {
    cal.update(e.id, { subject: `${String(e.subject).split(' ')[0]} w${o.value}` });
  } else if (e) {
    cal.remove(e.id);
  }
}

describe('bounded calendar runs (model-based, with crashes between any two writes)', () => {
  const runs = propertyRuns(15);
  jest.setTimeout(propertyTimeout(runs, 8_000));

  it('converges across continuations with no run over its bound, no duplicate and nothing lost', async () => {
    let continued = 0;
    await fc.assert(
      fc.asyncProperty(
        settingsArb,
        runBoundsArb,
        fc.array(calendarOp, { minLength: 2, maxLength: 12 }),
        async (settings: SyncSettings, bounds, ops) => {
          const clock = { offset: 0 };
          const h = await startCalendarHarness(ORO_OWNER, { oroClock: () => Date.now() + clock.offset });
          h.oro.calendar.setUser(ORO_OWNER, { email: MS_USER, name: 'Megan Bowen' });
          const advance = (ms: number) => {
            h.advance(ms);
            clock.offset += ms;
          };
          try {
            const runs = boundedRuns(h, settings, bounds, advance);
            for (const o of ops) {
              if (o.kind === 'run') {
                await runs.chain(o.steps);
              } else if (o.kind === 'crash') {
                runs.crashNext(o.at);
              } else if (o.kind === 'table-crash') {
                h.crashTablesAfter(o.after, o.applied);
              } else if (o.kind === 'create') {
                createEvent(h, o);
                advance(15_000);
              } else {
                changeEvent(h, o);
                advance(15_000);
              }
            }
            const quiet = await runs.settle();
            continued += runs.continued();
            expect(quiet).toBe(true);

            const all = await new LinkRepository(h.tables).listAll(ORO_OWNER, 'calendar');
            expect(all.backlog).toEqual([]);
            const links = all.links;
            expect(links.filter((l) => l.pending)).toEqual([]);
            const oroIds = links.map((l) => l.oroId);
            const msIds = links.map((l) => l.microsoftId);
            expect(new Set(oroIds).size).toBe(oroIds.length);
            expect(new Set(msIds).size).toBe(msIds.length);
            const now = await h.readAll();
            for (const l of links) {
              expect(now.oro.has(l.oroId ?? '')).toBe(true);
              expect(now.microsoft.has(l.microsoftId ?? '')).toBe(true);
            }
            if (settings.direction === 'bidirectional') {
              expect(links).toHaveLength(now.oro.size);
              expect(links).toHaveLength(now.microsoft.size);
            }
          } finally {
            await h.close();
          }
        },
      ),
      // One case that must continue (3 creates, 1 write a run), so a short local run proves it too.
      propertyParameters<[SyncSettings, RunBounds, CalendarOp[]]>(runs, [
        [
          { direction: 'bidirectional', conflictResolution: 'oro-wins' },
          { maxWrites: 1, maxRunMs: 60_000, chunkWrites: 1 },
          [
            { kind: 'create', side: 'oro', series: false, day: 1, title: 'Call' },
            { kind: 'create', side: 'oro', series: true, day: 2, title: 'Review' },
            { kind: 'create', side: 'ms', series: false, day: 3, title: 'Demo' },
            { kind: 'run', steps: 4 },
          ],
        ],
      ]),
    );
    expect(continued).toBeGreaterThan(0);
  });
});
