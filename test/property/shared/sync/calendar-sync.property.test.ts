import fc from 'fast-check';
import { PRIVATE_EVENT_MODES } from '../../../../shared/settings/schema';
import { completeOroFields, type EventFields } from '../../../../shared/sync/calendar/event-mapping';
import type { SyncSettings } from '../../../../shared/sync/model';
import type { CrashPoint } from '../../../../shared/sync/runner';
import { SyncLogRepository } from '../../../../shared/storage/sync-log-repository';
import {
  armFault,
  checkedSync,
  faultArb,
  propertyParameters,
  propertyRuns,
  propertyTimeout,
  settingsArb,
  syncUntilQuiet,
} from '../../../support/property';
import { MS_USER, ORO_OWNER, startCalendarHarness, type SyncHarness } from '../../../support/sync-harness';
import {
  apply,
  BASE,
  DAY,
  graphTime,
  HOUR,
  op,
  oroTime,
  type SideName,
} from '../../../support/calendar-user-ops';

/**
 * Model-based, for calendar events: random singles, series, moved and cancelled
 * occurrences, edits and deletions on both sides, invitations, sync runs and faults; then
 * faults stop and syncs run until quiet. Whatever happened: no duplicates, no write to a
 * side the direction does not allow, no Oro notification, and the sides agree as the
 * direction says. The Oro simulator answers as stock Oro does, so every partial read of a
 * series also meets the series' own row in its `recurringEventId=` listing, and moved
 * series keep their exception rows until the sync rewrites them.
 */

/**
 * Graph cannot bring back a cancelled occurrence (a deleted instance stays deleted), so an
 * occurrence cancelled in Outlook and then restored in Oro stays cancelled there: allowed
 * only where the run logged it for that event, and only for that occurrence.
 */
function withBroughtBack(
  ms: EventFields,
  oro: EventFields,
  microsoftId: string,
  notes: readonly string[],
): EventFields {
  const logged = (key: string) =>
    notes.some(
      (n) =>
        n.startsWith(`${microsoftId} `) &&
        n.includes(`cannot bring back a cancelled occurrence (`) &&
        n.includes(key),
    );
  const restored = new Map(
    oro.exceptions
      .filter(
        (x) => !x.cancelled && ms.exceptions.some((m) => m.cancelled && m.originalStart === x.originalStart),
      )
      .filter((x) => logged(x.originalStart))
      .map((x) => [x.originalStart, x]),
  );
  return restored.size === 0
    ? ms
    : { ...ms, exceptions: ms.exceptions.map((m) => restored.get(m.originalStart) ?? m) };
}

/** The disabled side's content, to prove the sync never wrote it. */
function sideState(h: SyncHarness<EventFields>, which: SideName): string {
  return which === 'oro'
    ? JSON.stringify(h.oro.calendar.events(ORO_OWNER).map((r) => [r.id, r.updatedAt, r.isCancelled]))
    : JSON.stringify(
        h.microsoft
          .calendar(MS_USER)
          .all()
          .map((e) => [e.id, e.changeKey]),
      );
}

const sync = (h: SyncHarness<EventFields>, settings: SyncSettings, crash?: CrashPoint) =>
  checkedSync(h, settings, (which) => sideState(h, which), crash);

/**
 * Events both sides hold before the first sync: `equal` (the same content), `near` (same
 * title, start and end; other description and a location only Outlook can hold), `uid`
 * (the same iCalendar UID, renamed and moved in Outlook), `dup` (the key twice in Oro,
 * once in Outlook) and `invite` (someone else's meeting and the user's own entry of it in
 * Oro with other notes). Days 15-20: beyond where the random actions put events.
 */
type Existing = { kind: 'equal' | 'near' | 'uid' | 'dup' | 'invite'; series: boolean; hour: number };
const existingArb: fc.Arbitrary<Existing[]> = fc.array(
  fc.record({
    kind: fc.constantFrom(
      'equal' as const,
      'near' as const,
      'uid' as const,
      'dup' as const,
      'invite' as const,
    ),
    series: fc.boolean(),
    hour: fc.integer({ min: 7, max: 16 }),
  }),
  { maxLength: 3 },
);

/** Creates them; answers, per entry, the ids each side holds. */
function createExisting(h: SyncHarness<EventFields>, existing: Existing[]): { oro: string[]; ms: string }[] {
  const cal = h.microsoft.calendar(MS_USER);
  return existing.map((e, i) => {
    const start = BASE + (15 + 2 * i) * DAY + e.hour * HOUR;
    const series = e.series && e.kind !== 'invite';
    const title = `Existing ${i}`;
    const uid = `0f0e0d0c-0b0a-4909-8807-06050403020${i}`;
    const oroEvent = (description: string | null) =>
      String(
        h.oro.calendar.createEvent(ORO_OWNER, {
          title,
          description,
          start: oroTime(start),
          end: oroTime(start + HOUR),
          ...(e.kind === 'uid' ? { uid } : {}),
          ...(series
            ? {
                recurrence: {
                  recurrenceType: 'daily',
                  interval: 1,
                  startTime: oroTime(start),
                  occurrences: 6,
                  timeZone: 'UTC',
                },
              }
            : {}),
        }).id,
      );
    const oro = [oroEvent(e.kind === 'near' || e.kind === 'invite' ? 'from Oro' : null)];
    if (e.kind === 'dup') {
      oro.push(oroEvent('the second'));
    }
    const moved = e.kind === 'uid' ? 2 * HOUR : 0;
    const input = {
      subject: e.kind === 'uid' ? `${title} (Outlook)` : title,
      start: graphTime(start + moved),
      end: graphTime(start + moved + HOUR),
      // Oro's entries have no reminder.
      isReminderOn: false,
      ...(e.kind === 'near' || e.kind === 'invite'
        ? { body: { contentType: 'text', content: 'from Outlook' }, location: { displayName: 'Room 1' } }
        : {}),
      ...(series
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
    };
    if (e.kind === 'invite') {
      return { oro, ms: cal.receiveInvitation(input, { name: 'Boss', address: 'boss@fabrikam.example' }).id };
    }
    const created = cal.create(input);
    if ('error' in created) {
      throw new Error(created.error);
    }
    if (e.kind === 'uid') {
      cal.keepICalUId(created.id, uid);
    }
    return { oro, ms: created.id };
  });
}

describe('calendar sync (model-based, with faults)', () => {
  const runs = propertyRuns(25);
  jest.setTimeout(propertyTimeout(runs, 6_000, 600_000));

  it('converges without duplicates, lost updates, notifications or writes against the direction', async () => {
    await fc.assert(
      fc.asyncProperty(
        settingsArb,
        fc.constantFrom(...PRIVATE_EVENT_MODES),
        fc.array(op, { minLength: 4, maxLength: 16 }),
        existingArb,
        fc.option(faultArb, { nil: undefined }),
        async (settings, privateEvents, ops, existing, firstFault) => {
          const clock = { offset: 0 };
          const h = await startCalendarHarness(ORO_OWNER, {
            oroClock: () => Date.now() + clock.offset,
            privateEvents: () => privateEvents,
          });
          const advance = h.advance.bind(h);
          h.advance = (ms) => {
            advance(ms);
            clock.offset += ms;
          };
          h.oro.calendar.setUser(ORO_OWNER, { email: MS_USER, name: 'Megan Bowen' });
          try {
            if (existing.length > 0) {
              // The first sync (perhaps under a fault) meets what both sides already hold.
              const held = createExisting(h, existing);
              const invitations = () =>
                JSON.stringify(
                  h.microsoft
                    .calendar(MS_USER)
                    .all()
                    .filter((e) => !e.isOrganizer)
                    .map((e) => [e.id, e.changeKey]),
                );
              const before = invitations();
              const crash = firstFault
                ? armFault(h, firstFault, (a) => h.microsoft.calendar(MS_USER).expireDeltaTokens(a))
                : undefined;
              await sync(h, settings, crash);
              expect(await syncUntilQuiet(() => sync(h, settings))).toBe(true);
              // Each Outlook event is paired with its Oro event (of a `dup`, one of the two);
              // none of them is copied, and someone else's meeting is never written.
              const links = await h.links();
              for (const { oro, ms } of held) {
                expect(oro).toContain(links.find((l) => l.microsoftId === ms)?.oroId);
              }
              const named = (titles: string[]) => titles.filter((t) => t.startsWith('Existing ')).length;
              const extra =
                settings.direction === 'microsoft-to-oro'
                  ? 0
                  : existing.filter((e) => e.kind === 'dup').length;
              expect(
                named(
                  h.microsoft
                    .calendar(MS_USER)
                    .all()
                    .map((e) => String(e.subject)),
                ),
              ).toBe(existing.length + extra);
              expect(
                named(
                  h.oro.calendar
                    .events(ORO_OWNER)
                    .filter((r) => r.recurringEventId === null)
                    .map((r) => r.title),
                ),
              ).toBe(held.reduce((n, e) => n + e.oro.length, 0));
              expect(invitations()).toBe(before);
            }
            let pendingCrash: CrashPoint | undefined;
            for (const o of ops) {
              if (o.kind === 'fault') {
                pendingCrash =
                  armFault(h, o.fault, (a) => h.microsoft.calendar(MS_USER).expireDeltaTokens(a)) ??
                  pendingCrash;
              } else if (o.kind === 'sync') {
                await sync(h, settings, pendingCrash);
                pendingCrash = undefined;
              } else {
                apply(h, o);
                h.advance(15_000);
              }
            }

            // Faults stop (Graph's not yet met too); sync until a run changes nothing.
            h.microsoft.clearFaults();
            expect(await syncUntilQuiet(() => sync(h, settings))).toBe(true);
            expect(h.oro.calendar.notifications()).toBe(0);

            const links = await h.links();
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
              // Everything linked, and each pair equal (what Oro cannot hold taken from Microsoft).
              expect(links).toHaveLength(now.oro.size);
              expect(links).toHaveLength(now.microsoft.size);
              const notes = (await new SyncLogRepository(h.tables).list(ORO_OWNER, { limit: 1000 }))
                .filter((e) => e.outcome === 'ok')
                .map((e) => `${e.microsoftId ?? ''} ${e.detail}`);
              for (const l of links) {
                const ms = now.microsoft.get(l.microsoftId!)!.fields;
                const oro = completeOroFields(now.oro.get(l.oroId!)!.fields, ms);
                expect(oro).toEqual(withBroughtBack(ms, oro, l.microsoftId!, notes));
              }
            } else {
              const sourceCount =
                settings.direction === 'oro-to-microsoft' ? now.oro.size : now.microsoft.size;
              expect(links.length).toBeLessThanOrEqual(sourceCount);
            }
          } finally {
            await h.close();
          }
        },
      ),
      propertyParameters(runs),
    );
  });
});
