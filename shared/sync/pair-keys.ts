import type { SyncEntity } from '../storage/sync-state-repository';
import type { Fields } from './model';
import type { PairingKey } from './plan';

/*
 * What makes an Oro item and a Microsoft item the same on a first sync (plan-pairing.ts),
 * per entity, over the neutral fields (tasks/fields.ts, calendar/event-mapping.ts). Titles
 * compare without surrounding spaces; everything else exactly.
 */

const title = (f: Fields) => (typeof f.title === 'string' ? f.title.trim() : null);

/** Tasks: title and due date (a date, never moved through a zone). */
export const TASK_PAIRING: PairingKey<Fields> = {
  key: (f) => JSON.stringify([title(f), f.dueDate ?? null]),
  by: 'title and due date',
};

/**
 * Events: title, start and end (timed: instants in UTC; all-day: dates), and whether it is
 * all-day or a series: a series never pairs with a single event that matches its first
 * occurrence. (Events with the same iCalendar UID pair before any key is compared.)
 */
export const EVENT_PAIRING: PairingKey<Fields> = {
  key: (f) =>
    JSON.stringify([title(f), f.allDay === true, f.start, f.end, f.recurrence ? 'series' : 'single']),
  by: 'title, start and end',
};

export const PAIRING: Record<SyncEntity, PairingKey<Fields>> = {
  tasks: TASK_PAIRING,
  calendar: EVENT_PAIRING,
};
