/**
 * A decoded wire value (JSON or AMQP) as text: strings as they are, numbers and booleans as
 * String() writes them, anything else as JSON, so an object never turns into "[object Object]".
 */
export function textOf(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (value === undefined) {
    return 'undefined';
  }
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
