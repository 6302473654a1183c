import { SyncLogRepository } from '../../../../shared/storage/sync-log-repository';
import type { EventFields } from '../../../../shared/sync/calendar/event-mapping';
import type { SyncSettings } from '../../../../shared/sync/model';
import { at, graphTime, oroTime } from '../../../support/calendar-time';
import {
  MS_USER,
  ORO_OWNER,
  startCalendarHarness,
  startSyncHarness,
  type SyncHarness,
} from '../../../support/sync-harness';

/**
 * The first sync over items both sides already hold (entered twice by hand, or synced
 * before by another tool): paired, not copied both ways (shared/sync/plan-pairing.ts).
 */

const BI: SyncSettings = { direction: 'bidirectional', conflictResolution: 'oro-wins' };
const quiet = { created: 0, updated: 0, deleted: 0, conflicts: 0, errors: 0 };

describe('first sync pairs the tasks both sides already hold', () => {
  let h: SyncHarness;
  beforeAll(async () => {
    h = await startSyncHarness(ORO_OWNER, { msTimeZone: 'UTC' });
  });
  afterAll(() => h.close());

  const todo = () => h.microsoft.todo(MS_USER);
  const due = (day: number) => `2026-04-${String(day).padStart(2, '0')}`;

  it('N equal pairs: 0 creates and 0 updates; near-equal pairs settled, never copied; each item paired once', async () => {
    const N = 30;
    for (let i = 1; i <= N; i++) {
      h.oro.createTask(ORO_OWNER, { subject: `Task ${i}`, dueDate: `${due((i % 28) + 1)}T12:00:00Z` });
      todo().create({
        title: `Task ${i}`,
        // As the To Do app sets it: midnight in the mailbox's zone.
        dueDateTime: { dateTime: `${due((i % 28) + 1)}T00:00:00.0000000`, timeZone: 'UTC' },
      });
    }
    // Same title and due date, another description: paired, Oro's wins (oro-wins).
    h.oro.createTask(ORO_OWNER, { subject: 'Quote', description: 'from Oro' });
    todo().create({ title: 'Quote', body: { content: 'from To Do', contentType: 'text' } });
    // Two Oro tasks, one To Do task with that key: one pair, one copy; never merged.
    h.oro.createTask(ORO_OWNER, { subject: 'Visit' });
    h.oro.createTask(ORO_OWNER, { subject: 'Visit' });
    todo().create({ title: 'Visit' });

    const report = await h.run(BI);
    expect(report).toMatchObject({ status: 'ok', result: { created: 1, updated: 1, deleted: 0, errors: 0 } });
    expect(h.oro.tasks(ORO_OWNER)).toHaveLength(N + 3);
    expect(todo().all()).toHaveLength(N + 3);
    expect(
      todo()
        .all()
        .find((t) => t.title === 'Quote')?.body.content,
    ).toBe('from Oro');
    const links = await h.links();
    expect(links).toHaveLength(N + 3);
    expect(new Set(links.map((l) => l.oroId)).size).toBe(N + 3);
    expect(new Set(links.map((l) => l.microsoftId)).size).toBe(N + 3);

    const log = await new SyncLogRepository(h.tables).list(ORO_OWNER, { entity: 'tasks', limit: 100 });
    const paired = log.filter((e) => e.detail?.startsWith('paired with an existing item'));
    expect(paired).toHaveLength(N + 2);
    expect(paired[0]).toMatchObject({
      action: 'link',
      outcome: 'ok',
      detail: expect.stringContaining('(the same title and due date)') as string,
    });

    expect((await h.run(BI)).result).toEqual(quiet);
  });

  it('after an account switch retired the links, the next run pairs again instead of copying', async () => {
    // The state's account is recorded by a first run with it; another one is a switch.
    await h.run(BI, undefined, { account: 'first@contoso.example' });
    // Meanwhile the same tasks were entered on both sides by hand, with notes only in Oro
    // (identical ones would pair by content on any run; these pair by title and due date).
    for (const title of ['Plan', 'Budget', 'Review']) {
      h.oro.createTask(ORO_OWNER, { subject: title, description: 'notes' });
      todo().create({ title });
    }
    const before = { oro: h.oro.tasks(ORO_OWNER).length, ms: todo().all().length };
    const report = await h.run(BI, undefined, { account: 'second@contoso.example' });
    expect(report.result).toMatchObject({ created: 0, updated: 3, deleted: 0, errors: 0 });
    expect({ oro: h.oro.tasks(ORO_OWNER).length, ms: todo().all().length }).toEqual(before);
    expect(await h.links()).toHaveLength(before.oro);
  });
});

describe('first sync pairs the calendar events both sides already hold', () => {
  let h: SyncHarness<EventFields>;
  beforeAll(async () => {
    h = await startCalendarHarness();
    h.oro.calendar.setUser(ORO_OWNER, { email: MS_USER, name: 'Megan Bowen' });
  });
  afterAll(() => h.close());

  const cal = () => h.microsoft.calendar(MS_USER);
  const masters = () => h.oro.calendar.events(ORO_OWNER).filter((r) => r.recurringEventId === null);

  it('pairs by iCalendar UID, by title, start and end, and all-day by dates; an invitation is never written', async () => {
    // The same event by title and times; Outlook's location (Oro has none) stays.
    h.oro.calendar.createEvent(ORO_OWNER, {
      title: 'Customer call',
      start: oroTime(at(2, 9)),
      end: oroTime(at(2, 10)),
    });
    const call = cal().create({
      subject: 'Customer call',
      start: graphTime(at(2, 9)),
      end: graphTime(at(2, 10)),
      location: { displayName: 'Room 4' },
      // Oro's copy has no reminder either.
      isReminderOn: false,
    });
    // An all-day event, by its dates.
    const day = (n: number) => `${at(n, 0).toISOString().slice(0, 10)}T00:00:00`;
    h.oro.calendar.createEvent(ORO_OWNER, {
      title: 'Trade fair',
      allDay: true,
      start: `${day(10)}+00:00`,
      end: `${day(12)}+00:00`,
    });
    cal().create({
      subject: 'Trade fair',
      isAllDay: true,
      start: { dateTime: `${day(10)}.0000000`, timeZone: 'UTC' },
      end: { dateTime: `${day(12)}.0000000`, timeZone: 'UTC' },
      isReminderOn: false,
    });
    // The same UID (an invitation Oro sent, imported in Outlook), though moved and renamed there.
    const uid = '1b7c8a2e-5d6f-4a3b-9c2d-0e1f2a3b4c5d';
    h.oro.calendar.createEvent(ORO_OWNER, {
      uid,
      title: 'Kickoff',
      start: oroTime(at(3, 9)),
      end: oroTime(at(3, 10)),
    });
    const kickoff = cal().create({
      subject: 'Kickoff (Outlook)',
      start: graphTime(at(3, 11)),
      end: graphTime(at(3, 12)),
    });
    if ('error' in kickoff) {
      throw new Error(kickoff.error);
    }
    cal().keepICalUId(kickoff.id, uid);
    // Someone else's meeting with the user's own copy in Oro: the invitation is the source.
    h.oro.calendar.createEvent(ORO_OWNER, {
      title: 'Board meeting',
      description: 'my notes',
      start: oroTime(at(6, 13)),
      end: oroTime(at(6, 15)),
    });
    const board = cal().receiveInvitation(
      {
        subject: 'Board meeting',
        body: { contentType: 'text', content: 'agenda' },
        start: graphTime(at(6, 13)),
        end: graphTime(at(6, 15)),
      },
      { name: 'Boss', address: 'boss@fabrikam.example' },
    );
    const boardKey = cal().get(board.id)!.changeKey;
    cal().resetMessages();

    const report = await h.run(BI);
    expect(report).toMatchObject({ status: 'ok', result: { created: 0, deleted: 0, errors: 0 } });
    expect(masters()).toHaveLength(4);
    expect(cal().all()).toHaveLength(4);
    expect(await h.links()).toHaveLength(4);
    // Oro wins the UID pair's differences: Outlook's copy gets Oro's title and times.
    expect(
      cal()
        .all()
        .find((e) => e.iCalUId === uid)?.subject,
    ).toBe('Kickoff');
    if ('error' in call) {
      throw new Error(call.error);
    }
    expect(cal().get(call.id)?.location.displayName).toBe('Room 4');
    // The invitation was never written; Oro's copy took its description.
    expect(cal().get(board.id)?.changeKey).toBe(boardKey);
    expect(masters().find((r) => r.title === 'Board meeting')?.description).toBe('agenda');
    expect(cal().messages()).toEqual([]);

    const log = await new SyncLogRepository(h.tables).list(ORO_OWNER, { entity: 'calendar', limit: 50 });
    const details = log
      .filter((e) => e.action === 'link')
      .map((e) => e.detail)
      .sort();
    expect(details).toEqual([
      'paired with an existing item (the same iCalendar UID); the fields that differed are settled as a conflict',
      'paired with an existing item (the same title, start and end)',
      'paired with an existing item (the same title, start and end)',
      'paired with an existing item (the same title, start and end); the fields that differed are settled as a conflict',
    ]);

    expect((await h.run(BI)).result).toEqual(quiet);
  });
});
