import { scopeSettingsWrite, userSettingsWrite } from '../../../../shared/settings/schema';

describe('settings schema: calendar.privateEvents', () => {
  it.each(['busy-only', 'skip', 'full', null])('takes %p at every level', (value) => {
    const body = { calendar: { privateEvents: value } };
    expect(scopeSettingsWrite.safeParse(body).success).toBe(true);
    expect(userSettingsWrite.safeParse(body).success).toBe(true);
  });

  it('refuses any other value, naming the field', () => {
    const parsed = scopeSettingsWrite.safeParse({ calendar: { privateEvents: 'hidden' } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(['calendar.privateEvents']);
  });
});
