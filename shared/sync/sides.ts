import type { Client } from '@microsoft/microsoft-graph-client';
import { TodoTasksSide } from '../microsoft/todo-side';
import type { OroClient } from '../oro/client';
import { OroTasksSide } from '../oro/tasks-side';
import type { SyncEntity } from '../storage/sync-state-repository';
import type { Fields } from './model';
import type { SidePort } from './ports';

/** The calendar sync reads and writes events in this window around today. */
export interface CalendarWindow {
  pastDays: number;
  futureDays: number;
}
export const DEFAULT_CALENDAR_WINDOW: CalendarWindow = { pastDays: 30, futureDays: 365 };

/** What a run knows when it builds its two sides. */
export interface SideContext {
  userId: string;
  oro: OroClient;
  oroBaseUrl: string;
  graph: Client;
  now: () => Date;
  calendarWindow: CalendarWindow;
}

type Sides = { oro: SidePort<Fields>; microsoft: SidePort<Fields> };

/** Each entity's pair of sides; the engine is the same for all of them. */
export const SIDES: Partial<Record<SyncEntity, (context: SideContext) => Sides>> = {
  tasks: (c) => ({
    oro: new OroTasksSide(c.oro, c.userId),
    microsoft: new TodoTasksSide(c.graph, { webUrl: () => `${c.oroBaseUrl.replace(/\/+$/, '')}/task` }),
  }),
};
