import type { EventFields } from '../../shared/sync/calendar/event-mapping';

/** The contract's clock for calendar sides: samples fall inside their window. */
export const CONTRACT_NOW = Date.parse('2026-11-24T12:00:00Z');

export const calendarSample = (i: number): EventFields => ({
  title: `Meeting ${i}`,
  description: `agenda ${i}`,
  allDay: false,
  start: new Date(CONTRACT_NOW + i * 86_400_000).toISOString().replace('.000Z', 'Z'),
  end: new Date(CONTRACT_NOW + i * 86_400_000 + 3600_000).toISOString().replace('.000Z', 'Z'),
  reminderMinutes: 15,
  location: '',
  attendees: [],
  recurrence: null,
  exceptions: [],
  organizer: null,
  showAs: 'busy',
});

/** What both calendars store as written. */
export const comparableEvent = (f: EventFields) => ({
  title: f.title,
  description: f.description,
  allDay: f.allDay,
  start: f.start,
  end: f.end,
});
