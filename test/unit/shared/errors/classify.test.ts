import { classifyAnswer, isRetryable } from '../../../../shared/errors/classify';

describe('classifyAnswer', () => {
  it.each([
    // No answer at all (refused, reset, deadline): another try may get one.
    [0, undefined, 'retryable'],
    [-1, undefined, 'retryable'],
    [408, undefined, 'retryable'],
    [429, 'TooManyRequests', 'retryable'],
    [500, 'generalException', 'retryable'],
    [502, undefined, 'retryable'],
    [503, 'ServiceNotAvailable', 'retryable'],
    [504, undefined, 'retryable'],
    // 501 NotImplemented (Graph: "the requested feature isn't implemented") is for good.
    [501, 'NotImplemented', 'permanent'],
    [505, undefined, 'permanent'],
    [507, 'ErrorQuotaExceeded', 'permanent'],
    [400, 'invalidRequest', 'permanent'],
    [403, 'ErrorAccessDenied', 'permanent'],
    [422, undefined, 'permanent'],
    [401, 'InvalidAuthenticationToken', 'auth'],
    [404, 'ErrorItemNotFound', 'gone'],
    // Graph's delta overview: 410 Gone resets a sync, and an expired token can also be a
    // 400 or 404 carrying syncStateNotFound / resyncRequired.
    [410, undefined, 'resync'],
    [410, 'resyncRequired', 'resync'],
    [400, 'syncStateNotFound', 'resync'],
    [404, 'syncStateNotFound', 'resync'],
    [400, 'SyncStateInvalid', 'resync'],
    [400, 'resyncrequired', 'resync'],
  ] as const)('%d %s → %s', (status, code, expected) => {
    expect(classifyAnswer(status, code)).toBe(expected);
  });

  it('retries only the retryable class', () => {
    expect(
      ['retryable', 'permanent', 'auth', 'gone', 'resync'].filter((k) => isRetryable(k as never)),
    ).toEqual(['retryable']);
  });
});
