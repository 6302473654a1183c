import { GraphError } from '@microsoft/microsoft-graph-client';
import { asSideError, graphAnswerClass, retryAfterMs } from '../../../../shared/microsoft/graph-client';
import { SideError } from '../../../../shared/sync/ports';

const graphError = (status: number, code?: string) => {
  const e = new GraphError(status, `${status} ${code ?? ''}`);
  if (code !== undefined) {
    e.code = code;
  }
  return e;
};

describe('Graph answers, classified once (shared/errors/classify.ts)', () => {
  it.each([
    [501, 'notSupported', 'permanent'],
    [503, 'serviceNotAvailable', 'retryable'],
    [401, 'InvalidAuthenticationToken', 'auth'],
    [404, 'ErrorItemNotFound', 'gone'],
    [400, 'syncStateNotFound', 'resync'],
    [404, 'syncStateNotFound', 'resync'],
    [410, undefined, 'resync'],
    // No answer at all: the SDK reports -1 and the fetch error's name.
    [-1, 'TypeError', 'retryable'],
  ] as const)('a failed request %d %s → %s', (status, code, kind) => {
    const side = asSideError(graphError(status, code));
    expect(side).toBeInstanceOf(SideError);
    expect(side).toMatchObject({ kind, retryable: kind === 'retryable', status });
  });

  it('a $batch step is classified by its own status and error code', () => {
    expect(graphAnswerClass({ status: 400, body: { error: { code: 'resyncRequired', message: '' } } })).toBe(
      'resync',
    );
    expect(graphAnswerClass({ status: 501, body: { error: { code: 'notSupported', message: '' } } })).toBe(
      'permanent',
    );
    expect(graphAnswerClass({ status: 0, body: undefined })).toBe('retryable');
    expect(graphAnswerClass({ status: 403, body: { error: { code: '', message: 'denied' } } })).toBe(
      'permanent',
    );
  });

  it('reads Retry-After in fractional seconds', () => {
    expect(retryAfterMs({ 'Retry-After': '2.128' })).toBe(2128);
    expect(retryAfterMs({ 'retry-after': '0' })).toBe(0);
    expect(retryAfterMs({})).toBeUndefined();
  });
});
