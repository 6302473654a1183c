import type { Client } from '@microsoft/microsoft-graph-client';
import { GraphCalendarSide } from '../microsoft/calendar-side';
import { TodoTasksSide } from '../microsoft/todo-side';
import { OroCalendarSide } from '../oro/calendar-side';
import type { OroClient } from '../oro/client';
import { OroTasksSide } from '../oro/tasks-side';
import type { PrivateEvents } from '../settings/schema';
import type { SyncEntity } from '../storage/sync-state-repository';
import type { CalendarWindow } from './calendar/window';
import type { Fields } from './model';
import type { SidePort } from './ports';

/** What a run knows when it builds its two sides. */
export interface SideContext {
  userId: string;
  oro: OroClient;
  oroBaseUrl: string;
  /** The user's Oro calendar (setting `calendar.oroCalendarId`), when set. */
  oroCalendarId?: number | undefined;
  graph: Client;
  now: () => Date;
  calendarWindow: CalendarWindow;
  /** Setting calendar.privateEvents: what Outlook's private events become in Oro. */
  privateEvents?: PrivateEvents | undefined;
}

type Sides = { oro: SidePort<Fields>; microsoft: SidePort<Fields> };

/** Each entity's pair of sides; the engine is the same for all of them. */
export const SIDES: Record<SyncEntity, (context: SideContext) => Sides> = {
  tasks: (c) => ({
    oro: new OroTasksSide(c.oro, c.userId),
    microsoft: new TodoTasksSide(c.graph, { webUrl: () => `${c.oroBaseUrl.replace(/\/+$/, '')}/task` }),
  }),
  calendar: (c) => ({
    oro: new OroCalendarSide(c.oro, c.userId, {
      window: c.calendarWindow,
      now: c.now,
      calendarId: c.oroCalendarId,
    }),
    microsoft: new GraphCalendarSide(c.graph, {
      window: c.calendarWindow,
      now: c.now,
      ...(c.privateEvents ? { privateEvents: c.privateEvents } : {}),
    }),
  }),
};
