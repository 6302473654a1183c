import { DEMO } from '../../../../dev/seed';
import { MAILBOX_CONCURRENCY } from '../../../../shared/budget/shared-budget';
import { stateAfter, useOtherInstance } from '../../../support/budget-wait';
import { connect } from '../../../support/sign-in';
import { useTestStack } from '../../../support/stack';

const USER = DEMO.inheritingUserId;
const HOUR = 3600_000;

/**
 * Outlook's 4 concurrent requests per app and mailbox (learn.microsoft.com/graph/
 * throttling-limits#outlook-service-limits) count every request of the app, not only a sync
 * run's: Check Connection, the folder choices and subscription renewals of a user wait for
 * that user's mailbox permits like the runs do (shared/app/graph-clients.ts).
 */
describe("Graph calls outside runs take the user's mailbox permits", () => {
  const t = useTestStack({ seed: true });
  // Another Functions instance over the same budgets table, its run of this user's.
  const other = useOtherInstance(t);

  beforeAll(async () => {
    expect((await connect(t.api, USER)).message.ok).toBe(true);
  });

  /** The other instance's run holds all four permits of the mailbox; the returned function frees them. */
  const fillMailbox = async (): Promise<() => void> => {
    const holder = other().mailbox(USER);
    const held = await holder.acquire(MAILBOX_CONCURRENCY);
    expect(held).toBe(MAILBOX_CONCURRENCY);
    t.stack.microsoft.resetCounts();
    return () => holder.release(held);
  };
  /** Requests Graph (not Entra ID) received since fillMailbox. */
  const graphRequests = () =>
    Object.entries(t.stack.microsoft.requestCounts())
      .filter(([key]) => key.includes(' /v1.0/'))
      .reduce((sum, [, n]) => sum + n, 0);

  it('Check Connection waits while a run holds all four, then answers', async () => {
    const free = await fillMailbox();
    const check = t.api('POST', `/api/users/${USER}/connection/check`);
    expect(await stateAfter(check)).toBe('pending');
    expect(graphRequests()).toBe(0);
    free();
    const answer = await check;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ok: true });
    expect(t.stack.microsoft.requestCounts()['POST /v1.0/$batch']).toBe(1);
  });

  it('the subscription renewal timer waits while a run holds all four, then renews', async () => {
    const before = t.stack.microsoft.subscriptions.all();
    expect(before).toHaveLength(2);
    const free = await fillMailbox();
    // As the timer would 80 hours from now: the To Do subscription (about 70 hours) is then due.
    const renewal = t.stack.services.subscriptions.renewDue(new Date(Date.now() + 80 * HOUR));
    expect(await stateAfter(renewal)).toBe('pending');
    expect(graphRequests()).toBe(0);
    expect(t.stack.microsoft.subscriptions.all()).toEqual(before);
    free();
    expect(await renewal).toEqual({ renewed: 1, recreated: 0, removed: 0, failed: 0 });
    const renewals = Object.entries(t.stack.microsoft.requestCounts()).filter(([key]) =>
      key.startsWith('PATCH /v1.0/subscriptions/'),
    );
    expect(renewals.map(([, n]) => n)).toEqual([1]);
  });

  it('the calendar choice waits while a run holds all four, then lists', async () => {
    const free = await fillMailbox();
    const listing = t.api('GET', `/api/users/${USER}/microsoft/calendars`);
    expect(await stateAfter(listing)).toBe('pending');
    expect(graphRequests()).toBe(0);
    free();
    expect((await listing).status).toBe(200);
  });
});
