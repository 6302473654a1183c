import type { Stack } from '../../../dev/stack';
import { DEMO } from '../../../dev/seed';
import { apiClient, startTestStack } from '../../support/stack';
import { connect, openCallback, signInAtSimulator } from '../../support/sign-in';

const USER = DEMO.inheritingUserId;

describe('Microsoft account connection', () => {
  let stack: Stack;
  let api: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    stack = await startTestStack({ seed: true });
    api = apiClient(stack.url, await stack.adminToken());
  });
  afterAll(() => stack.close());

  it('connects through the popup flow and reports three green checks', async () => {
    const page = await connect(api, USER);
    expect(page.status).toBe(200);
    expect(page.message).toEqual({
      type: 'microsoft-connection',
      ok: true,
      userId: USER,
      accountName: 'megan.bowen@contoso.example',
    });
    expect(page.origin).toBe(stack.url);

    const status = await api('GET', `/api/users/${USER}/connection`);
    expect(status.body).toMatchObject({ status: 'connected', accountName: 'megan.bowen@contoso.example' });

    const check = await api('POST', `/api/users/${USER}/connection/check`);
    expect(check.status).toBe(200);
    expect(check.body).toEqual({
      ok: true,
      checks: [
        { name: 'profile', ok: true, detail: 'Signed in as Megan Bowen <megan.bowen@contoso.example>' },
        { name: 'calendar', ok: true, detail: 'Calendar "Calendar" can be written' },
        { name: 'tasks', ok: true, detail: 'To Do list "Tasks" found' },
      ],
    });
  });

  it('refuses a replayed state', async () => {
    const started = await api('POST', `/api/users/${USER}/connection/authorize`);
    const callback = await signInAtSimulator((started.body as { authorizeUrl: string }).authorizeUrl);
    expect((await openCallback(callback)).message.ok).toBe(true);
    const replay = await openCallback(callback);
    expect(replay.status).toBe(400);
    expect(replay.message).toMatchObject({ ok: false, error: expect.stringMatching(/already/) });
  });
});
