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

/** Validates input against a schema or throws a 400 that names every bad field. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  input: unknown,
  what: string,
  options: { prefix?: readonly PropertyKey[]; unknownFieldHints?: Readonly<Record<string, string>> } = {},
): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) {
    return result.data;
  }
  throw validationError(
    `The ${what} is not valid.`,
    toFieldErrors(result.error.issues, options.prefix, options.unknownFieldHints),
  );
}
