import type { EventFields } from '../sync/calendar/event-mapping';
import type { OroRecurrence } from '../sync/calendar/recurrence';
import { isOccurrence } from './calendar-occurrences';
import { PAGE_SIZE, type EventRow, type OroEventRows, type ReadNotes } from './calendar-rows';

/**
 * A series' exception rows as Oro lists them, and which of them still mean something.
 *
 * - `recurringEventId=` lists the series itself with its exceptions (OroCalendarBundle
 *   `CalendarEventRepository::addRecurringEventFilter`: `… OR e.id = :recurringEventId`,
 *   and the controller's doc: "Recurring event will be returned as well"). That row is
 *   the series, never one of its exceptions.
 * - A PUT without `updateExceptions` keeps a series' exceptions when its pattern changes
 *   (`CalendarEventApiHandler::allowUpdateExceptions`), so an exception can outlive its
 *   occurrence. Oro then lists it as an item of its own, cancelled ones included
 *   (`AbstractRecurrenceAwareCalendarProvider::mergeRegularAndRecurringEvents`;
 *   RecurringEventRecurrenceUpdateExceptionTest). Such an orphan is no exception of the
 *   series any more: a cancelled one hides nothing, a moved one is left out with a note.
 */

/** The rows of a `recurringEventId` listing that are exceptions of `seriesId` (not the series itself). */
export const ownExceptionRows = (rows: readonly EventRow[], seriesId: number): EventRow[] =>
  rows.filter((r) => r.id !== seriesId && r.recurringEventId === seriesId);

/** A series' exception rows, one listing (the series row Oro adds is dropped). */
export async function listExceptionRows(
  rows: OroEventRows,
  calendar: number,
  seriesId: number,
): Promise<EventRow[]> {
  const listed = await rows.listAll(`calendar=${calendar}&recurringEventId=${seriesId}&limit=${PAGE_SIZE}`);
  return ownExceptionRows(listed, seriesId);
}

/** The exception rows of `master` that sit on an occurrence of its pattern; orphans noted and left out. */
export function liveExceptionRows(
  master: EventRow,
  fields: Pick<EventFields, 'title'>,
  rows: readonly EventRow[],
  notes: ReadNotes,
): EventRow[] {
  if (!master.recurrence) {
    return [];
  }
  const series = {
    start: master.start,
    end: master.end,
    allDay: master.allDay,
    recurrence: master.recurrence as OroRecurrence,
  };
  return ownExceptionRows(rows, master.id).filter((r) => {
    const at = Date.parse(r.originalStart ?? r.start);
    if (isOccurrence(series, at)) {
      return true;
    }
    if (!r.isCancelled) {
      notes.notes.push(
        `Oro event ${r.id} ("${r.title ?? fields.title}") is an exception of series ${master.id} at ${r.originalStart ?? '?'}, where the series has no occurrence any more; it is not synced`,
      );
    }
    return false;
  });
}
