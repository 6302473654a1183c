import { DEMO } from '../../../dev/seed';
import type { SyncEntity } from '../../../shared/storage/sync-state-repository';
import { connect } from '../../support/sign-in';
import { useTestStack } from '../../support/stack';

const USER = DEMO.inheritingUserId;
const MEGAN = 'megan.bowen@contoso.example';
const ADELE = 'adele.vance@contoso.example';

describe('reconnecting a user with another Microsoft account', () => {
  const t = useTestStack({ seed: true });

  /** One run now; a run the notifications queued meanwhile holds the lease for a moment. */
  const run = async (entity: SyncEntity) => {
    for (let attempt = 0; ; attempt++) {
      const report = await t.stack.services.sync.run(USER, entity);
      if (!('status' in report) || report.status !== 'busy' || attempt > 50) {
        return report;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const oroTasks = () =>
    t.stack.oro
      .tasks(USER)
      .map((x) => x.subject)
      .sort();
  const todo = (account: string) =>
    t.stack.microsoft
      .todo(account)
      .all()
      .map((x) => x.title)
      .sort();
  const oroEvents = () =>
    t.stack.oro.calendar
      .events(USER)
      .filter((e) => e.recurringEventId === null)
      .map((e) => e.title)
      .sort();
  const outlook = (account: string) =>
    t.stack.microsoft
      .calendar(account)
      .all()
      .map((e) => String(e.subject))
      .sort();

  it("starts the new account from a clean cursor: no 404, nothing deleted, the new account's items flow", async () => {
    await t.api('PATCH', `/api/settings/users/${USER}`, { body: { tasks: { direction: 'bidirectional' } } });
    expect((await connect(t.api, USER, { account: MEGAN })).message.ok).toBe(true);
    expect(await run('tasks')).toMatchObject({ status: 'ok', result: { errors: 0 } });
    expect(await run('calendar')).toMatchObject({ status: 'ok', result: { errors: 0 } });
    const tasksBefore = oroTasks();
    const eventsBefore = oroEvents();
    const meganTasks = todo(MEGAN);
    const meganEvents = outlook(MEGAN);
    expect(tasksBefore.length).toBeGreaterThan(0);
    expect(eventsBefore.length).toBeGreaterThan(0);

    t.stack.microsoft.todo(ADELE).create({ title: "Adele's expense report" });
    const start = new Date(Date.now() + 3 * 86_400_000);
    start.setUTCHours(14, 0, 0, 0);
    t.stack.microsoft.calendar(ADELE).create({
      subject: "Adele's one-on-one",
      start: { dateTime: start.toISOString().slice(0, 19), timeZone: 'UTC' },
      end: { dateTime: new Date(start.getTime() + 1800_000).toISOString().slice(0, 19), timeZone: 'UTC' },
    });

    const adeleTasks = todo(ADELE);
    const adeleEvents = outlook(ADELE);

    // Connect again, as Adele this time, without a disconnect in between.
    expect((await connect(t.api, USER, { account: ADELE })).message).toMatchObject({
      ok: true,
      accountName: ADELE,
    });
    const tasks = await run('tasks');
    expect(tasks).toMatchObject({ status: 'ok', result: { deleted: 0, errors: 0 } });
    const calendar = await run('calendar');
    expect(calendar).toMatchObject({ status: 'ok', result: { deleted: 0, errors: 0 } });

    // Nothing was deleted on either side, and Megan's account was not written to.
    expect(oroTasks()).toEqual([...tasksBefore, ...adeleTasks].sort());
    expect(oroEvents()).toEqual([...eventsBefore, ...adeleEvents].sort());
    expect(oroTasks()).toContain("Adele's expense report");
    expect(oroEvents()).toContain("Adele's one-on-one");
    expect(todo(MEGAN)).toEqual(meganTasks);
    expect(outlook(MEGAN)).toEqual(meganEvents);
    // Adele's account now holds the user's Oro items, and her own.
    expect(todo(ADELE)).toEqual(oroTasks());
    expect(outlook(ADELE)).toEqual(oroEvents());

    const status = (await t.api('GET', `/api/users/${USER}/sync`)).body as Record<
      string,
      Record<string, unknown>
    >;
    expect(status.tasks).not.toHaveProperty('lastError');
    expect(status.calendar).not.toHaveProperty('lastError');

    const log = (await t.api('GET', `/api/users/${USER}/sync/log?entity=tasks&limit=100`)).body as {
      entries: { action: string; detail?: string }[];
    };
    const unlinked = log.entries.filter((e) => e.action === 'unlink');
    expect(unlinked).toHaveLength(1);
    expect(unlinked[0]?.detail).toMatch(/another Microsoft account.*retired/);

    // And the next runs are quiet.
    expect(await run('tasks')).toMatchObject({ status: 'ok', result: { created: 0, deleted: 0, errors: 0 } });
    expect(await run('calendar')).toMatchObject({
      status: 'ok',
      result: { created: 0, deleted: 0, errors: 0 },
    });
  });
});
