import { QUEUES } from '../shared/messaging/messages';
import type { GetServices } from './http';
import { syncQueueFunction } from './queue';

/** Runs one user's calendar sync per message on the calendar-sync queue. */
export const calendarSync = (getServices: GetServices) =>
  syncQueueFunction(getServices, { name: 'calendarSync', queueName: QUEUES.calendar, entity: 'calendar' });
