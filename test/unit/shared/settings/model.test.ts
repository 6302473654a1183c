import { flatten, resolve, unflatten } from '../../../../shared/settings/model';

describe('settings model', () => {
  it('gives complete defaults when nothing is set: sync off, every 30 min, bidirectional, oro wins', () => {
    const r = resolve({});
    expect(r.syncIntervalMinutes).toEqual({ value: 30, source: 'global' });
    for (const entity of ['calendar', 'tasks'] as const) {
      expect(r[`${entity}.enabled`]).toEqual({ value: false, source: 'global' });
      expect(r[`${entity}.direction`]).toEqual({ value: 'bidirectional', source: 'global' });
      expect(r[`${entity}.conflictResolution`]).toEqual({ value: 'oro-wins', source: 'global' });
    }
    expect(r['microsoftApp.clientId']).toEqual({ value: null, source: 'global' });
  });

  it('inherits per field, not per section', () => {
    const r = resolve({
      global: { 'calendar.enabled': true, 'calendar.direction': 'bidirectional' },
      organization: { 'calendar.direction': 'oro-to-microsoft' },
      user: { 'calendar.conflictResolution': 'field-merge' },
    });
    expect(r['calendar.enabled']).toEqual({ value: true, source: 'global' });
    expect(r['calendar.direction']).toEqual({ value: 'oro-to-microsoft', source: 'organization' });
    expect(r['calendar.conflictResolution']).toEqual({ value: 'field-merge', source: 'user' });
  });

  it('flattens sections into dotted leaves and back', () => {
    const doc = {
      syncIntervalMinutes: 5,
      tasks: { enabled: true },
      microsoftApp: { tenantId: 'contoso.com' },
    };
    expect(flatten(doc)).toEqual({
      syncIntervalMinutes: 5,
      'tasks.enabled': true,
      'microsoftApp.tenantId': 'contoso.com',
    });
    expect(unflatten(flatten(doc))).toEqual(doc);
  });
});
