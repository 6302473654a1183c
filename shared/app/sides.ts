import type { Client } from '@microsoft/microsoft-graph-client';
import { GraphCalendarSide } from '../microsoft/calendar-side';
import type { GraphClients } from '../microsoft/graph-client';
import { TodoTasksSide } from '../microsoft/todo-side';
import { OroCalendarSide } from '../oro/calendar-side';
import { OroClient, type OroTokenCache } from '../oro/client';
import { OroTasksSide } from '../oro/tasks-side';
import { LEAF_DEFAULTS } from '../settings/model';
import type { PrivateEvents } from '../settings/schema';
import type { SharedBudgets } from '../budget/shared-budget';
import type { SyncEntity } from '../storage/sync-state-repository';
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

/** The built-in oro.maxConcurrentRequests (shared/settings/model.ts), for callers without settings. */
const DEFAULT_ORO_BUDGET = LEAF_DEFAULTS['oro.maxConcurrentRequests'];

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
  oroTokens: OroTokenCache;
  /** Each user's Graph client, under their mailbox budget (shared/app/graph-clients.ts). */
  graph: GraphClients;
  calendarWindow: CalendarWindow;
  /** Shared concurrency budgets (docs/budgets.md): Oro per base URL. */
  budgets?: SharedBudgets | undefined;
}): SideFactory {
  return (request) =>
    SIDES[request.entity]({
      userId: request.userId,
      oro: new OroClient(request.oro, deps.oroTokens, {
        budget: deps.budgets?.oro(
          request.oro.baseUrl,
          request.oro.maxConcurrentRequests ?? DEFAULT_ORO_BUDGET,
        ),
      }),
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
