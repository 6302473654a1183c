import { DEMO } from '../../../dev/seed';
import { QUEUES } from '../../../shared/messaging/messages';
import { connect } from '../../support/sign-in';
import { useTestStack } from '../../support/stack';
import { until } from '../../support/until';

const USER = DEMO.inheritingUserId;
const MEGAN = 'megan.bowen@contoso.example';

describe('a To Do edit reaches Oro through a change notification, without waiting for the interval', () => {
  const t = useTestStack({ seed: true });

  it('edit in the simulator → notification → task-sync message → Oro', async () => {
    await t.api('PATCH', `/api/settings/users/${USER}`, { body: { tasks: { direction: 'bidirectional' } } });
    expect((await connect(t.api, USER)).message.ok).toBe(true);
    const todo = t.stack.microsoft.todo(MEGAN);
    const oroHas = (subject: string) => t.stack.oro.tasks(USER).find((x) => x.subject === subject);

    // The first sync links the demo tasks (3 on each side afterwards).
    expect((await t.api('POST', `/api/users/${USER}/sync`, { body: { entity: 'tasks' } })).status).toBe(202);
    const linked = await until('the first sync', () =>
      todo.all().length === 3 && t.stack.oro.tasks(USER).length === 3 ? true : undefined,
    );
    expect(linked).toBe(true);

    const task = todo.all().find((x) => x.title === 'Book the flight to Berlin')!;
    const edited = Date.now();
    todo.update(task.id, { title: 'Book the flight to Berlin (aisle seat)' });
    const arrived = await until('the edit in Oro', () => oroHas('Book the flight to Berlin (aisle seat)'));
    const latency = Date.now() - edited;
    expect(arrived).toBeDefined();
    // The interval is 30 minutes: only the notification can have brought it this fast.
    expect(latency).toBeLessThan(15_000);

    const deliveries = t.stack.microsoft.subscriptions.deliveries().filter((d) => d.kind === 'change');
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries.every((d) => d.status === 202 && d.elapsedMs < 3000)).toBe(true);
    process.stdout.write(
      `notification latency: edit → Oro ${latency} ms; webhook answers ${Math.max(...deliveries.map((d) => d.elapsedMs))} ms at most\n`,
    );
  });

  it('a burst of 30 new To Do tasks costs one notification request and one queued run', async () => {
    const todo = t.stack.microsoft.todo(MEGAN);
    const hub = t.stack.microsoft.subscriptions;
    // Runs still going from the previous test (and their own notifications) settle first.
    for (let quiet = 0; quiet < 5;) {
      await new Promise((r) => setTimeout(r, 200));
      await hub.idle();
      const c = t.stack.serviceBus.counts(QUEUES.tasks);
      quiet = c.active + c.locked + c.scheduled === 0 ? quiet + 1 : 0;
    }
    const deliveriesBefore = hub.deliveries().filter((d) => d.kind === 'change').length;
    const queuedBefore = t.stack.serviceBus.sent(QUEUES.tasks);
    const titles = Array.from({ length: 30 }, (_, i) => `Burst task ${i + 1}`);
    const started = Date.now();
    for (const title of titles) {
      todo.create({ title });
    }
    await until('the burst in Oro', () =>
      titles.every((x) => t.stack.oro.tasks(USER).some((o) => o.subject === x)) ? true : undefined,
    );
    const latency = Date.now() - started;
    await hub.idle();
    const burst = hub
      .deliveries()
      .filter((d) => d.kind === 'change')
      .slice(deliveriesBefore);
    // The burst itself is one POST; the run's own writes to To Do may notify once more.
    expect((burst[0]?.body as { value: unknown[] }).value).toHaveLength(30);
    expect(burst[0]?.status).toBe(202);
    const queued = t.stack.serviceBus.sent(QUEUES.tasks);
    expect(
      queued.accepted - queuedBefore.accepted - (queued.duplicatesDropped - queuedBefore.duplicatesDropped),
    ).toBe(1);
    process.stdout.write(
      `notification burst: 30 To Do creates → ${burst.length} webhook request(s), 1 queued run, all in Oro after ${latency} ms\n`,
    );
  });
});
