import { DEMO } from '../../../dev/seed';
import { QUEUES } from '../../../shared/messaging/messages';
import { connect } from '../../support/sign-in';
import { useTestStack } from '../../support/stack';

const USER = DEMO.inheritingUserId;
const MEGAN = 'megan.bowen@contoso.example';

/**
 * A run bounded to 2 writes (SYNC_RUN_MAX_WRITES) queues its continuation on the task-sync
 * queue, in the user's session; the queue function picks it up, and the chain goes on until
 * every task is across, once.
 */
describe('a bounded run continues through Service Bus', () => {
  const t = useTestStack({ seed: true, runMaxWrites: 2 });
  beforeAll(() => {
    // Graph's change notifications of our own To Do writes would queue runs of their own that
    // go on with the backlog first (and supersede the continuation): a race this test does not
    // measure. Any run continuing is shown by the superseded case below.
    t.stack.microsoft.subscriptions.autoNotify = false;
  });
  const until = <T>(probe: () => Promise<T | undefined> | T | undefined) => t.until(probe, 30_000);
  const taskStatus = () => t.syncStatus(USER, 'tasks');

  it('the continuation is queued and picked up until all 7 tasks are in To Do, each once', async () => {
    expect((await connect(t.api, USER)).message.ok).toBe(true);
    // The demo's 2 Oro tasks and 5 more: 7 creates, 2 a run.
    for (let i = 1; i <= 5; i++) {
      t.stack.oro.createTask(USER, { subject: `Follow-up ${i}` });
    }
    // A first run, as the queue function would make it: it stops at 2 writes, and the status says so.
    const first = await t.stack.services.sync.run(USER, 'tasks');
    expect(first).toMatchObject({ status: 'ok', continuation: { done: 2, planned: 7 } });
    expect(await taskStatus()).toMatchObject({ state: 'continuing', progress: { done: 2, planned: 7 } });

    // Any run goes on with the work: a manual one, then the continuations it queues.
    await t.stack.services.syncQueue.send([
      {
        body: { userId: USER, entity: 'tasks', reason: 'manual', requestedAt: new Date().toISOString() },
        messageId: `manual:${USER}:tasks:continuation-e2e`,
      },
    ]);
    const done = await until(async () => {
      const s = await taskStatus();
      return s?.lastSyncAt && s.state === 'idle' && !s.progress ? s : undefined;
    });
    expect(done).toMatchObject({ lastResult: { errors: 0 } });
    const titles = t.stack.microsoft
      .todo(MEGAN)
      .all()
      .map((t) => t.title)
      .sort();
    // Megan's own To Do task stays (the demo organization sends tasks one way, Oro → To Do).
    expect(titles).toEqual([
      'Book the flight to Berlin',
      'Call Acme about the renewal',
      'Follow-up 1',
      'Follow-up 2',
      'Follow-up 3',
      'Follow-up 4',
      'Follow-up 5',
      'Prepare the Q3 forecast',
    ]);
    // The manual run and 2 continuations, each taken from the queue (reason "continue").
    const runs = t.logs.filter((l) => l.includes(`taskSync ${USER} (`) && l.includes('): ok'));
    expect(runs.map((l) => /\((\w+)\): ok.*?(continues: .*)?$/.exec(l)?.slice(1))).toEqual([
      ['manual', 'continues: 4 of 7 items done'],
      ['continue', 'continues: 6 of 7 items done'],
      ['continue', undefined],
    ]);

    // A continuation a later run overtook has nothing of its own to do.
    await t.stack.services.syncQueue.send([
      {
        body: {
          userId: USER,
          entity: 'tasks',
          reason: 'continue',
          requestedAt: new Date().toISOString(),
          continues: 1,
        },
        messageId: `continue:${USER}:tasks:1`,
      },
    ]);
    await until(() => t.logs.find((l) => l.includes(`taskSync ${USER} (continue): superseded`)));
    await until(() => (t.stack.serviceBus.counts(QUEUES.tasks).locked === 0 ? true : undefined));
    expect(t.stack.serviceBus.counts(QUEUES.tasks)).toMatchObject({ active: 0, locked: 0, deadLettered: 0 });
  });
});
