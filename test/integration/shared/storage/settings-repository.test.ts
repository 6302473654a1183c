import { AppError } from '../../../../shared/errors/app-error';
import { SettingsRepository } from '../../../../shared/storage/settings-repository';
import { createTableStore } from '../../../../shared/storage/tables';
import { testConnectionString, uniquePrefix } from '../../../support/storage';

describe('SettingsRepository (Azurite)', () => {
  const tables = createTableStore(testConnectionString(), uniquePrefix());
  const repo = new SettingsRepository(tables);

  it('round-trips a level with its organization', async () => {
    const created = await repo.create('user', 'u-round', {
      overrides: { calendar: { enabled: true }, syncIntervalMinutes: 7 },
      organizationId: 'org-1',
    });
    const read = await repo.get('user', 'u-round');
    expect(read).toEqual({ ...created, updatedAt: expect.any(String) as unknown });
    expect(read?.overrides).toEqual({ calendar: { enabled: true }, syncIntervalMinutes: 7 });
    expect(read?.organizationId).toBe('org-1');
    expect(read?.etag).toBe(created.etag);
  });

  it('answers undefined for a missing row', async () => {
    expect(await repo.get('organization', 'nope')).toBeUndefined();
  });

  it('refuses to create a row twice', async () => {
    await repo.create('organization', 'twice', { overrides: {} });
    await expect(repo.create('organization', 'twice', { overrides: {} })).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('lets exactly one of two concurrent writers win; the other gets precondition-failed', async () => {
    const base = await repo.create('organization', 'race', { overrides: { syncIntervalMinutes: 1 } });
    const results = await Promise.allSettled([
      repo.replace('organization', 'race', { overrides: { syncIntervalMinutes: 2 } }, base.etag),
      repo.replace('organization', 'race', { overrides: { syncIntervalMinutes: 3 } }, base.etag),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.reason).toBeInstanceOf(AppError);
    expect(lost[0]?.reason).toMatchObject({ code: 'precondition-failed' });
    const final = await repo.get('organization', 'race');
    const winner = (won[0] as PromiseFulfilledResult<{ overrides: unknown; etag: string }>).value;
    expect(final?.overrides).toEqual(winner.overrides);
    expect(final?.etag).toBe(winner.etag);
  });

  it('refuses a delete at a stale ETag and a replace of a deleted row', async () => {
    const v1 = await repo.create('user', 'u-del', { overrides: {}, organizationId: 'o' });
    const v2 = await repo.replace(
      'user',
      'u-del',
      { overrides: { syncIntervalMinutes: 9 }, organizationId: 'o' },
      v1.etag,
    );
    await expect(repo.delete('user', 'u-del', v1.etag)).rejects.toMatchObject({
      code: 'precondition-failed',
    });
    await repo.delete('user', 'u-del', v2.etag);
    await expect(
      repo.replace('user', 'u-del', { overrides: {}, organizationId: 'o' }, v2.etag),
    ).rejects.toMatchObject({ code: 'precondition-failed' });
  });

  it('finds whether an organization has users without reading them all', async () => {
    await repo.create('organization', 'with-users', { overrides: {} });
    await repo.create('organization', 'empty', { overrides: {} });
    await repo.create('user', 'member', { overrides: {}, organizationId: 'with-users' });
    // An id that would break a string-built filter stays a plain value.
    await repo.create('user', "o'brien", { overrides: {}, organizationId: "it's" });
    expect(await repo.hasUsersInOrganization('with-users')).toBe(true);
    expect(await repo.hasUsersInOrganization('empty')).toBe(false);
    expect(await repo.hasUsersInOrganization("it's")).toBe(true);
  });
});
