import { effectiveSettingsRead, settingsLevelRead } from '../../../shared/settings/schema';
import { useTestStack } from '../../support/stack';
import { ORG_ID, CLIENT_ID, expectProblem } from '../../support/settings-api';

describe('settings API over the dev host', () => {
  const t = useTestStack();

  describe('global level', () => {
    it('reads complete defaults with an ETag', async () => {
      const res = await t.api('GET', '/api/settings/global');
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expect(settingsLevelRead.parse(res.body)).toMatchObject({
        syncIntervalMinutes: 30,
        calendar: {
          enabled: false,
          direction: 'bidirectional',
          conflictResolution: 'oro-wins',
          privateEvents: 'busy-only',
        },
        tasks: { enabled: false, direction: 'bidirectional', conflictResolution: 'oro-wins' },
      });
    });

    it('writes with If-Match; a stale ETag gets 412 and changes nothing', async () => {
      const before = await t.api('GET', '/api/settings/global');
      const etag = before.headers.get('etag') ?? '';
      const patched = await t.api('PATCH', '/api/settings/global', {
        body: {
          syncIntervalMinutes: 45,
          microsoftApp: {
            clientId: CLIENT_ID,
            tenantId: 'contoso.onmicrosoft.com',
            clientSecret: 'top-secret-value',
          },
        },
        headers: { 'If-Match': etag },
      });
      expect(patched.status).toBe(200);
      expect(patched.text).not.toContain('top-secret-value');
      expect(patched.body).toMatchObject({
        syncIntervalMinutes: 45,
        microsoftApp: { clientId: CLIENT_ID, clientSecretSet: true },
      });
      const newEtag = patched.headers.get('etag');
      expect(newEtag).not.toBe(etag);

      const stale = await t.api('PUT', '/api/settings/global', {
        body: { syncIntervalMinutes: 5 },
        headers: { 'If-Match': etag },
      });
      expectProblem(stale, 412);
      const after = await t.api('GET', '/api/settings/global');
      expect(after.body).toEqual(patched.body);
      expect(after.headers.get('etag')).toBe(newEtag);
    });

    it('keeps the secret when a GET document is PUT back unchanged', async () => {
      const read = await t.api('GET', '/api/settings/global');
      const put = await t.api('PUT', '/api/settings/global', {
        body: read.body,
        headers: { 'If-Match': read.headers.get('etag') ?? '' },
      });
      expect(put.status).toBe(200);
      expect(put.body).toEqual(read.body);
    });

    it('has no DELETE', async () => {
      const res = await t.api('DELETE', '/api/settings/global');
      expectProblem(res, 405);
      expect(res.headers.get('allow')).toBe('GET, PUT, PATCH');
    });
  });

  describe('organization and user levels', () => {
    it('404s an unknown organization, creates one with PUT (201), merges with PATCH', async () => {
      expectProblem(await t.api('GET', `/api/settings/organizations/${ORG_ID}`), 404);
      const created = await t.api('PUT', `/api/settings/organizations/${ORG_ID}`, {
        body: { calendar: { enabled: true } },
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe(`/api/settings/organizations/${ORG_ID}`);
      expect(created.body).toEqual({ calendar: { enabled: true } });
      const patched = await t.api('PATCH', `/api/settings/organizations/${ORG_ID}`, {
        body: { calendar: { direction: 'oro-to-microsoft' }, syncIntervalMinutes: 20 },
        headers: { 'Content-Type': 'application/merge-patch+json' },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toEqual({
        calendar: { enabled: true, direction: 'oro-to-microsoft' },
        syncIntervalMinutes: 20,
      });
    });

    it('If-None-Match: * creates only', async () => {
      expectProblem(
        await t.api('PUT', `/api/settings/organizations/${ORG_ID}`, {
          body: {},
          headers: { 'If-None-Match': '*' },
        }),
        412,
      );
    });

    it("needs the organization on a user's first write, and a known one", async () => {
      const missing = expectProblem(
        await t.api('PUT', '/api/settings/users/u1', { body: { syncIntervalMinutes: 5 } }),
        400,
      );
      expect(missing.errors).toEqual([{ path: 'organizationId', message: expect.any(String) as unknown }]);
      expectProblem(
        await t.api('PUT', '/api/settings/users/u1', { body: { organizationId: 'nowhere' } }),
        404,
      );
      expectProblem(await t.api('GET', '/api/settings/users/u1'), 404);
      expectProblem(await t.api('GET', '/api/settings/users/u1/effective'), 404);
    });

    it('refuses application credentials at user level, naming them', async () => {
      const problem = expectProblem(
        await t.api('PUT', '/api/settings/users/u1', {
          body: { organizationId: ORG_ID, microsoftApp: { clientId: CLIENT_ID } },
        }),
        400,
      );
      expect(problem.errors).toEqual([
        { path: 'microsoftApp', message: 'set at global or organization level only' },
      ]);
    });

    it('resolves effective settings per field with the level each came from', async () => {
      const created = await t.api('PUT', '/api/settings/users/u1', {
        body: { organizationId: ORG_ID, calendar: { conflictResolution: 'most-recent-wins' } },
      });
      expect(created.status).toBe(201);
      expect(settingsLevelRead.parse(created.body)).toEqual({
        organizationId: ORG_ID,
        calendar: { conflictResolution: 'most-recent-wins' },
      });
      const res = await t.api('GET', '/api/settings/users/u1/effective');
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBeTruthy();
      const effective = effectiveSettingsRead.parse(res.body);
      expect(effective.calendar).toEqual({
        enabled: { value: true, source: 'organization' },
        direction: { value: 'oro-to-microsoft', source: 'organization' },
        conflictResolution: { value: 'most-recent-wins', source: 'user' },
        privateEvents: { value: 'busy-only', source: 'global' },
        oroCalendarId: { value: null, source: 'global' },
        microsoftCalendarId: { value: null, source: 'global' },
      });
      expect(effective.syncIntervalMinutes).toEqual({ value: 20, source: 'organization' });
      // The user's Oro calendar is set on the user only.
      const own = await t.api('PATCH', '/api/settings/users/u1', {
        body: { calendar: { oroCalendarId: 7 } },
      });
      expect(own.status).toBe(200);
      const withId = effectiveSettingsRead.parse(
        (await t.api('GET', '/api/settings/users/u1/effective')).body,
      );
      expect(withId.calendar.oroCalendarId).toEqual({ value: 7, source: 'user' });
      expectProblem(
        await t.api('PATCH', `/api/settings/organizations/${ORG_ID}`, {
          body: { calendar: { oroCalendarId: 7 } },
        }),
        400,
      );
      expect(effective.microsoftApp.clientSecretSet).toEqual({ value: true, source: 'global' });
      expect(res.text).not.toContain('top-secret-value');
    });

    it('clears an override with null so the field inherits again', async () => {
      await t.api('PATCH', '/api/settings/users/u1', { body: { syncIntervalMinutes: 3 } });
      let effective = effectiveSettingsRead.parse(
        (await t.api('GET', '/api/settings/users/u1/effective')).body,
      );
      expect(effective.syncIntervalMinutes).toEqual({ value: 3, source: 'user' });
      await t.api('PATCH', '/api/settings/users/u1', { body: { syncIntervalMinutes: null } });
      effective = effectiveSettingsRead.parse((await t.api('GET', '/api/settings/users/u1/effective')).body);
      expect(effective.syncIntervalMinutes).toEqual({ value: 20, source: 'organization' });
    });

    it('deletes: 409 while the organization has users, 204 after, 404 then', async () => {
      const org = `/api/settings/organizations/${ORG_ID}`;
      const conflict = expectProblem(await t.api('DELETE', org), 409);
      expect(conflict.detail).toContain('users');
      const user = await t.api('GET', '/api/settings/users/u1');
      expectProblem(
        await t.api('DELETE', '/api/settings/users/u1', { headers: { 'If-Match': '"stale"' } }),
        412,
      );
      expect(
        (
          await t.api('DELETE', '/api/settings/users/u1', {
            headers: { 'If-Match': user.headers.get('etag') ?? '' },
          })
        ).status,
      ).toBe(204);
      expect((await t.api('DELETE', org)).status).toBe(204);
      expectProblem(await t.api('DELETE', org), 404);
    });
  });
});
