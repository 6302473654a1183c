import { DEMO } from '../../../dev/seed';
import { connect } from '../../support/sign-in';
import { useTestStack } from '../../support/stack';

const USER = DEMO.inheritingUserId;
const MEGAN = 'megan.bowen@contoso.example';

describe('calendar sync end to end through the dev host and the calendar-sync queue', () => {
  const t = useTestStack({ seed: true });

  const statusOf = async () =>
    ((await t.api('GET', `/api/users/${USER}/sync`)).body as Record<string, Record<string, unknown>>)
      .calendar!;
  const until = async (done: (s: Record<string, unknown>) => boolean) => {
    const end = Date.now() + 20_000;
    for (;;) {
      const s = await statusOf();
      if (done(s)) {
        return s;
      }
      if (Date.now() > end) {
        throw new Error(`the queued calendar run did not finish: ${JSON.stringify(s)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  /**
   * A run of our own, once no queued one holds the user's lease: the Outlook writes of the
   * test before notify Graph's subscription, and the run they queue may still be going.
   */
  const runWhenFree = async () => {
    const end = Date.now() + 20_000;
    for (;;) {
      const run = await t.stack.services.sync.run(USER, 'calendar');
      if (run.status !== 'busy' || Date.now() > end) {
        return run;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const oroTitles = () =>
    t.stack.oro.calendar
      .events(USER)
      .filter((e) => e.recurringEventId === null)
      .map((e) => e.title)
      .sort();
  const msTitles = () =>
    t.stack.microsoft
      .calendar(MEGAN)
      .all()
      .map((e) => String(e.subject))
      .sort();

  it('syncs the demo calendar both ways on a queued run, then an Outlook edit on the next', async () => {
    expect((await connect(t.api, USER)).message.ok).toBe(true);
    const queued = await t.api('POST', `/api/users/${USER}/sync`, { body: { entity: 'calendar' } });
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ queued: [{ entity: 'calendar' }] });

    const first = await until((s) => s.lastSyncAt !== null && s.state !== 'running' && s.state !== 'queued');
    expect(first).toMatchObject({ state: 'idle', lastResult: { created: 5, errors: 0 } });
    const all = ['Dentist', 'Partner briefing', 'Quarterly review with Acme', 'Sales standup', 'Trade fair'];
    expect(oroTitles()).toEqual(all);
    expect(msTitles()).toEqual(all);
    // Oro sent nothing; Microsoft invited the one attendee of the user's own meeting.
    expect(t.stack.oro.calendar.notifications()).toBe(0);
    expect(
      t.stack.microsoft
        .calendar(MEGAN)
        .messages()
        .map((m) => m.kind),
    ).toEqual(['invitation']);

    const dentist = t.stack.microsoft
      .calendar(MEGAN)
      .all()
      .find((e) => e.subject === 'Dentist')!;
    t.stack.microsoft.calendar(MEGAN).update(dentist.id, { subject: 'Dentist (moved to Friday)' });
    await t.api('POST', `/api/users/${USER}/sync`, { body: { entity: 'calendar' } });
    await until((s) => s.lastSyncAt !== first.lastSyncAt && s.state === 'idle');
    expect(oroTitles()).toContain('Dentist (moved to Friday)');

    const log = (await t.api('GET', `/api/users/${USER}/sync/log?entity=calendar&limit=50`)).body as {
      entries: { action: string; direction: string; outcome: string }[];
    };
    expect(log.entries.filter((e) => e.action === 'create' && e.outcome === 'ok')).toHaveLength(5);
  });

  it("without the user's Oro calendar id, a run fails once with a reason naming the setting, not retried", async () => {
    const cleared = await t.api('PATCH', `/api/settings/users/${USER}`, {
      body: { calendar: { oroCalendarId: null } },
    });
    expect(cleared.status).toBe(200);
    const run = await runWhenFree();
    expect(run).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('calendar.oroCalendarId') as unknown,
    });
    expect(run).not.toHaveProperty('transient'); // nothing for the worker to retry
    expect(await statusOf()).toMatchObject({
      state: 'error',
      lastError: expect.stringContaining('No Oro calendar is known for user "101"') as unknown,
    });
    const restored = await t.api('PATCH', `/api/settings/users/${USER}`, {
      body: { calendar: { oroCalendarId: t.stack.oro.calendar.defaultCalendar(USER) } },
    });
    expect(restored.status).toBe(200);
    expect(await runWhenFree()).toMatchObject({ status: 'ok' });
  });
});
