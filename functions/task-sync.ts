import { QUEUES } from '../shared/messaging/messages';
import type { GetServices } from './http';
import { syncQueueFunction } from './queue';

/** Runs one user's task sync per message on the task-sync queue. */
export const taskSync = (getServices: GetServices) =>
  syncQueueFunction(getServices, { name: 'taskSync', queueName: QUEUES.tasks, entity: 'tasks' });
