import { OAuthStateRepository } from '../../../shared/storage/oauth-state-repository';
import { OroWebhookRepository } from '../../../shared/storage/oro-webhook-repository';
import { useTestStack } from '../../support/stack';
import { runTimerFunction } from '../../support/timers';

describe('housekeeping timer', () => {
  const handle = useTestStack();

  it('runs nightly and removes lapsed sign-ins and Oro webhook ids past their window, not live ones', async () => {
    const { services } = handle.stack;
    const states = new OAuthStateRepository(services.tables);
    await states.save('abandoned', {
      userId: '101',
      sealedVerifier: 's',
      expiresAt: '2020-01-01T00:00:00.000Z',
    });
    const live = new Date(Date.now() + 600_000).toISOString();
    await states.save('in-progress', { userId: '101', sealedVerifier: 's', expiresAt: live });
    const seen = new OroWebhookRepository(services.tables);
    const now = services.now();
    await seen.take('acme', 1, 'old-message', new Date(now.getTime() - 3600_000));
    await seen.take('acme', 2, 'recent-message', now);

    const { schedule, lines } = await runTimerFunction(services, 'housekeeping');
    expect(schedule).toBe('0 15 3 * * *');
    expect(lines).toEqual([
      'housekeeping: 1 lapsed sign-in state(s) removed',
      'housekeeping: 1 remembered Oro webhook message id(s) past the replay window removed',
    ]);
    // A recent id is still remembered: taking it again is a replay.
    expect(await seen.take('acme', 2, 'recent-message', now)).toBe(false);
    expect(await seen.take('acme', 1, 'old-message', now)).toBe(true);
    expect(await states.consume('abandoned')).toEqual({ ok: false, reason: 'unknown' });
    expect(await states.consume('in-progress')).toMatchObject({ ok: true });
  });
});
