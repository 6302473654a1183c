import { DEMO } from '../../../../dev/seed';
import { LEAF_DEFAULTS } from '../../../../shared/settings/model';
import { stateAfter, useOtherInstance } from '../../../support/budget-wait';
import { connect } from '../../../support/sign-in';
import { useTestStack } from '../../../support/stack';

const USER = DEMO.inheritingUserId;

/**
 * An Oro instance's concurrency budget (docs/budgets.md) counts every request this service
 * sends it, not only a sync run's: Check Connection's Oro calendar line waits for a permit
 * like a run does (shared/app/oro-clients.ts).
 */
describe("Oro calls outside runs take the Oro instance's permits", () => {
  const t = useTestStack({ seed: true });
  // Another Functions instance over the same budgets table, its runs holding every permit.
  const other = useOtherInstance(t);

  beforeAll(async () => {
    expect((await connect(t.api, USER)).message.ok).toBe(true);
  });

  it("Check Connection's Oro calendar line waits while runs hold the whole budget, then answers", async () => {
    const max = LEAF_DEFAULTS['oro.maxConcurrentRequests'];
    const holder = other().oro(t.stack.oro.url, max);
    expect(await holder.acquire(max)).toBe(max);
    t.stack.oro.resetCounts();
    const check = t.api('POST', `/api/users/${USER}/connection/check`);
    expect(await stateAfter(check)).toBe('pending');
    expect(t.stack.oro.requestCounts()['GET /api/rest/latest/calendarevents'] ?? 0).toBe(0);
    holder.release(max);
    const answer = await check;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ok: true });
    expect(t.stack.oro.requestCounts()['GET /api/rest/latest/calendarevents']).toBe(1);
  });
});
