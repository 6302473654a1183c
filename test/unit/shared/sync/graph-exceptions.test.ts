import type { EventException, EventFields } from '../../../../shared/sync/calendar/event-mapping';
import {
  exceptionToGraph,
  isPatternOccurrence,
  keepCancelledOccurrences,
  originalStartKey,
  patternOccurrence,
  planExceptions,
  readGraphExceptions,
  type GraphInstance,
  type GraphSeriesMaster,
} from '../../../../shared/sync/calendar/graph-exceptions';

const timed: EventFields = {
  title: 'Standup',
  description: 'daily',
  allDay: false,
  // 09:00 in Berlin (CET)
  start: '2027-01-04T08:00:00Z',
  end: '2027-01-04T08:15:00Z',
  reminderMinutes: 15,
  location: 'Room 1',
  attendees: [],
  recurrence: {
    pattern: 'daily',
    interval: 1,
    start: '2027-01-04',
    end: { type: 'none' },
    timeZone: 'Europe/Berlin',
  },
  exceptions: [],
  organizer: null,
  showAs: 'busy',
};
const allDay: EventFields = {
  ...timed,
  allDay: true,
  start: '2027-01-04',
  end: '2027-01-05',
  recurrence: { ...timed.recurrence!, pattern: 'weekly', daysOfWeek: ['monday'] },
};

const instance = (over: Partial<GraphInstance> & Pick<GraphInstance, 'start' | 'end'>): GraphInstance => ({
  id: 'X',
  subject: 'Standup',
  body: { contentType: 'text', content: 'daily' },
  location: { displayName: 'Room 1' },
  type: 'exception',
  ...over,
});
const master = (over: Partial<GraphSeriesMaster>): GraphSeriesMaster => ({
  id: 'M',
  start: { dateTime: '2027-01-04T08:00:00.0000000', timeZone: 'UTC' },
  end: { dateTime: '2027-01-04T08:15:00.0000000', timeZone: 'UTC' },
  ...over,
});

describe('Graph exceptions ⇄ neutral exceptions', () => {
  it('reads a moved occurrence keyed by its original start instant, and a cancelled one by its local date', () => {
    const read = readGraphExceptions(
      master({
        exceptionOccurrences: [
          instance({
            id: 'I1',
            subject: 'Standup (moved)',
            originalStart: '2027-01-05T08:00:00Z',
            start: { dateTime: '2027-01-05T10:00:00.0000000', timeZone: 'UTC' },
            end: { dateTime: '2027-01-05T10:15:00.0000000', timeZone: 'UTC' },
          }),
        ],
        // After the March DST change, 09:00 Berlin is 07:00Z: the date names the occurrence.
        cancelledOccurrences: ['OID.M.2027-04-06', 'OID.M.2027-01-06'],
      }),
      timed,
    );
    expect(read.exceptions).toEqual([
      {
        originalStart: '2027-01-05T08:00:00Z',
        cancelled: false,
        title: 'Standup (moved)',
        description: 'daily',
        start: '2027-01-05T10:00:00Z',
        end: '2027-01-05T10:15:00Z',
        location: 'Room 1',
      },
      { originalStart: '2027-01-06T08:00:00Z', cancelled: true },
      { originalStart: '2027-04-06T07:00:00Z', cancelled: true },
    ]);
    expect(read.ids.get('2027-01-05T08:00:00Z')).toBe('I1');
  });

  it('drops an exception that equals its pattern occurrence (patched back), but keeps its id', () => {
    const read = readGraphExceptions(
      master({
        exceptionOccurrences: [
          instance({
            id: 'I2',
            originalStart: '2027-01-07T08:00:00Z',
            start: { dateTime: '2027-01-07T08:00:00.0000000', timeZone: 'UTC' },
            end: { dateTime: '2027-01-07T08:15:00.0000000', timeZone: 'UTC' },
          }),
        ],
      }),
      timed,
    );
    expect(read.exceptions).toEqual([]);
    expect(read.ids.get('2027-01-07T08:00:00Z')).toBe('I2');
  });

  it('keys all-day exceptions by date in the series zone, never shifted', () => {
    // Midnight in Berlin is 23:00Z the day before: the key must still be the 11th.
    expect(originalStartKey(allDay, '2027-01-10T23:00:00Z')).toBe('2027-01-11');
    const read = readGraphExceptions(
      master({
        isAllDay: true,
        exceptionOccurrences: [
          instance({
            originalStart: '2027-01-10T23:00:00Z',
            isAllDay: true,
            start: { dateTime: '2027-01-12T00:00:00.0000000', timeZone: 'UTC' },
            end: { dateTime: '2027-01-13T00:00:00.0000000', timeZone: 'UTC' },
          }),
        ],
        cancelledOccurrences: ['OID.M.2027-01-18'],
      }),
      allDay,
    );
    expect(read.exceptions).toEqual([
      expect.objectContaining({ originalStart: '2027-01-11', start: '2027-01-12', end: '2027-01-13' }),
      { originalStart: '2027-01-18', cancelled: true },
    ]);
  });

  it('reports an unreadable cancelled occurrence instead of guessing', () => {
    const read = readGraphExceptions(master({ cancelledOccurrences: ['garbage'] }), timed);
    expect(read.exceptions).toEqual([]);
    expect(read.notes).toEqual(['unreadable cancelled occurrence "garbage"']);
  });

  it('gives the pattern occurrence of an original start, timed and all-day', () => {
    expect(patternOccurrence(timed, '2027-02-01T08:00:00Z')).toEqual({
      start: '2027-02-01T08:00:00Z',
      end: '2027-02-01T08:15:00Z',
    });
    expect(patternOccurrence(allDay, '2027-02-01')).toEqual({ start: '2027-02-01', end: '2027-02-02' });
    const same: EventException = {
      originalStart: '2027-02-01T08:00:00Z',
      cancelled: false,
      title: timed.title,
      description: timed.description,
      location: timed.location,
      start: '2027-02-01T08:00:00Z',
      end: '2027-02-01T08:15:00Z',
    };
    expect(isPatternOccurrence(timed, same)).toBe(true);
    expect(isPatternOccurrence(timed, { ...same, title: 'other' })).toBe(false);
    expect(isPatternOccurrence(timed, { originalStart: same.originalStart, cancelled: true })).toBe(false);
  });

  it('writes an exception in the series zone, so Graph keeps its local time', () => {
    expect(
      exceptionToGraph(timed, {
        originalStart: '2027-07-05T07:00:00Z',
        cancelled: false,
        title: 't',
        description: 'd',
        location: 'l',
        start: '2027-07-05T09:00:00Z',
        end: '2027-07-05T09:30:00Z',
      }),
    ).toEqual({
      subject: 't',
      body: { contentType: 'text', content: 'd' },
      location: { displayName: 'l' },
      start: { dateTime: '2027-07-05T11:00:00.0000000', timeZone: 'W. Europe Standard Time' },
      end: { dateTime: '2027-07-05T11:30:00.0000000', timeZone: 'W. Europe Standard Time' },
    });
  });

  it('plans patches, cancellations, reverts, and refuses to un-cancel', () => {
    const moved = (at: string, title: string): EventException => ({
      originalStart: at,
      cancelled: false,
      title,
      description: '',
      location: '',
      start: at,
      end: at,
    });
    const current: EventException[] = [
      moved('A', 'same'),
      moved('B', 'old'),
      moved('C', 'reverted'),
      { originalStart: 'D', cancelled: true },
      { originalStart: 'E', cancelled: true },
    ];
    const wanted: EventException[] = [
      moved('A', 'same'),
      moved('B', 'new'),
      { originalStart: 'D', cancelled: true },
      moved('E', 'back'),
      { originalStart: 'F', cancelled: true },
      moved('G', 'fresh'),
    ];
    expect(planExceptions(current, wanted)).toEqual({
      patch: [moved('B', 'new'), moved('G', 'fresh')],
      cancel: ['F'],
      revert: ['C'],
      impossible: ['E'],
    });
    expect(planExceptions(wanted, wanted)).toEqual({ patch: [], cancel: [], revert: [], impossible: [] });
  });
});

describe('what Outlook keeps whatever is written (keepCancelledOccurrences)', () => {
  const cancelled = (originalStart: string): EventException => ({ originalStart, cancelled: true });
  const moved = (originalStart: string): EventException => ({
    originalStart,
    cancelled: false,
    title: 'Standup (late)',
    description: 'daily',
    location: 'Room 1',
    start: originalStart.replace('T08:00', 'T10:00'),
    end: originalStart.replace('T08:00', 'T10:15'),
  });
  const with_ = (...exceptions: EventException[]): EventFields => ({ ...timed, exceptions });
  const X = '2027-01-06T08:00:00Z';
  const Y = '2027-01-07T08:00:00Z';

  it('keeps an occurrence cancelled in Outlook that the winner left as it was', () => {
    // Oro won with a move of Y; it never touched X, which Outlook cancelled since.
    expect(keepCancelledOccurrences(with_(cancelled(X)), with_(moved(Y)), with_())).toEqual(
      with_(cancelled(X), moved(Y)),
    );
  });

  it('leaves what the winner changed: a restored or moved occurrence is written (and refused)', () => {
    // Restored in Oro after both had it cancelled.
    expect(keepCancelledOccurrences(with_(cancelled(X)), with_(), with_(cancelled(X)))).toEqual(with_());
    // Moved in Oro while cancelled in Outlook.
    expect(keepCancelledOccurrences(with_(cancelled(X)), with_(moved(X)), with_())).toEqual(with_(moved(X)));
  });

  it('keeps nothing once the series changes shape (new pattern or times bring new occurrences)', () => {
    const later = { ...with_(), start: '2027-01-04T09:00:00Z', end: '2027-01-04T09:15:00Z' };
    expect(keepCancelledOccurrences(with_(cancelled(X)), later, with_())).toEqual(later);
    const single = { ...timed, recurrence: null, exceptions: [] };
    expect(keepCancelledOccurrences(with_(cancelled(X)), single, with_())).toEqual(single);
  });
});
