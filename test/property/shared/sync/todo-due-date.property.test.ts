import fc from 'fast-check';
import { graphDueDateTime } from '../../../../dev/microsoft/todo';
import { dueDateFromTodo, dueDateToTodo } from '../../../../shared/sync/tasks/todo-mapping';
import { MAILBOX_ZONES, propertyRuns } from '../../../support/property';

/**
 * A due date survives the trip through To Do in any mailbox zone: written as the user's
 * local midnight, answered by Graph as that instant in UTC (the simulator's
 * `graphDueDateTime`, from Graph's "Update todoTask" example), read back as the same date.
 */
const zone = fc.constantFrom(...MAILBOX_ZONES);
const notUtc = fc.constantFrom(...MAILBOX_ZONES.filter((z) => z !== 'UTC'));
const date = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

describe('To Do due dates across zones', () => {
  it('round-trip in the mailbox zone, east and west of UTC', () => {
    fc.assert(
      fc.property(date, zone, (d, z) => {
        const sent = dueDateToTodo(d, z)!;
        const answered = graphDueDateTime(sent)!;
        expect(answered.timeZone).toBe('UTC');
        expect(dueDateFromTodo(answered, z)).toBe(d);
      }),
      { numRuns: propertyRuns(200) },
    );
  });

  it('a date set in the app reads right without the mailbox zone (offsets over -11 h up to +13 h)', () => {
    fc.assert(
      fc.property(date, zone, (d, z) => {
        // The To Do app keeps the user's local midnight; we may not be allowed to read the zone.
        const answered = graphDueDateTime({ dateTime: `${d}T00:00:00`, timeZone: z })!;
        expect(dueDateFromTodo(answered, undefined)).toBe(d);
        // And what we write without a zone (UTC midnight) reads back as the same date.
        expect(dueDateFromTodo(graphDueDateTime(dueDateToTodo(d)!), undefined)).toBe(d);
      }),
      { numRuns: propertyRuns(200) },
    );
  });

  it('a task answered in its own zone keeps the date of its wall clock', () => {
    fc.assert(
      fc.property(date, notUtc, zone, (d, own, mailbox) => {
        expect(dueDateFromTodo({ dateTime: `${d}T00:00:00.0000000`, timeZone: own }, mailbox)).toBe(d);
      }),
      { numRuns: propertyRuns(200) },
    );
  });
});
