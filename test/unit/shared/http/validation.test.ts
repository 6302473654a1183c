import { z } from 'zod';
import type { AppError } from '../../../../shared/errors/app-error';
import { parseInput } from '../../../../shared/http/validation';
import { userSettingsWrite } from '../../../../shared/settings/schema';

const messagesOf = (schema: z.ZodType, input: unknown): Record<string, string> => {
  try {
    parseInput(schema, input, 'body');
  } catch (error) {
    return Object.fromEntries((error as AppError).fieldErrors.map((e) => [e.path, e.message]));
  }
  throw new Error('expected a validation error');
};

describe('validation messages read as sentences', () => {
  it('names what each settings field must be, not the validator’s wording', () => {
    expect(
      messagesOf(userSettingsWrite, {
        syncIntervalMinutes: 2.5,
        calendar: { enabled: 'yes', direction: 'sideways' },
        tasks: { conflictResolution: 7 },
      }),
    ).toEqual({
      syncIntervalMinutes: 'must be a whole number',
      'calendar.enabled': 'must be true or false',
      'calendar.direction': 'must be one of "oro-to-microsoft", "microsoft-to-oro", "bidirectional"',
      'tasks.conflictResolution':
        'must be one of "oro-wins", "microsoft-wins", "most-recent-wins", "field-merge"',
    });
    expect(messagesOf(userSettingsWrite, { syncIntervalMinutes: 0 })).toEqual({
      syncIntervalMinutes: 'must be at least 1',
    });
    expect(messagesOf(userSettingsWrite, { syncIntervalMinutes: 1441 })).toEqual({
      syncIntervalMinutes: 'must be at most 1440',
    });
    expect(messagesOf(userSettingsWrite, { syncIntervalMinutes: '15' })).toEqual({
      syncIntervalMinutes: 'must be a number',
    });
  });

  it('says what is missing or too long, and keeps a schema’s own message', () => {
    const schema = z.object({
      name: z.string().max(3),
      id: z.string().regex(/^\d+$/, 'digits only'),
      code: z.string().regex(/^[A-Z]+$/),
    });
    expect(messagesOf(schema, { name: 'abcd', id: 'x', code: 'a' })).toEqual({
      name: 'must be at most 3 characters long',
      id: 'digits only',
      code: 'is not in the expected format',
    });
    expect(messagesOf(schema, {})).toEqual({ name: 'is required', id: 'is required', code: 'is required' });
  });
});
