import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../../../../shared/config/config';

const key = randomBytes(32).toString('base64');
const valid = {
  STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
  SECRET_KEYS: `k2:${key},k1:${randomBytes(32).toString('base64')}`,
  AUTH_ISSUER: 'https://login.microsoftonline.com/t/v2.0',
  AUTH_AUDIENCE: 'api://x',
  AUTH_JWKS_URI: 'https://login.microsoftonline.com/t/discovery/v2.0/keys',
  PORTAL_ORIGIN: 'https://crm.example.com',
  SERVICEBUS_CONNECTION_STRING:
    'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0',
};

describe('loadConfig', () => {
  it('reads a valid environment, the first key active', () => {
    const config = loadConfig(valid);
    expect(config.secretKeys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(config.secretKeys[0].key).toEqual(Buffer.from(key, 'base64'));
    expect(config.auth.adminRole).toBe('Sync.Admin');
    expect(config.storage.tablePrefix).toBe('');
    expect(config.microsoft).toEqual({
      authorityHost: 'https://login.microsoftonline.com',
      graphBaseUrl: 'https://graph.microsoft.com',
    });
  });

  it('wants the portal origin without a path', () => {
    expect(() => loadConfig({ ...valid, PORTAL_ORIGIN: 'https://crm.example.com/admin' })).toThrow(
      /PORTAL_ORIGIN/,
    );
    expect(loadConfig({ ...valid, PORTAL_ORIGIN: 'https://crm.example.com/' }).portalOrigin).toBe(
      'https://crm.example.com',
    );
  });

  it('takes the public base URL for Graph notifications, else the Azure host name, else none (polling only)', () => {
    expect(loadConfig(valid).publicBaseUrl).toBeUndefined();
    expect(loadConfig({ ...valid, WEBSITE_HOSTNAME: 'sync.azurewebsites.net' }).publicBaseUrl).toBe(
      'https://sync.azurewebsites.net',
    );
    expect(
      loadConfig({ ...valid, PUBLIC_BASE_URL: 'https://sync.example.com/', WEBSITE_HOSTNAME: 'x.net' })
        .publicBaseUrl,
    ).toBe('https://sync.example.com');
    expect(loadConfig({ ...valid, PUBLIC_BASE_URL: 'http://localhost:7071' }).publicBaseUrl).toBe(
      'http://localhost:7071',
    );
    expect(() => loadConfig({ ...valid, PUBLIC_BASE_URL: 'http://sync.example.com' })).toThrow(
      /PUBLIC_BASE_URL/,
    );
  });

  it('takes the calendar window in whole days, 30 back and 365 ahead by default', () => {
    expect(loadConfig(valid).calendarWindow).toEqual({ pastDays: 30, futureDays: 365 });
    expect(
      loadConfig({ ...valid, CALENDAR_WINDOW_PAST_DAYS: '7', CALENDAR_WINDOW_FUTURE_DAYS: '90' })
        .calendarWindow,
    ).toEqual({ pastDays: 7, futureDays: 90 });
    expect(() => loadConfig({ ...valid, CALENDAR_WINDOW_FUTURE_DAYS: '0' })).toThrow(
      /CALENDAR_WINDOW_FUTURE_DAYS/,
    );
    expect(() => loadConfig({ ...valid, CALENDAR_WINDOW_PAST_DAYS: '1.5' })).toThrow(
      /CALENDAR_WINDOW_PAST_DAYS/,
    );
  });

  it('bounds a sync run to 1,000 writes and 180 s by default, under the 5-minute queue lock', () => {
    expect(loadConfig(valid).runBounds).toEqual({ maxWrites: 1000, maxRunMs: 180_000 });
    expect(
      loadConfig({ ...valid, SYNC_RUN_MAX_WRITES: '200', SYNC_RUN_MAX_SECONDS: '60' }).runBounds,
    ).toEqual({ maxWrites: 200, maxRunMs: 60_000 });
    expect(() => loadConfig({ ...valid, SYNC_RUN_MAX_SECONDS: '300' })).toThrow(/SYNC_RUN_MAX_SECONDS/);
    expect(() => loadConfig({ ...valid, SYNC_RUN_MAX_WRITES: '0' })).toThrow(/SYNC_RUN_MAX_WRITES/);
  });

  it('falls back to AzureWebJobsStorage', () => {
    const { STORAGE_CONNECTION_STRING: _omit, ...rest } = valid;
    expect(loadConfig({ ...rest, AzureWebJobsStorage: 'UseDevelopmentStorage=true' }).storage).toMatchObject({
      connectionString: 'UseDevelopmentStorage=true',
    });
  });

  it('reads the Service Bus connection, falling back to the trigger binding setting SERVICEBUS_CONNECTION', () => {
    expect(loadConfig(valid).serviceBus).toEqual({ connectionString: valid.SERVICEBUS_CONNECTION_STRING });
    const { SERVICEBUS_CONNECTION_STRING: _omit, ...rest } = valid;
    const local =
      'Endpoint=sb://localhost:5672;SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true';
    expect(loadConfig({ ...rest, SERVICEBUS_CONNECTION: local }).serviceBus).toEqual({
      connectionString: local,
    });
    expect(() => loadConfig(rest)).toThrow(/SERVICEBUS_CONNECTION_STRING/);
  });

  it('rejects a Service Bus setting that is not a connection string, without echoing it', () => {
    const secretish = 'SharedAccessKey=abc123secret';
    let message = '';
    try {
      loadConfig({ ...valid, SERVICEBUS_CONNECTION_STRING: secretish });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/SERVICEBUS_CONNECTION_STRING: a Service Bus connection string/);
    expect(message).not.toContain('abc123secret');
  });

  it('names every bad variable at once', () => {
    const attempt = () =>
      loadConfig({ ...valid, AUTH_ISSUER: 'not a url', TABLE_PREFIX: '9bad', AUTH_AUDIENCE: '' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/AUTH_ISSUER[\s\S]*TABLE_PREFIX|TABLE_PREFIX[\s\S]*AUTH_ISSUER/);
    expect(attempt).toThrow(/AUTH_AUDIENCE/);
  });

  it('rejects a short key without echoing it', () => {
    const shortKey = randomBytes(16).toString('base64');
    let message = '';
    try {
      loadConfig({ ...valid, SECRET_KEYS: `k1:${shortKey}` });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/SECRET_KEYS/);
    expect(message).not.toContain(shortKey);
  });

  it('rejects a repeated key id', () => {
    expect(() => loadConfig({ ...valid, SECRET_KEYS: `a:${key},a:${key}` })).toThrow(/appears twice/);
  });
});
