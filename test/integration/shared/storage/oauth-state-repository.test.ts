import { OAuthStateRepository } from '../../../../shared/storage/oauth-state-repository';
import { createTableStore } from '../../../../shared/storage/tables';
import { testConnectionString, uniquePrefix } from '../../../support/storage';

describe('OAuth state housekeeping (Azurite)', () => {
  const tables = createTableStore(testConnectionString(), uniquePrefix());
  const repo = new OAuthStateRepository(tables);
  const pending = (expiresAt: string) => ({ userId: '101', sealedVerifier: 'sealed', expiresAt });

  it('removes lapsed sign-ins only; a live one still completes once', async () => {
    await repo.save('lapsed-1', pending('2026-01-01T00:10:00.000Z'));
    await repo.save('lapsed-2', pending('2026-01-01T00:59:59.000Z'));
    await repo.save('live', pending('2026-01-01T01:10:00.000Z'));

    expect(await repo.deleteExpired(new Date('2026-01-01T01:00:00.000Z'))).toBe(2);
    expect(await repo.consume('lapsed-1')).toEqual({ ok: false, reason: 'unknown' });
    expect(await repo.consume('live')).toMatchObject({ ok: true, pending: { userId: '101' } });
    expect(await repo.deleteExpired(new Date('2026-01-02T00:00:00.000Z'))).toBe(0);
  });
});
