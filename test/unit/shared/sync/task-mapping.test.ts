import fc from 'fast-check';
import { taskFields, type TaskFields } from '../../../../shared/sync/tasks/fields';
import { dueDateToOro, oroToFields } from '../../../../shared/sync/tasks/oro-mapping';
import { fieldsToTodo, todoToFields, type TodoTask } from '../../../../shared/sync/tasks/todo-mapping';

const fieldsArb: fc.Arbitrary<TaskFields> = fc.record({
  title: fc.string({ minLength: 1, maxLength: 40 }),
  description: fc.string({ maxLength: 80 }),
  dueDate: fc.option(
    fc
      .date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10)),
    { nil: null },
  ),
  status: fc.constantFrom('open', 'in_progress', 'closed'),
  priority: fc.constantFrom('low', 'normal', 'high'),
});

/** A To Do task with defaults for what a test does not care about. */
const todo = (over: Partial<TodoTask>): TodoTask => ({
  id: 'x',
  title: 't',
  status: 'notStarted',
  importance: 'normal',
  lastModifiedDateTime: '',
  ...over,
});

describe('task mapping', () => {
  it('round-trips neutral fields through To Do', () => {
    fc.assert(
      fc.property(fieldsArb, (fields) => {
        const todo = {
          id: 'x',
          lastModifiedDateTime: '2026-01-01T00:00:00Z',
          ...fieldsToTodo(fields),
        } as TodoTask;
        expect(todoToFields(todo)).toEqual(fields);
      }),
    );
  });

  it('round-trips neutral fields through Oro, due dates staying on their day', () => {
    fc.assert(
      fc.property(fieldsArb, (fields) => {
        const oro = {
          id: '1',
          subject: fields.title,
          description: fields.description,
          dueDate: dueDateToOro(fields.dueDate, null),
          status: fields.status,
          priority: fields.priority,
          updatedAt: '2026-01-01T00:00:00Z',
        };
        expect(taskFields.parse(oroToFields(oro))).toEqual(fields);
      }),
    );
  });

  it('keeps Oro’s time of day when the date does not change', () => {
    expect(dueDateToOro('2026-03-12', '2026-03-12T09:15:42Z')).toBe('2026-03-12T09:15:42Z');
    expect(dueDateToOro('2026-03-13', '2026-03-12T09:15:42Z')).toBe('2026-03-13T12:00:00Z');
    expect(dueDateToOro(null, '2026-03-12T09:15:42Z')).toBeNull();
  });

  it('reads a To Do due date as a date, whatever its zone says', () => {
    const task = todo({
      dueDateTime: { dateTime: '2026-03-12T00:00:00.0000000', timeZone: 'Pacific Standard Time' },
    });
    expect(todoToFields(task).dueDate).toBe('2026-03-12');
  });

  it('maps To Do’s finer statuses onto Oro’s three', () => {
    const status = (s: string) => todoToFields(todo({ status: s })).status;
    expect(['notStarted', 'deferred', 'inProgress', 'waitingOnOthers', 'completed'].map(status)).toEqual([
      'open',
      'open',
      'in_progress',
      'in_progress',
      'closed',
    ]);
  });

  it('writes only the changed fields on update', () => {
    const fields: TaskFields = {
      title: 't',
      description: 'd',
      dueDate: null,
      status: 'closed',
      priority: 'high',
    };
    expect(fieldsToTodo(fields, ['status'])).toEqual({ status: 'completed' });
  });

  it('reads an HTML body as text', () => {
    const task = todo({ body: { content: '<p>Call &amp; confirm</p>', contentType: 'html' } });
    expect(todoToFields(task).description).toBe('Call & confirm');
  });
});
