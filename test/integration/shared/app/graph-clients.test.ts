import { DEMO } from '../../../../dev/seed';
import {
  DEFAULT_TIMINGS,
  MAILBOX_CONCURRENCY,
  SharedBudgets,
  type BudgetTimings,
} from '../../../../shared/budget/shared-budget';
import { BudgetRepository } from '../../../../shared/storage/budget-repository';
import { connect } from '../../../support/sign-in';
import { useTestStack } from '../../../support/stack';

const USER = DEMO.inheritingUserId;
const HOUR = 3600_000;
const FAST: BudgetTimings = { ...DEFAULT_TIMINGS, pollMs: 20, checkMs: 100, lingerMs: 100 };
/** Long enough for any of these calls to finish when it does not wait (they take well under 1 s). */
const WAITED_MS = 2_500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 'pending' when `p` has not settled after `ms`. */
const stateAfter = (p: Promise<unknown>, ms: number): Promise<'settled' | 'pending'> =>
  Promise.race([
    p.then(
      () => 'settled' as const,
      () => 'settled' as const,
    ),
    sleep(ms).then(() => 'pending' as const),
  ]);

/**
 * Outlook's 4 concurrent requests per app and mailbox (learn.microsoft.com/graph/
 * throttling-limits#outlook-service-limits) count every request of the app, not only a sync
 * run's: Check Connection, the folder choices and subscription renewals of a user wait for
 * that user's mailbox permits like the runs do (shared/app/graph-clients.ts).
 */
describe("Graph calls outside runs take the user's mailbox permits", () => {
  const t = useTestStack({ seed: true });
  let other: SharedBudgets;

  beforeAll(async () => {
    expect((await connect(t.api, USER)).message.ok).toBe(true);
  });
  beforeEach(() => {
    // Another Functions instance over the same budgets table, its run of this user's.
    other = new SharedBudgets(new BudgetRepository(t.stack.services.tables), FAST);
  });
  afterEach(() => other.close());

  /** The other instance's run holds all four permits of the mailbox; the returned function frees them. */
  const fillMailbox = async (): Promise<() => void> => {
    const holder = other.mailbox(USER);
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
    expect(await stateAfter(check, WAITED_MS)).toBe('pending');
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
    expect(await stateAfter(renewal, WAITED_MS)).toBe('pending');
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
    expect(await stateAfter(listing, WAITED_MS)).toBe('pending');
    expect(graphRequests()).toBe(0);
    free();
    expect((await listing).status).toBe(200);
  });
});
