import { fieldsToOroEvent, type EventFields } from '../sync/calendar/event-mapping';
import { exceptionWrites, type OroExceptionRow } from '../sync/calendar/oro-exceptions';
import { hashFields } from '../sync/model';
import type { Write } from '../sync/plan';
import type { ErrorClass } from '../errors/classify';
import { writeFailure, type WriteFailure, type WriteResult } from '../sync/ports';
import { oroAnswerClass, oroWriteFailure, type OroClient, type OroResponse } from './client';
import { listExceptionRows } from './calendar-exceptions';
import { created, each, EVENTS, exceptionRow, oroRestErrorDetail, type OroEventRows } from './calendar-rows';

/** Parallel writes to Oro: enough to hide latency, few enough not to load one user's Oro. */
export const WRITE_CONCURRENCY = 4;
/** Fields whose change can touch a series' exception rows. */
const SERIES_SHAPE = new Set(['exceptions', 'recurrence', 'start', 'end', 'allDay']);

/**
 * Writes of one user's calendar events: an item per write (a series with its exception
 * rows), a few at a time. Every write says `notifyAttendees=none`: attendees hear from
 * Microsoft, or from the user, never from the sync.
 */
export class OroCalendarWriter {
  constructor(
    private readonly client: OroClient,
    private readonly rows: OroEventRows,
    private readonly calendar: () => Promise<number>,
  ) {}

  /** Results keep the order of `writes`. */
  async write(writes: readonly Write<EventFields>[]): Promise<WriteResult<EventFields>[]> {
    const results = new Array<WriteResult<EventFields>>(writes.length);
    await each(
      writes.map((w, i) => [w, i] as const),
      WRITE_CONCURRENCY,
      async ([w, i]) => {
        results[i] = await this.writeOne(w);
      },
    );
    return results;
  }

  private async writeOne(w: Write<EventFields>): Promise<WriteResult<EventFields>> {
    try {
      if (w.op === 'delete') {
        const res = await this.send(
          'DELETE',
          `${EVENTS}/${encodeURIComponent(w.id ?? '')}?notifyAttendees=none`,
        );
        // Already gone is what we wanted.
        return res.status === 204 || res.status === 404
          ? { ok: true, id: w.id ?? '', version: '' }
          : failure(res);
      }
      const fields = w.fields!;
      const mapped = fieldsToOroEvent(fields);
      if ('unsupported' in mapped) {
        return writeFailure(`Oro cannot hold this event: ${mapped.unsupported}`, 'permanent');
      }
      const full: Record<string, unknown> = {
        ...mapped.ok,
        // Oro marks the user as attendee, not organizer, when the organizer is someone else.
        ...(fields.organizer
          ? { organizerEmail: fields.organizer.email, organizerDisplayName: fields.organizer.name }
          : {}),
      };
      const version = `written#${hashFields(fields)}`;
      if (w.op === 'create') {
        const res = await this.send('POST', EVENTS, {
          ...full,
          calendar: await this.calendar(),
          uid: w.linkId,
          notifyAttendees: 'none',
        });
        if (res.status !== 201) {
          return failure(res);
        }
        const id = created.parse(res.body).id;
        // Just created (a uid Oro already had is refused): it has no exception rows yet.
        const failed = await this.writeExceptions(id, fields, []);
        if (failed) {
          // The event exists and carries its uid: the next read adopts it and completes the exceptions.
          return writeFailure(`Oro event ${id} was created, but ${failed.error}`, failed.kind);
        }
        return { ok: true, id: String(id), version };
      }
      const id = Number(w.id);
      if (!Number.isInteger(id)) {
        return writeFailure(`not an Oro event id: ${w.id ?? ''}`, 'permanent');
      }
      const body = changedBody(full, fields, w.changed);
      if (Object.keys(body).length > 0) {
        const res = await this.send('PUT', `${EVENTS}/${id}`, { ...body, notifyAttendees: 'none' });
        if (res.status !== 200) {
          return failure(res);
        }
      }
      // Exception rows change when the exceptions do, or when the series is reshaped (a PUT
      // without updateExceptions leaves the old rows in place, even off the new pattern); an
      // update of other fields leaves them.
      const reshaped = !w.changed || w.changed.some((k) => SERIES_SHAPE.has(k));
      const failed = reshaped ? await this.writeExceptions(id, fields) : undefined;
      return failed
        ? writeFailure(`Oro event ${id} was updated, but ${failed.error}`, failed.kind)
        : { ok: true, id: String(id), version };
    } catch (error) {
      return oroWriteFailure(error);
    }
  }

  /** Brings a series' exception rows to `fields.exceptions`; the first failure, or undefined. */
  /** `known`: the series' exception rows when already known; otherwise they are listed. */
  private async writeExceptions(
    seriesId: number,
    fields: EventFields,
    known?: OroExceptionRow[],
  ): Promise<{ error: string; kind: ErrorClass } | undefined> {
    if (!fields.recurrence) {
      return undefined;
    }
    const calendar = await this.calendar();
    const current = known ?? (await listExceptionRows(this.rows, calendar, seriesId)).map(exceptionRow);
    for (const x of exceptionWrites(fields, seriesId, current, fields.exceptions)) {
      const res =
        x.op === 'delete'
          ? await this.send('DELETE', `${EVENTS}/${x.id}?notifyAttendees=none`)
          : x.op === 'create'
            ? await this.send('POST', EVENTS, { ...x.body, calendar, notifyAttendees: 'none' })
            : await this.send('PUT', `${EVENTS}/${x.id}`, { ...x.body, notifyAttendees: 'none' });
      const ok =
        x.op === 'delete'
          ? res.status === 204 || res.status === 404
          : res.status === 200 || res.status === 201;
      if (!ok) {
        return {
          error: `its exception at ${x.originalStart} failed: ${res.status} ${oroRestErrorDetail(res.body)}`,
          kind: oroAnswerClass(res),
        };
      }
    }
    return undefined;
  }

  private send(method: string, path: string, body?: unknown): Promise<OroResponse> {
    return this.client.request(method, path, body, 'json');
  }
}

/** The REST fields that carry the neutral fields named in `changed` (all of them without it). */
function changedBody(
  full: Record<string, unknown>,
  fields: EventFields,
  changed: readonly string[] | undefined,
): Record<string, unknown> {
  const want = (k: keyof EventFields) => !changed || changed.includes(k);
  const keys = new Set<string>();
  if (want('title')) {
    keys.add('title');
  }
  if (want('description')) {
    keys.add('description');
  }
  if (want('start') || want('end') || want('allDay')) {
    ['start', 'end', 'allDay'].forEach((k) => keys.add(k));
  }
  if (want('reminderMinutes')) {
    keys.add('reminders');
  }
  if (want('attendees')) {
    keys.add('attendees');
  }
  // The recurrence's start time follows the event's start.
  if (want('recurrence') || (fields.recurrence && (want('start') || want('allDay')))) {
    keys.add('recurrence');
  }
  if (want('organizer') && fields.organizer) {
    ['organizerEmail', 'organizerDisplayName'].forEach((k) => keys.add(k));
  }
  const body: Record<string, unknown> = {};
  for (const k of keys) {
    body[k] = k === 'recurrence' ? (full.recurrence ?? null) : full[k];
  }
  return body;
}

function failure(res: OroResponse): WriteFailure {
  return writeFailure(
    `Oro answered ${res.status}: ${oroRestErrorDetail(res.body)}`,
    oroAnswerClass(res),
    res.status,
  );
}
