import { AccountClaims, CLAIM_GRACE_MS } from '../../../../shared/connection/account-claims';
import { ConnectionRepository, type StoredAccount } from '../../../../shared/storage/connection-repository';
import { createTableStore } from '../../../../shared/storage/tables';
import { testConnectionString, uniquePrefix } from '../../../support/storage';

const containing = (text: string): unknown => expect.stringContaining(text);

const X = { homeAccountId: 'oid-x.tenant-t', username: 'x@contoso.example' };
const at = (ms: number) => new Date(Date.parse('2026-06-01T10:00:00Z') + ms);
const account = (homeAccountId: string, status: StoredAccount['status']): StoredAccount => ({
  status,
  homeAccountId,
  username: 'x@contoso.example',
  displayName: 'X',
  tenantId: 'tenant-t',
  scopes: [],
  connectedAt: at(0).toISOString(),
  updatedAt: at(0).toISOString(),
});

describe('account claims: one Microsoft account, one Oro user', () => {
  const repository = new ConnectionRepository(createTableStore(testConnectionString(), uniquePrefix()));
  const deleted = new Set<string>();
  const claims = new AccountClaims(repository, (u) => Promise.resolve(!deleted.has(u)));

  it('gives a claim to exactly one of many users asking at once', async () => {
    const home = { ...X, homeAccountId: 'oid-race.tenant-t' };
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => claims.claim(`race-${i}`, home, at(0))),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toHaveLength(7);
  });

  it('takes over a claim left by a crash before the account row, only after the grace period', async () => {
    const home = { ...X, homeAccountId: 'oid-crash.tenant-t' };
    expect(await claims.claim('crashed', home, at(0))).toEqual({ ok: true, taken: true });
    // "crashed" never wrote its account row.
    expect(await claims.claim('next', home, at(CLAIM_GRACE_MS - 1000))).toMatchObject({
      ok: false,
      error: containing('being connected to Oro user "crashed"'),
    });
    expect(await claims.claim('next', home, at(CLAIM_GRACE_MS + 1000))).toEqual({ ok: true, taken: true });
    expect((await repository.getClaim(home.homeAccountId))?.value.userId).toBe('next');
  });

  it('never takes a claim its holder shows as connected or reconnect-required, however old', async () => {
    for (const status of ['connected', 'reconnect-required'] as const) {
      const home = { ...X, homeAccountId: `oid-held-${status}.tenant-t` };
      const holder = `holder-${status}`;
      await claims.claim(holder, home, at(0));
      await repository.saveAccount(holder, account(home.homeAccountId, status));
      expect(await claims.claim('other', home, at(10 * CLAIM_GRACE_MS))).toMatchObject({
        ok: false,
        error: containing(`already connected to Oro user "${holder}"`),
      });
    }
  });

  it('frees the claim of a holder deleted from the settings, and releases only its own', async () => {
    const home = { ...X, homeAccountId: 'oid-gone.tenant-t' };
    await claims.claim('gone', home, at(0));
    await repository.saveAccount('gone', account(home.homeAccountId, 'connected'));
    deleted.add('gone');
    expect(await claims.claim('heir', home, at(1000))).toEqual({ ok: true, taken: true });
    await claims.release('gone', home.homeAccountId); // not theirs any more: left alone
    expect((await repository.getClaim(home.homeAccountId))?.value.userId).toBe('heir');
    await claims.release('heir', home.homeAccountId);
    expect(await repository.getClaim(home.homeAccountId)).toBeUndefined();
  });
});
