import { ConnectionRepository, type StoredAccount } from '../../../../shared/storage/connection-repository';
import { createTableStore } from '../../../../shared/storage/tables';
import { testConnectionString, uniquePrefix } from '../../../support/storage';

const account = (homeAccountId: string): StoredAccount => ({
  status: 'connected',
  homeAccountId,
  username: `${homeAccountId}@contoso.example`,
  displayName: homeAccountId,
  tenantId: 't',
  scopes: [],
  connectedAt: '2026-06-01T10:00:00.000Z',
  updatedAt: '2026-06-01T10:00:00.000Z',
});

describe('connection rows: a new sign-in replaces account and tokens together (Azurite)', () => {
  const repo = new ConnectionRepository(createTableStore(testConnectionString(), uniquePrefix()));

  it('creates both, then replaces both at their ETags', async () => {
    await repo.replaceConnection('u1', account('x'), undefined, 'cache-x', undefined);
    const [a, c] = [await repo.getAccount('u1'), await repo.getCache('u1')];
    expect(a?.value.homeAccountId).toBe('x');
    expect(c?.value).toBe('cache-x');
    await repo.replaceConnection('u1', account('y'), a?.etag, 'cache-y', c?.etag);
    expect((await repo.getAccount('u1'))?.value.homeAccountId).toBe('y');
    expect((await repo.getCache('u1'))?.value).toBe('cache-y');
  });

  it('changes neither when either changed meanwhile', async () => {
    await repo.replaceConnection('u2', account('x'), undefined, 'cache-x', undefined);
    const [a, c] = [await repo.getAccount('u2'), await repo.getCache('u2')];
    await repo.saveCache('u2', 'refreshed', c?.etag); // a concurrent token refresh
    await expect(
      repo.replaceConnection('u2', account('y'), a?.etag, 'cache-y', c?.etag),
    ).rejects.toMatchObject({
      code: 'precondition-failed',
    });
    expect((await repo.getAccount('u2'))?.value.homeAccountId).toBe('x');
    expect((await repo.getCache('u2'))?.value).toBe('refreshed');

    // A create where a row appeared meanwhile, and an update of a row deleted meanwhile.
    await expect(
      repo.replaceConnection('u2', account('y'), a?.etag, 'cache-y', undefined),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
    await repo.deleteCache('u2');
    const fresh = await repo.getAccount('u2');
    await expect(
      repo.replaceConnection('u2', account('y'), fresh?.etag, 'cache-y', c?.etag),
    ).rejects.toMatchObject({
      code: 'precondition-failed',
    });
    expect((await repo.getAccount('u2'))?.value.homeAccountId).toBe('x');
  });
});
