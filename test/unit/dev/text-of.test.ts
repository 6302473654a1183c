import { textOf } from '../../../dev/text-of';

describe('textOf', () => {
  it('writes strings, numbers, booleans and undefined as String() does', () => {
    for (const value of ['amqp:not-found', '', 42, 1.5, true, false, 10n, undefined]) {
      expect(textOf(value)).toBe(String(value));
    }
  });

  it('writes null, objects and arrays as JSON instead of "[object Object]"', () => {
    expect(textOf(null)).toBe('null');
    expect(textOf({ name: 'x' })).toBe('{"name":"x"}');
    expect(textOf(['a', 1])).toBe('["a",1]');
  });
});
