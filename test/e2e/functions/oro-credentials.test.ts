import { DEMO } from '../../../dev/seed';
import { connect } from '../../support/sign-in';
import { useTestStack } from '../../support/stack';

/**
 * The stack's sync service keeps one Oro token cache for the process, as a Functions host
 * does: every organization's runs share it.
 */
describe('Oro credentials of one organization never serve another', () => {
  const t = useTestStack({ seed: true });

  it('refuses an organization with the URL and client id of another but a wrong secret, and a rotated secret at once', async () => {
    const acmeUser = DEMO.inheritingUserId; // Oro credentials from the global level
    // Runs are made here, one at a time; no notification queues one alongside.
    t.stack.microsoft.subscriptions.autoNotify = false;
    expect((await connect(t.api, acmeUser, { account: 'megan.bowen@contoso.example' })).message.ok).toBe(
      true,
    );
    expect(await t.stack.services.sync.run(acmeUser, 'tasks')).toMatchObject({ status: 'ok' });

    // Another organization names the same Oro instance and client id, with a guessed secret.
    await t.api('PUT', '/api/settings/organizations/beta', {
      body: { oro: { baseUrl: t.stack.oro.url, clientId: DEMO.oroClientId, clientSecret: 'a-guess' } },
    });
    await t.api('PUT', '/api/settings/users/beta-1', { body: { organizationId: 'beta' } });
    expect((await connect(t.api, 'beta-1', { account: 'adele.vance@contoso.example' })).message.ok).toBe(
      true,
    );
    const before = t.stack.oro.requestCounts()['GET /api/tasks'] ?? 0;
    expect(await t.stack.services.sync.run('beta-1', 'tasks')).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('Oro refused the integration credentials') as unknown,
    });
    expect(t.stack.oro.requestCounts()['GET /api/tasks'] ?? 0).toBe(before); // not one API call

    // The global secret is changed to one Oro does not know: refused from the next run on.
    await t.api('PATCH', '/api/settings/global', { body: { oro: { clientSecret: 'rotated-away' } } });
    expect(await t.stack.services.sync.run(acmeUser, 'tasks')).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('Oro refused the integration credentials') as unknown,
    });
    await t.api('PATCH', '/api/settings/global', { body: { oro: { clientSecret: DEMO.oroClientSecret } } });
    expect(await t.stack.services.sync.run(acmeUser, 'tasks')).toMatchObject({ status: 'ok' });
  });
});
