import { isThrottled, pathTemplate } from '../../../../shared/telemetry/outbound';

describe('pathTemplate: ids of user data and the query never leave the process', () => {
  it.each([
    [
      'https://graph.microsoft.com/v1.0/me/todo/lists/AAMkADIyAAAhrbPWAAA%3D/tasks/delta?$deltatoken=abc&$expand=linkedResources',
      '/v1.0/me/todo/lists/{id}/tasks/delta',
    ],
    [
      'https://graph.microsoft.com/v1.0/me/events/AAMkAGI2TG93AAA=/instances?startDateTime=2026-01-01T00:00:00Z',
      '/v1.0/me/events/{id}/instances',
    ],
    [
      'https://graph.microsoft.com/v1.0/users/megan.bowen@contoso.example/calendar',
      '/v1.0/users/{id}/calendar',
    ],
    [
      'https://graph.microsoft.com/v1.0/subscriptions/7f105c7d-2dc5-4530-97cd-4e7ae6534c07',
      '/v1.0/subscriptions/{id}',
    ],
    ['https://graph.microsoft.com/v1.0/$batch', '/v1.0/$batch'],
    ['https://oro.example.com/api/tasks/123?include=owner', '/api/tasks/{id}'],
    [
      'https://oro.example.com/crm/api/rest/latest/calendarevents/45',
      '/{id}/api/rest/latest/calendarevents/{id}',
    ],
    ['https://oro.example.com/api/tasks?page%5Bnumber%5D=2&filter%5Bowner%5D=7', '/api/tasks'],
    ['https://oro.example.com/oauth2-token', '/oauth2-token'],
    // Case matters: "Tasks" is not the segment Graph or Oro names, so it may be data.
    ['https://oro.example.com/api/Tasks', '/api/{id}'],
    ['/me/events/abc', '/me/events/{id}'],
  ])('%s → %s', (url, template) => {
    expect(pathTemplate(url)).toBe(template);
  });
});

describe('isThrottled', () => {
  it('is a 429, or a 503 that says when to come back', () => {
    expect(isThrottled(429, null)).toBe(true);
    expect(isThrottled(429, '2')).toBe(true);
    expect(isThrottled(503, '1.5')).toBe(true);
    expect(isThrottled(503, null)).toBe(false);
    expect(isThrottled(500, '1')).toBe(false);
    expect(isThrottled(200, undefined)).toBe(false);
  });
});
