import { OAuthStateRepository } from '../../../shared/storage/oauth-state-repository';
import { useTestStack } from '../../support/stack';
import { runTimerFunction } from '../../support/timers';

describe('housekeeping timer', () => {
  const handle = useTestStack();

  it('runs nightly and removes lapsed sign-ins, not live ones', async () => {
    const { services } = handle.stack;
    const states = new OAuthStateRepository(services.tables);
    await states.save('abandoned', {
      userId: '101',
      sealedVerifier: 's',
      expiresAt: '2020-01-01T00:00:00.000Z',
    });
    const live = new Date(Date.now() + 600_000).toISOString();
    await states.save('in-progress', { userId: '101', sealedVerifier: 's', expiresAt: live });

    const { schedule, lines } = await runTimerFunction(services, 'housekeeping');
    expect(schedule).toBe('0 15 3 * * *');
    expect(lines).toEqual(['housekeeping: 1 lapsed sign-in state(s) removed']);
    expect(await states.consume('abandoned')).toEqual({ ok: false, reason: 'unknown' });
    expect(await states.consume('in-progress')).toMatchObject({ ok: true });
  });
});
