import { DEMO } from '../../../dev/seed';
import { connect, openCallback, signInAtSimulator } from '../../support/sign-in';
import { useTestStack } from '../../support/stack';

/** Jest's asymmetric matchers, typed so object literals holding them stay typed. */
const containing = (text: string): unknown => expect.stringContaining(text);
const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);
const anyString = (): unknown => expect.any(String);

const MEGAN = 'megan.bowen@contoso.example';
const ADELE = 'adele.vance@contoso.example';

interface Status {
  status: string;
  accountName?: string;
  signInError?: { at: string; message: string };
}

/** A new Oro user of the demo organization, so each test starts from its own people. */
let users = 0;

describe('a failed sign-in never costs the working connection', () => {
  const t = useTestStack({ seed: true });
  const status = async (user: string) => (await t.api('GET', `/api/users/${user}/connection`)).body as Status;
  const checkOk = async (user: string) =>
    ((await t.api('POST', `/api/users/${user}/connection/check`)).body as { ok: boolean }).ok;
  const authorizeUrl = async (user: string) =>
    ((await t.api('POST', `/api/users/${user}/connection/authorize`)).body as { authorizeUrl: string })
      .authorizeUrl;

  const user = DEMO.inheritingUserId;
  beforeAll(async () => {
    expect((await connect(t.api, user, { account: MEGAN })).message.ok).toBe(true);
  });

  afterEach(async () => {
    // Whatever the attempt was, the user is still connected as before and Check passes.
    expect(await status(user)).toMatchObject({ status: 'connected', accountName: MEGAN });
    expect(await checkOk(user)).toBe(true);
    await expect(t.stack.services.connections.graphAccessToken(user)).resolves.toEqual(anyString());
  });

  it('a tampered code', async () => {
    const callback = new URL(await signInAtSimulator(await authorizeUrl(user)));
    callback.searchParams.set('code', `${callback.searchParams.get('code') ?? ''}x`);
    const page = await openCallback(callback.toString());
    expect(page.message).toMatchObject({
      ok: false,
      userId: user,
      error: containing('did not accept'),
    });
    expect((await status(user)).signInError?.message).toContain('did not accept');
  });

  it("another user's code (sign-in of user 102 delivered with this user's state)", async () => {
    const other = new URL(
      await signInAtSimulator(await authorizeUrl(DEMO.overridingUserId), { account: ADELE }),
    );
    const mine = new URL(await authorizeUrl(user));
    other.searchParams.set('state', mine.searchParams.get('state') ?? '');
    const page = await openCallback(other.toString());
    expect(page.message).toMatchObject({ ok: false, userId: user });
  });

  it('a refused scope', async () => {
    const page = await openCallback(
      await signInAtSimulator(await authorizeUrl(user), { granted: ['User.Read', 'Calendars.ReadWrite'] }),
    );
    expect(page.message).toMatchObject({ ok: false, error: containing('Tasks.ReadWrite') });
  });

  it('a guest of another directory', async () => {
    const page = await openCallback(
      await signInAtSimulator(await authorizeUrl(user), { account: 'guest@fabrikam.example' }),
    );
    expect(page.message).toMatchObject({ ok: false, error: containing('another directory') });
  });
});

describe('one Microsoft account is linked to one Oro user at a time', () => {
  const t = useTestStack({ seed: true });
  const status = async (user: string) => (await t.api('GET', `/api/users/${user}/connection`)).body as Status;
  const created: string[] = [];
  const disconnectAll = async () => {
    for (const u of created.splice(0)) {
      expect((await t.api('DELETE', `/api/users/${u}/connection`)).status).toBe(204);
    }
  };
  afterEach(disconnectAll);
  const newUser = async () => {
    const id = `acct-${++users}`;
    created.push(id);
    const res = await t.api('PUT', `/api/settings/users/${id}`, {
      body: { organizationId: DEMO.organizationId },
    });
    expect(res.status).toBe(201);
    return id;
  };

  it('refuses the second user with a reason, until the first is disconnected', async () => {
    const [a, b] = [await newUser(), await newUser()];
    expect((await connect(t.api, a, { account: MEGAN })).message.ok).toBe(true);

    const refused = await connect(t.api, b, { account: MEGAN });
    expect(refused.status).toBe(400);
    expect(refused.message).toMatchObject({
      ok: false,
      userId: b,
      error: matching(new RegExp(`${MEGAN}.*already connected to Oro user "${a}".*disconnect`, 'i')),
    });
    expect(await status(b)).toMatchObject({
      status: 'disconnected',
      signInError: { message: refused.message.error },
    });
    await expect(t.stack.services.connections.graphAccessToken(b)).rejects.toMatchObject({
      code: 'not-connected',
    });
    expect(await status(a)).toMatchObject({ status: 'connected', accountName: MEGAN });

    // A reconnect of the same user with the same account is no conflict.
    expect((await connect(t.api, a, { account: MEGAN })).message.ok).toBe(true);

    expect((await t.api('DELETE', `/api/users/${a}/connection`)).status).toBe(204);
    expect((await connect(t.api, b, { account: MEGAN })).message).toMatchObject({
      ok: true,
      accountName: MEGAN,
    });
    expect(await status(b)).toMatchObject({ status: 'connected', accountName: MEGAN });
    expect((await status(b)).signInError).toBeUndefined();
  });

  it('keeps a connected user on their own account when the one they ask for belongs to another', async () => {
    const [a, b] = [await newUser(), await newUser()];
    expect((await connect(t.api, a, { account: ADELE })).message.ok).toBe(true);
    expect((await connect(t.api, b, { account: MEGAN })).message.ok).toBe(true);
    expect((await connect(t.api, b, { account: ADELE })).message).toMatchObject({
      ok: false,
      error: containing(`Oro user "${a}"`),
    });
    expect(await status(b)).toMatchObject({ status: 'connected', accountName: MEGAN });
    expect(await status(a)).toMatchObject({ status: 'connected', accountName: ADELE });
  });

  it('switching a user to another account frees the first one', async () => {
    const [a, b] = [await newUser(), await newUser()];
    expect((await connect(t.api, a, { account: ADELE })).message.ok).toBe(true);
    expect((await connect(t.api, a, { account: MEGAN })).message.ok).toBe(true);
    expect((await connect(t.api, b, { account: ADELE })).message).toMatchObject({
      ok: true,
      accountName: ADELE,
    });
  });

  it('one user connecting two accounts at once ends with one of them, and the other free', async () => {
    const [a, b] = [await newUser(), await newUser()];
    const urls = await Promise.all(
      [MEGAN, ADELE].map(async (account) => {
        const res = await t.api('POST', `/api/users/${a}/connection/authorize`);
        return signInAtSimulator((res.body as { authorizeUrl: string }).authorizeUrl, { account });
      }),
    );
    const pages = await Promise.all(urls.map((url) => openCallback(url)));
    expect(pages.every((p) => p.message.ok)).toBe(true);
    const kept = (await status(a)).accountName;
    expect([MEGAN, ADELE]).toContain(kept);
    const other = kept === MEGAN ? ADELE : MEGAN;
    // The account the user did not end with is not held by anyone.
    expect((await connect(t.api, b, { account: other })).message).toMatchObject({
      ok: true,
      accountName: other,
    });
    expect((await connect(t.api, b, { account: kept! })).message.ok).toBe(false);
  });

  it('lets exactly one of two users win when both connect the same account at once', async () => {
    for (let round = 0; round < 3; round++) {
      const [a, b] = [await newUser(), await newUser()];
      const started = await Promise.all(
        [a, b].map(async (u) => {
          const res = await t.api('POST', `/api/users/${u}/connection/authorize`);
          return signInAtSimulator((res.body as { authorizeUrl: string }).authorizeUrl, { account: ADELE });
        }),
      );
      const pages = await Promise.all(started.map((url) => openCallback(url)));
      const winners = pages.filter((p) => p.message.ok);
      expect(winners).toHaveLength(1);
      const winner = winners[0]!.message.userId!;
      const loser = winner === a ? b : a;
      const lost = pages.find((p) => !p.message.ok)!;
      expect(lost.message).toMatchObject({
        userId: loser,
        error: containing(`Oro user "${winner}"`),
      });
      expect(await status(winner)).toMatchObject({ status: 'connected', accountName: ADELE });
      expect(await status(loser)).toMatchObject({
        status: 'disconnected',
        signInError: { message: lost.message.error },
      });
      // The loser has no token, so no run of theirs ever reads the winner's Microsoft data.
      await expect(t.stack.services.connections.graphAccessToken(loser)).rejects.toMatchObject({
        code: 'not-connected',
      });
      const run = await t.stack.services.sync.run(loser, 'tasks');
      expect(run).toMatchObject({ status: 'not-ready' });
      expect(t.stack.oro.tasks(loser)).toEqual([]);
      await disconnectAll();
    }
  });

  /**
   * What a connection made before account claims existed looks like in storage: the
   * account row without its `claimed` mark, and no claim row for the account.
   */
  const makeLegacy = async (user: string) => {
    const table = t.stack.services.tables.client('connections');
    for await (const row of table.listEntities<{ claim?: string }>({
      queryOptions: { filter: "PartitionKey ge 'msaccount:' and PartitionKey lt 'msaccount;'" },
    })) {
      if (row.claim && (JSON.parse(row.claim) as { userId: string }).userId === user) {
        await table.deleteEntity(String(row.partitionKey), String(row.rowKey));
      }
    }
    const entity = await table.getEntity<{ account: string }>(user, `account:${user}`);
    const { claimed: _claimed, ...account } = JSON.parse(entity.account) as Record<string, unknown>;
    await table.updateEntity(
      { partitionKey: user, rowKey: `account:${user}`, account: JSON.stringify(account) },
      'Replace',
    );
  };

  it('claims the account of a connection made before claims existed on its next use', async () => {
    const [a, b] = [await newUser(), await newUser()];
    expect((await connect(t.api, a, { account: MEGAN })).message.ok).toBe(true);
    await makeLegacy(a);
    // Its next use (a run, Check Connection) claims the account for it ...
    await expect(t.stack.services.connections.graphAccessToken(a)).resolves.toEqual(anyString());
    // ... so another user asking for the same account is refused.
    expect((await connect(t.api, b, { account: MEGAN })).message).toMatchObject({
      ok: false,
      error: containing(`Oro user "${a}"`),
    });
    expect(await status(a)).toMatchObject({ status: 'connected', accountName: MEGAN });
  });

  it('takes a pre-claim connection out of service when another user claimed its account meanwhile', async () => {
    const [a, b] = [await newUser(), await newUser()];
    expect((await connect(t.api, a, { account: MEGAN })).message.ok).toBe(true);
    await makeLegacy(a);
    // Nothing in storage said the account was a's: b's sign-in claims it.
    expect((await connect(t.api, b, { account: MEGAN })).message.ok).toBe(true);
    // a gets no token for b's account any more: no run of a's reads or writes it.
    await expect(t.stack.services.connections.graphAccessToken(a)).rejects.toMatchObject({
      code: 'not-connected',
      message: containing(`Oro user "${b}"`),
    });
    expect(await status(a)).toMatchObject({ status: 'reconnect-required' });
    expect(await t.stack.services.sync.run(a, 'tasks')).toMatchObject({ status: 'not-ready' });
    await expect(t.stack.services.connections.graphAccessToken(b)).resolves.toEqual(anyString());
  });

  it('lets exactly one of six users win when all connect the same account at once (5 rounds)', async () => {
    // Six callbacks of one account at the same moment: their checks of the account's claim
    // interleave far more often than two do, so a check-then-write claim lets several win.
    for (let round = 0; round < 5; round++) {
      const racers = await Promise.all(Array.from({ length: 6 }, () => newUser()));
      const started = await Promise.all(
        racers.map(async (u) => {
          const res = await t.api('POST', `/api/users/${u}/connection/authorize`);
          return signInAtSimulator((res.body as { authorizeUrl: string }).authorizeUrl, { account: MEGAN });
        }),
      );
      const pages = await Promise.all(started.map((url) => openCallback(url)));
      const winners = pages.filter((p) => p.message.ok).map((p) => p.message.userId);
      expect(winners).toHaveLength(1);
      const connected = [];
      for (const u of racers) {
        if ((await status(u)).status === 'connected') {
          connected.push(u);
        }
      }
      expect(connected).toEqual(winners);
      await disconnectAll();
    }
  });
});
