import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../../../shared/crypto/secret-box';
import { parseEtagCondition } from '../../../../shared/http/etag';
import { scopeSettingsWrite, userSettingsWrite } from '../../../../shared/settings/schema';
import { secretContext, SettingsService } from '../../../../shared/settings/service';
import { GLOBAL_ID, SettingsRepository } from '../../../../shared/storage/settings-repository';
import { createTableStore } from '../../../../shared/storage/tables';
import { testConnectionString, uniquePrefix } from '../../../support/storage';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };

describe('SettingsService (Azurite)', () => {
  const tables = createTableStore(testConnectionString(), uniquePrefix());
  const repo = new SettingsRepository(tables);
  const service = new SettingsService(repo, new SecretBox([k1]));
  const ifMatch = (etag: string) => ({ ifMatch: parseEtagCondition(etag) ?? [] });

  it('creates the global level with full defaults on first read', async () => {
    const view = await service.read('global', GLOBAL_ID);
    expect(view.body).toMatchObject({
      syncIntervalMinutes: 30,
      calendar: { enabled: false, direction: 'bidirectional', conflictResolution: 'oro-wins' },
      tasks: { enabled: false, direction: 'bidirectional', conflictResolution: 'oro-wins' },
      microsoftApp: { clientId: null, clientSecretSet: false },
    });
    expect(view.etag).toMatch(/^".+"$/);
  });

  it('stores client secrets encrypted: the raw entity holds no plaintext', async () => {
    const plaintext = `very-secret-${randomBytes(8).toString('hex')}`;
    await service.write(
      'organization',
      'enc',
      { microsoftApp: { clientSecret: plaintext }, oro: { clientSecret: plaintext } },
      'replace',
      {},
    );
    const raw = await tables.client('settings').getEntity<Record<string, unknown>>('organization', 'enc');
    const rawText = JSON.stringify(raw);
    expect(rawText).not.toContain(plaintext);
    expect(rawText).not.toContain(Buffer.from(plaintext).toString('base64'));
    const view = await service.read('organization', 'enc');
    expect(view.body).toEqual({ microsoftApp: { clientSecretSet: true }, oro: { clientSecretSet: true } });
    // …yet it is the secret, sealed for exactly this row.
    const stored = await repo.get('organization', 'enc');
    const sealed = stored?.overrides.microsoftApp?.clientSecret;
    expect(
      sealed && new SecretBox([k1]).open(sealed, secretContext('organization', 'enc', 'microsoftApp')),
    ).toBe(plaintext);
  });

  it('re-seals a kept secret with the new active key after rotation', async () => {
    await service.write(
      'organization',
      'rot',
      { oro: { clientSecret: 'rotate-me', clientId: 'c' } },
      'replace',
      {},
    );
    const rotated = new SettingsService(repo, new SecretBox([k2, k1]));
    await rotated.write('organization', 'rot', { syncIntervalMinutes: 12 }, 'merge', {});
    const sealed = (await repo.get('organization', 'rot'))?.overrides.oro?.clientSecret;
    expect(sealed?.kid).toBe('k2');
    expect(sealed && new SecretBox([k2]).open(sealed, secretContext('organization', 'rot', 'oro'))).toBe(
      'rotate-me',
    );
  });

  it('with If-Match, exactly one of two concurrent writers wins; the other gets 412 and changes nothing', async () => {
    const { etag } = await service.write('organization', 'cc', { syncIntervalMinutes: 1 }, 'replace', {});
    const results = await Promise.allSettled([
      service.write('organization', 'cc', { syncIntervalMinutes: 2 }, 'merge', ifMatch(etag)),
      service.write('organization', 'cc', { tasks: { enabled: true } }, 'merge', ifMatch(etag)),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected?.reason).toMatchObject({ code: 'precondition-failed' });
    const final = (await service.read('organization', 'cc')).body;
    const applied = [final.syncIntervalMinutes === 2, final.tasks?.enabled === true];
    expect(applied.filter(Boolean)).toHaveLength(1);
  });

  it('without If-Match, concurrent merges are applied one over the other: nothing lost', async () => {
    await service.write('organization', 'merge', {}, 'replace', {});
    await Promise.all([
      service.write('organization', 'merge', { syncIntervalMinutes: 2 }, 'merge', {}),
      service.write('organization', 'merge', { tasks: { enabled: true } }, 'merge', {}),
      service.write('organization', 'merge', { calendar: { direction: 'microsoft-to-oro' } }, 'merge', {}),
    ]);
    expect((await service.read('organization', 'merge')).body).toEqual({
      syncIntervalMinutes: 2,
      tasks: { enabled: true },
      calendar: { direction: 'microsoft-to-oro' },
    });
  });

  it('requires an existing organization for a user and remembers it', async () => {
    await expect(
      service.write('user', 'u1', { organizationId: 'ghost' }, 'replace', {}),
    ).rejects.toMatchObject({
      code: 'not-found',
    });
    await expect(
      service.write('user', 'u1', { syncIntervalMinutes: 3 }, 'replace', {}),
    ).rejects.toMatchObject({
      code: 'validation',
      fieldErrors: [{ path: 'organizationId', message: expect.any(String) as unknown }],
    });
    await service.write('organization', 'home', {}, 'replace', {});
    const created = await service.write('user', 'u1', { organizationId: 'home' }, 'replace', {});
    expect(created.created).toBe(true);
    const updated = await service.write('user', 'u1', { syncIntervalMinutes: 3 }, 'replace', {});
    expect(updated).toMatchObject({
      created: false,
      body: { organizationId: 'home', syncIntervalMinutes: 3 },
    });
    expect(await repo.get('user', 'ghost')).toBeUndefined();
  });

  it("hands the run its organization's Oro budget (oro.maxConcurrentRequests), the default 8 where none is set", async () => {
    const oro = { baseUrl: 'https://oro.example.com', clientId: 'sync', clientSecret: 'pw' };
    await service.write(
      'organization',
      'budget-low',
      { oro: { ...oro, maxConcurrentRequests: 3 } },
      'replace',
      {},
    );
    await service.write('organization', 'budget-default', { oro }, 'replace', {});
    await service.write('user', 'budget-u1', { organizationId: 'budget-low' }, 'replace', {});
    await service.write('user', 'budget-u2', { organizationId: 'budget-default' }, 'replace', {});
    expect(await service.oroConnection('budget-u1')).toMatchObject({ maxConcurrentRequests: 3 });
    expect(await service.oroConnection('budget-u2')).toMatchObject({ maxConcurrentRequests: 8 });
    // The API's schema takes 1 to 256 at global and organization level, none at user level.
    expect(scopeSettingsWrite.safeParse({ oro: { maxConcurrentRequests: 0 } }).success).toBe(false);
    expect(scopeSettingsWrite.safeParse({ oro: { maxConcurrentRequests: 256 } }).success).toBe(true);
    expect(userSettingsWrite.safeParse({ oro: { maxConcurrentRequests: 4 } }).success).toBe(false);
  });

  it('refuses to delete an organization that still has users', async () => {
    await service.write('organization', 'busy', {}, 'replace', {});
    await service.write('user', 'busy-user', { organizationId: 'busy' }, 'replace', {});
    await expect(service.remove('organization', 'busy', {})).rejects.toMatchObject({ code: 'conflict' });
    await service.remove('user', 'busy-user', {});
    await service.remove('organization', 'busy', {});
    await expect(service.read('organization', 'busy')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('resolves a user across the three levels with sources', async () => {
    await service.write(
      'global',
      GLOBAL_ID,
      { syncIntervalMinutes: 60, calendar: { enabled: true } },
      'merge',
      {},
    );
    await service.write(
      'organization',
      'res',
      { calendar: { direction: 'oro-to-microsoft', privateEvents: 'skip' } },
      'replace',
      {},
    );
    await service.write(
      'user',
      'res-user',
      { organizationId: 'res', calendar: { conflictResolution: 'field-merge', oroCalendarId: 42 } },
      'replace',
      {},
    );
    const { body } = await service.effective('res-user');
    expect(body.syncIntervalMinutes).toEqual({ value: 60, source: 'global' });
    expect(body.calendar).toEqual({
      enabled: { value: true, source: 'global' },
      direction: { value: 'oro-to-microsoft', source: 'organization' },
      conflictResolution: { value: 'field-merge', source: 'user' },
      privateEvents: { value: 'skip', source: 'organization' },
      oroCalendarId: { value: 42, source: 'user' },
      microsoftCalendarId: { value: null, source: 'global' },
    });
    expect((await service.read('global', GLOBAL_ID)).body.calendar).toHaveProperty(
      'privateEvents',
      'busy-only',
    );
    // The user's own calendar is no default anyone inherits: the global level does not show it.
    expect((await service.read('global', GLOBAL_ID)).body.calendar).not.toHaveProperty('oroCalendarId');
    // Nor is the choice of Outlook calendar or To Do list (user level only, like the Oro calendar).
    expect((await service.read('global', GLOBAL_ID)).body.calendar).not.toHaveProperty('microsoftCalendarId');
    expect((await service.read('global', GLOBAL_ID)).body.tasks).not.toHaveProperty('microsoftListId');
    expect(body.tasks.enabled).toEqual({ value: false, source: 'global' });
  });
});
