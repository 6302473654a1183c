import type { Client } from '@microsoft/microsoft-graph-client';
import { GraphCalendarSide } from '../microsoft/calendar-side';
import type { GraphClients } from '../microsoft/graph-client';
import { TodoTasksSide } from '../microsoft/todo-side';
import { OroCalendarSide } from '../oro/calendar-side';
import type { OroClient } from '../oro/client';
import { OroTasksSide } from '../oro/tasks-side';
import type { PrivateEvents } from '../settings/schema';
import type { SyncEntity } from '../storage/sync-state-repository';
import type { OroClients } from './oro-clients';
import type { CalendarWindow } from '../sync/calendar/window';
import type { SideFactory, SidePair } from '../sync/sync-service';

/** What each entity's sides are built from. */
interface SideContext {
  userId: string;
  oro: OroClient;
  oroBaseUrl: string;
  oroCalendarId?: number | undefined;
  privateEvents?: PrivateEvents | undefined;
  microsoftCalendarId?: string | undefined;
  microsoftListId?: string | undefined;
  graph: Client;
  now: () => Date;
  calendarWindow: CalendarWindow;
}

/** Each entity's pair of sides; the engine is the same for all of them. */
const SIDES: Record<SyncEntity, (context: SideContext) => SidePair> = {
  tasks: (c) => ({
    oro: new OroTasksSide(c.oro, c.userId),
    microsoft: new TodoTasksSide(c.graph, {
      webUrl: () => `${c.oroBaseUrl.replace(/\/+$/, '')}/task`,
      now: c.now,
      listId: c.microsoftListId,
    }),
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
      calendarId: c.microsoftCalendarId,
    }),
  }),
};

/**
 * The composition of concrete sides (Oro's APIs and Microsoft Graph) that the sync engine
 * runs: the engine itself (shared/sync/) imports no adapter.
 */
export function createSideFactory(deps: {
  /** Oro clients under their instance's budget (shared/app/oro-clients.ts). */
  oro: OroClients;
  /** Each user's Graph client, under their mailbox budget (shared/app/graph-clients.ts). */
  graph: GraphClients;
  calendarWindow: CalendarWindow;
}): SideFactory {
  return (request) =>
    SIDES[request.entity]({
      userId: request.userId,
      oro: deps.oro(request.oro),
      oroBaseUrl: request.oro.baseUrl,
      oroCalendarId: request.oroCalendarId,
      privateEvents: request.privateEvents,
      microsoftCalendarId: request.microsoftCalendarId,
      microsoftListId: request.microsoftListId,
      graph: deps.graph(request.userId, request.graphToken),
      now: request.now,
      calendarWindow: deps.calendarWindow,
    });
}
