import type { PrivateEvents } from '../../../../shared/settings/schema';
import { SyncLogRepository } from '../../../../shared/storage/sync-log-repository';
import { PRIVATE_TITLE, type EventFields } from '../../../../shared/sync/calendar/event-mapping';
import type { SyncSettings } from '../../../../shared/sync/model';
import { at, graphTime, oroTime } from '../../../support/calendar-time';
import { MS_USER, ORO_OWNER, startCalendarHarness, type SyncHarness } from '../../../support/sync-harness';

/**
 * Outlook events marked private (Graph `sensitivity: private`) under each value of the
 * setting calendar.privateEvents, and free/busy (`showAs`), which Oro cannot hold, kept in
 * Microsoft. Both simulators, Azurite, the real engine; the setting changes between runs
 * as an admin would change it.
 */
const BI: SyncSettings = { direction: 'bidirectional', conflictResolution: 'oro-wins' };

describe('private events and free/busy, over both simulators', () => {
  let h: SyncHarness<EventFields>;
  let mode: PrivateEvents = 'busy-only';
  beforeAll(async () => {
    h = await startCalendarHarness(ORO_OWNER, { privateEvents: () => mode });
    h.oro.calendar.setUser(ORO_OWNER, { email: MS_USER, name: 'Megan Bowen' });
  });
  afterAll(() => h.close());

  const cal = () => h.microsoft.calendar(MS_USER);
  const oroRows = () => h.oro.calendar.events(ORO_OWNER).filter((r) => r.recurringEventId === null);
  const oroAt = (start: Date) => oroRows().filter((r) => Date.parse(r.start) === start.getTime());
  const therapyStart = at(3, 9);
  const lunchStart = at(4, 12);
  const lastLog = async () =>
    (await new SyncLogRepository(h.tables).list(ORO_OWNER, { entity: 'calendar', limit: 10 })).map(
      (e) => `${e.action}/${e.outcome}: ${e.detail ?? ''}`,
    );

  it('busy-only (the default): the copy is busy time with a neutral title, no body, location or attendees', async () => {
    cal().create({
      subject: 'Therapy',
      body: { contentType: 'text', content: 'session 4, bring the forms' },
      location: { displayName: 'Clinic, Main Street 9' },
      attendees: [{ type: 'required', emailAddress: { name: 'Dr. Adler', address: 'adler@clinic.example' } }],
      start: graphTime(therapyStart),
      end: graphTime(at(3, 10)),
      sensitivity: 'private',
      showAs: 'oof',
    });
    cal().create({
      subject: 'Team lunch',
      start: graphTime(lunchStart),
      end: graphTime(at(4, 13)),
      showAs: 'free',
    });

    const report = await h.run(BI);
    expect(report).toMatchObject({ status: 'ok', result: { created: 2, errors: 0 } });
    const [copy, ...more] = oroAt(therapyStart);
    expect(more).toEqual([]);
    expect(copy).toMatchObject({ title: PRIVATE_TITLE, attendees: [] });
    expect(copy!.description ?? '').toBe('');
    expect(Date.parse(copy!.end)).toBe(at(3, 10).getTime());
    expect(oroAt(lunchStart).map((r) => r.title)).toEqual(['Team lunch']);
  });

  it('an Oro edit of the busy-only copy never reaches Outlook’s subject or body; the log says why', async () => {
    const copy = oroAt(therapyStart)[0]!;
    h.oro.calendar.editEvent(copy.id, { title: 'My therapy', description: 'notes for colleagues' });
    const report = await h.run(BI);
    expect(report.result).toMatchObject({ updated: 0, errors: 0 });
    const outlook = cal()
      .all()
      .find((e) => e.sensitivity === 'private')!;
    expect(outlook).toMatchObject({
      subject: 'Therapy',
      body: { content: 'session 4, bring the forms' },
      location: { displayName: 'Clinic, Main Street 9' },
      showAs: 'oof',
    });
    expect(await lastLog()).toContainEqual(expect.stringMatching(/^skip\/skipped: .*private in Outlook/));
  });

  it('showAs, which Oro cannot hold, stays as Microsoft has it when Oro edits the event', async () => {
    const lunch = oroAt(lunchStart)[0]!;
    h.oro.calendar.editEvent(lunch.id, { title: 'Team lunch (Italian)' });
    const report = await h.run(BI);
    expect(report.result).toMatchObject({ updated: 1, errors: 0 });
    const outlook = cal()
      .all()
      .find((e) => e.subject.startsWith('Team lunch'))!;
    expect(outlook).toMatchObject({ subject: 'Team lunch (Italian)', showAs: 'free' });
  });

  it('an Oro event marked private later in Outlook stays a full pair: Oro keeps its content, its edits reach Outlook', async () => {
    const start = at(6, 10);
    h.oro.calendar.createEvent(ORO_OWNER, {
      title: 'Budget talk',
      description: 'Q1 numbers',
      start: oroTime(start),
      end: oroTime(at(6, 11)),
    });
    expect((await h.run(BI)).result).toMatchObject({ created: 1, errors: 0 });
    const outlook = cal()
      .all()
      .find((e) => e.subject === 'Budget talk')!;
    cal().update(outlook.id, { sensitivity: 'private' });
    await h.run(BI);
    expect(oroAt(start)).toMatchObject([{ title: 'Budget talk', description: 'Q1 numbers' }]);
    h.oro.calendar.editEvent(oroAt(start)[0]!.id, { title: 'Budget talk (moved to Q2)' });
    expect((await h.run(BI)).result).toMatchObject({ updated: 1, errors: 0 });
    expect(cal().get(outlook.id)).toMatchObject({
      subject: 'Budget talk (moved to Q2)',
      sensitivity: 'private',
    });
  });

  it('full: after the setting changes, the copy shows the private event as it is', async () => {
    mode = 'full';
    const report = await h.run(BI);
    expect(report.result).toMatchObject({ errors: 0 });
    const [copy, ...more] = oroAt(therapyStart);
    expect(more).toEqual([]);
    expect(copy).toMatchObject({
      title: 'Therapy',
      description: 'session 4, bring the forms',
      attendees: [expect.objectContaining({ email: 'adler@clinic.example' })],
    });
    // Outlook's event kept its flag and its free/busy.
    expect(
      cal()
        .all()
        .filter((e) => e.subject === 'Therapy')
        .map((e) => [e.sensitivity, e.showAs]),
    ).toEqual([['private', 'oof']]);
  });

  it('skip: the copy leaves Oro, Outlook keeps the event, and a new private event is not copied', async () => {
    mode = 'skip';
    const report = await h.run(BI);
    expect(report.result).toMatchObject({ deleted: 1, errors: 0 });
    expect(oroAt(therapyStart)).toEqual([]);
    expect(
      cal()
        .all()
        .filter((e) => e.subject === 'Therapy'),
    ).toHaveLength(1);

    const laterStart = at(5, 15);
    cal().create({
      subject: 'Job interview elsewhere',
      start: graphTime(laterStart),
      end: graphTime(at(5, 16)),
      sensitivity: 'private',
    });
    const next = await h.run(BI);
    expect(next.result).toMatchObject({ created: 0, errors: 0 });
    expect(oroAt(laterStart)).toEqual([]);
    expect(await lastLog()).toContainEqual(expect.stringContaining('not copied'));
    expect(oroAt(lunchStart).map((r) => r.title)).toEqual(['Team lunch (Italian)']);
  });

  it('back to busy-only: both private events arrive as busy time, once', async () => {
    mode = 'busy-only';
    const report = await h.run(BI);
    expect(report.result).toMatchObject({ created: 2, errors: 0 });
    expect(oroAt(therapyStart).map((r) => r.title)).toEqual([PRIVATE_TITLE]);
    expect(oroAt(at(5, 15)).map((r) => r.title)).toEqual([PRIVATE_TITLE]);
    const again = await h.run(BI);
    expect(again.result).toMatchObject({ created: 0, updated: 0, deleted: 0, errors: 0 });
  });
});
