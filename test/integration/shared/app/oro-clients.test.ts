import { DEMO } from '../../../../dev/seed';
import { DEFAULT_TIMINGS, SharedBudgets, type BudgetTimings } from '../../../../shared/budget/shared-budget';
import { LEAF_DEFAULTS } from '../../../../shared/settings/model';
import { BudgetRepository } from '../../../../shared/storage/budget-repository';
import { connect } from '../../../support/sign-in';
import { useTestStack } from '../../../support/stack';

const USER = DEMO.inheritingUserId;
const FAST: BudgetTimings = { ...DEFAULT_TIMINGS, pollMs: 20, checkMs: 100, lingerMs: 100 };
/** Long enough for the check to finish when it does not wait (it takes well under 1 s). */
const WAITED_MS = 2_500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An Oro instance's concurrency budget (docs/budgets.md) counts every request this service
 * sends it, not only a sync run's: Check Connection's Oro calendar line waits for a permit
 * like a run does (shared/app/oro-clients.ts).
 */
describe("Oro calls outside runs take the Oro instance's permits", () => {
  const t = useTestStack({ seed: true });

  beforeAll(async () => {
    expect((await connect(t.api, USER)).message.ok).toBe(true);
  });

  it("Check Connection's Oro calendar line waits while runs hold the whole budget, then answers", async () => {
    // Another Functions instance over the same budgets table, its runs holding every permit.
    const other = new SharedBudgets(new BudgetRepository(t.stack.services.tables), FAST);
    try {
      const max = LEAF_DEFAULTS['oro.maxConcurrentRequests'];
      const holder = other.oro(t.stack.oro.url, max);
      expect(await holder.acquire(max)).toBe(max);
      t.stack.oro.resetCounts();
      const check = t.api('POST', `/api/users/${USER}/connection/check`);
      const waited = await Promise.race([check.then(() => false), sleep(WAITED_MS).then(() => true)]);
      expect(waited).toBe(true);
      expect(t.stack.oro.requestCounts()['GET /api/rest/latest/calendarevents'] ?? 0).toBe(0);
      holder.release(max);
      const answer = await check;
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ ok: true });
      expect(t.stack.oro.requestCounts()['GET /api/rest/latest/calendarevents']).toBe(1);
    } finally {
      await other.close();
    }
  });
});
