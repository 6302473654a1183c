import { fromGraph, type GraphRecurrence } from '../../shared/sync/calendar/recurrence';
import { zonedToUtc } from '../../shared/sync/calendar/time-zones';
import { textOf } from '../text-of';
import {
  CONTENT_KEYS,
  CUSTOM_ZONE,
  DATE_TIME,
  endMs,
  instanceId,
  iso,
  SENSITIVITIES,
  SHOW_AS_VALUES,
  startMs,
  withKnownZone,
  zoneOf,
  type Content,
  type SimAttendee,
  type SimEvent,
  type SimException,
} from './calendar-model';

/**
 * Writes a POST or PATCH body onto an event, as Graph validates it; the first invalid field
 * is the answer's message (the event may be half-written then: the caller restores it).
 */
export function applyInput(e: SimEvent, input: Record<string, unknown>): string | undefined {
  if ('singleValueExtendedProperties' in input) {
    if (!Array.isArray(input.singleValueExtendedProperties)) {
      return 'Invalid extended properties.';
    }
    for (const p of input.singleValueExtendedProperties as { id?: unknown; value?: unknown }[]) {
      if (typeof p.id !== 'string' || typeof p.value !== 'string') {
        return 'Invalid extended property.';
      }
      const id = p.id;
      // Ids compare without case; a PATCH replaces the value of the same property.
      const same = e.extendedProperties.findIndex((x) => x.id.toLowerCase() === id.toLowerCase());
      if (same >= 0) {
        e.extendedProperties[same] = { id: e.extendedProperties[same]!.id, value: p.value };
      } else {
        e.extendedProperties.push({ id, value: p.value });
      }
    }
  }
  for (const key of CONTENT_KEYS) {
    if (key in input) {
      const error = setContent(e, key, input[key]);
      if (error) {
        return error;
      }
    }
  }
  if ('sensitivity' in input) {
    const v = SENSITIVITIES.find((x) => x === input.sensitivity);
    if (!v) {
      return `Invalid sensitivity: one of ${SENSITIVITIES.join(', ')}.`;
    }
    e.sensitivity = v;
  }
  if ('showAs' in input) {
    const v = SHOW_AS_VALUES.find((x) => x === input.showAs);
    if (!v) {
      return `Invalid showAs: one of ${SHOW_AS_VALUES.join(', ')}.`;
    }
    e.showAs = v;
  }
  if ('isAllDay' in input) {
    e.isAllDay = input.isAllDay === true;
  }
  for (const key of ['start', 'end'] as const) {
    if (!(key in input)) {
      continue;
    }
    const t = input[key] as { dateTime?: unknown; timeZone?: unknown } | undefined;
    if (typeof t?.dateTime !== 'string' || !DATE_TIME.test(t.dateTime) || typeof t.timeZone !== 'string') {
      return `Invalid ${key}: a dateTime and a timeZone are required.`;
    }
    if (!zoneOf(t.timeZone)) {
      return `A valid TimeZone value must be specified. "${t.timeZone}" is not one.`;
    }
    e[key] = { dateTime: t.dateTime.slice(0, 19), timeZone: t.timeZone };
  }
  if (e.isAllDay && (!/T00:00:00/.test(e.start.dateTime) || !/T00:00:00/.test(e.end.dateTime))) {
    return 'An all-day event must start and end at midnight.';
  }
  if (startMs(e) >= endMs(e)) {
    return 'The end must be after the start.';
  }
  if ('attendees' in input) {
    if (!Array.isArray(input.attendees)) {
      return 'Invalid attendees.';
    }
    const attendees: SimAttendee[] = [];
    for (const a of input.attendees as {
      type?: unknown;
      emailAddress?: { name?: unknown; address?: unknown };
    }[]) {
      if (typeof a.emailAddress?.address !== 'string' || !a.emailAddress.address.includes('@')) {
        return 'Invalid attendee: an email address is required.';
      }
      attendees.push({
        type: a.type === 'optional' || a.type === 'resource' ? a.type : 'required',
        emailAddress: { name: textOf(a.emailAddress.name ?? ''), address: a.emailAddress.address },
        status: { response: 'none', time: '0001-01-01T00:00:00Z' },
      });
    }
    e.attendees = attendees;
  }
  if ('recurrence' in input) {
    if (input.recurrence === null) {
      e.recurrence = null;
    } else {
      const g = input.recurrence as GraphRecurrence;
      const mapped =
        g?.pattern && g.range
          ? fromGraph(withKnownZone(g), e.start.timeZone === CUSTOM_ZONE ? 'UTC' : e.start.timeZone)
          : { unsupported: 'no pattern' };
      if ('unsupported' in mapped) {
        return `Invalid recurrence: ${mapped.unsupported}.`;
      }
      e.recurrence = structuredClone(g);
    }
    e.type = e.recurrence ? 'seriesMaster' : 'singleInstance';
  }
  return undefined;
}

export function setContent(
  target: Partial<Content>,
  key: (typeof CONTENT_KEYS)[number],
  value: unknown,
): string | undefined {
  switch (key) {
    case 'subject':
      if (typeof value !== 'string') {
        return 'Invalid subject.';
      }
      target.subject = value;
      return undefined;
    case 'body': {
      const b = value as { content?: unknown; contentType?: unknown } | null;
      if (!b || typeof b !== 'object') {
        return 'Invalid body.';
      }
      target.body = {
        contentType: b.contentType === 'html' ? 'html' : 'text',
        content: textOf(b.content ?? ''),
      };
      return undefined;
    }
    case 'location': {
      const l = value as { displayName?: unknown } | null;
      target.location = { displayName: textOf(l?.displayName ?? '') };
      return undefined;
    }
    case 'isReminderOn':
      target.isReminderOn = value === true;
      return undefined;
    case 'reminderMinutesBeforeStart':
      if (typeof value !== 'number' || value < 0) {
        return 'Invalid reminderMinutesBeforeStart.';
      }
      target.reminderMinutesBeforeStart = value;
      return undefined;
  }
}

/**
 * A PATCH of one occurrence written onto its exception (made on its first change, from the
 * occurrence's times), as Graph validates it: the exception and what it was before.
 */
export function patchOccurrence(
  e: SimEvent,
  at: { originalStart: number; start: number | string; end: number | string },
  input: Record<string, unknown>,
  now: string,
): { exception: SimException; before: SimException } | { error: string } {
  const exception: SimException = e.exceptions.get(at.originalStart) ?? {
    id: instanceId(e.id, at.originalStart),
    originalStart: at.originalStart,
    start: typeof at.start === 'number' ? iso(at.start) : at.start,
    end: typeof at.end === 'number' ? iso(at.end) : at.end,
    changeKey: '',
    seq: 0,
    lastModifiedDateTime: now,
  };
  const before = structuredClone(exception);
  for (const key of CONTENT_KEYS) {
    if (key in input) {
      const error = setContent(exception, key, input[key]);
      if (error) {
        return { error };
      }
    }
  }
  for (const key of ['start', 'end'] as const) {
    if (!(key in input)) {
      continue;
    }
    const t = input[key] as { dateTime?: unknown; timeZone?: unknown } | undefined;
    const zone = zoneOf(textOf(t?.timeZone ?? ''));
    if (typeof t?.dateTime !== 'string' || !zone || !DATE_TIME.test(t.dateTime)) {
      return { error: `Invalid ${key}.` };
    }
    exception[key] = e.isAllDay ? t.dateTime.slice(0, 10) : iso(zonedToUtc(t.dateTime, zone).getTime());
  }
  if (exception.start >= exception.end) {
    return { error: 'The end must be after the start.' };
  }
  return { exception, before };
}
