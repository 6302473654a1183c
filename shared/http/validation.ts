import type { z } from 'zod';
import { validationError, type FieldError } from '../errors/app-error';

const pathOf = (segments: readonly PropertyKey[]): string => segments.map(String).join('.');

/** Turns zod issues into one FieldError per offending field; each unknown key is named on its own. */
export function toFieldErrors(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
  unknownFieldHints: Readonly<Record<string, string>> = {},
): FieldError[] {
  return issues.flatMap((issue): FieldError[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const fieldPath = pathOf([...path, key]);
        // Own string hints only: a key named "constructor" or "__proto__" must not find
        // Object.prototype's members.
        const hint = Object.hasOwn(unknownFieldHints, fieldPath) ? unknownFieldHints[fieldPath] : undefined;
        return { path: fieldPath, message: typeof hint === 'string' ? hint : 'unknown field' };
      });
    }
    return [{ path: pathOf(path), message: issue.message }];
  });
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  int: 'a whole number',
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'null',
};

/**
 * Validation messages as sentences a person acts on ("must be a whole number"), in place of
 * the validator's own wording. Used where a schema gives no message of its own: zod applies
 * a schema's message first, then this per-parse one.
 */
export function sentenceFor(issue: z.core.$ZodRawIssue): string | undefined {
  const bound = (
    i: { minimum?: unknown; maximum?: unknown; origin?: unknown; inclusive?: unknown },
    least: boolean,
  ) => {
    const n = String(least ? i.minimum : i.maximum);
    const exact = i.inclusive !== false;
    const comparison = least ? (exact ? 'at least' : 'more than') : exact ? 'at most' : 'less than';
    if (i.origin === 'string') {
      return `must be ${comparison} ${n} characters long`;
    }
    if (i.origin === 'array' || i.origin === 'set') {
      return `must have ${comparison} ${n} items`;
    }
    return `must be ${comparison} ${n}`;
  };
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) {
        return 'is required';
      }
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'too_small':
      return bound(issue, true);
    case 'too_big':
      return bound(issue, false);
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex' ? 'is not in the expected format' : `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_union':
      return 'does not match any of the accepted forms';
    default:
      return undefined;
  }
}

/** Validates input against a schema or throws a 400 that names every bad field. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  input: unknown,
  what: string,
  options: { prefix?: readonly PropertyKey[]; unknownFieldHints?: Readonly<Record<string, string>> } = {},
): z.infer<T> {
  const result = schema.safeParse(input, { error: sentenceFor });
  if (result.success) {
    return result.data;
  }
  throw validationError(
    `The ${what} is not valid.`,
    toFieldErrors(result.error.issues, options.prefix, options.unknownFieldHints),
  );
}
