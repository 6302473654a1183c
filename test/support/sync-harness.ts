import { randomUUID } from 'node:crypto';
import type { Client } from '@microsoft/microsoft-graph-client';
import { trustInThisProcess } from '../../dev/microsoft/certificate';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../dev/microsoft/simulator';
import { startOroSimulator, type OroSimulator } from '../../dev/oro/simulator';
import { GraphCalendarSide } from '../../shared/microsoft/calendar-side';
import { createGraphClient } from '../../shared/microsoft/graph-client';
import { TodoTasksSide } from '../../shared/microsoft/todo-side';
import { OroCalendarSide } from '../../shared/oro/calendar-side';
import { OroClient, OroTokenCache } from '../../shared/oro/client';
import { OroTasksSide } from '../../shared/oro/tasks-side';
import type { PrivateEvents } from '../../shared/settings/schema';
import { LinkRepository } from '../../shared/storage/link-repository';
import { SyncLogRepository } from '../../shared/storage/sync-log-repository';
import { SyncStateRepository, type SyncEntity } from '../../shared/storage/sync-state-repository';
import type { TableStore } from '../../shared/storage/tables';
import { crashingTableStore, TableCrash } from './crashing-tables';
import type { EventFields } from '../../shared/sync/calendar/event-mapping';
import type { CalendarWindow } from '../../shared/sync/calendar/window';
import type { Fields, Link, Snapshot, SyncSettings } from '../../shared/sync/model';
import type { SidePort } from '../../shared/sync/ports';
import type { Heartbeat } from '../../shared/sync/lease';
import type { RunBounds } from '../../shared/sync/bounded';
import { runSync, SimulatedCrash, type CrashPoint, type RunReport } from '../../shared/sync/runner';
import type { NotificationWatch } from '../../shared/sync/quiet';
import type { TaskFields } from '../../shared/sync/tasks/fields';
import { testConnectionString, uniquePrefix } from './storage';

export const MS_USER = 'megan.bowen@contoso.example';
export const ORO_OWNER = '101';

/** Both simulators and real tables, driving the engine the way the queue functions do. */
export interface SyncHarness<F extends Fields = TaskFields> {
  oro: OroSimulator;
  microsoft: MicrosoftSimulator;
  tables: TableStore;
  /** One run; `crash` makes it stop dead at that point. */
  run(
    settings: SyncSettings,
    crash?: CrashPoint,
    options?: {
      confirmMassDelete?: boolean;
      /** Runs at each point between the run's steps (a user acting while the run is under way). */
      during?: (point: CrashPoint) => void | Promise<void>;
      /** Drives the lease's renewals (tests tick it with the run clock instead of real time). */
      heartbeat?: Heartbeat;
      /** The choice of list or calendar in the settings now (RunDeps.folderChoice). */
      folderChoice?: () => Promise<string | undefined>;
      /** What Graph change notifications say about the Microsoft side (a scheduled run's trust). */
      notifications?: NotificationWatch;
      /** The Microsoft account the run's token is for (another one: an account switch). */
      account?: string;
      /** The run's bound (shared/sync/bounded.ts); unbounded when absent. */
      bounds?: RunBounds;
    },
  ): Promise<RunReport>;
  /**
   * The next run dies during its table writes: after `after` more batch transactions, the
   * next is lost (before or once applied) and nothing more of that run reaches storage.
   */
  crashTablesAfter(after: number, applied: boolean): void;
  links(): Promise<Link<F>[]>;
  /** Every item of each side as a full read reports it now (fresh sides, no cursor). */
  readAll(): Promise<{ oro: Map<string, Snapshot<F>>; microsoft: Map<string, Snapshot<F>> }>;
  /** Table operations on links by the last run (pages read + transactions). */
  lastLinkOperations(): number;
  /** The run clock: real time plus what `advance` added. */
  now(): Date;
  /** Move the run clock on (a crashed run's lease expires). */
  advance(ms: number): void;
  close(): Promise<void>;
}

interface SideFactory<F extends Fields> {
  entity: SyncEntity;
  sides(c: {
    oro: OroClient;
    graph: Client;
    userId: string;
    now: () => Date;
    oroCalendarId: number;
    /** The Microsoft calendar or list chosen (settings calendar.microsoftCalendarId, tasks.microsoftListId). */
    folder: string | undefined;
  }): {
    oro: SidePort<F>;
    microsoft: SidePort<F>;
  };
}

const fast = () => Promise.resolve();

const TASKS: SideFactory<TaskFields> = {
  entity: 'tasks',
  sides: (c) => ({
    oro: new OroTasksSide(c.oro, c.userId),
    microsoft: new TodoTasksSide(c.graph, { sleep: fast, listId: c.folder }),
  }),
};

/** `privateEvents`: the setting calendar.privateEvents, asked at each run (tests change it between runs). */
const calendar = (
  window?: CalendarWindow,
  privateEvents?: () => PrivateEvents,
): SideFactory<EventFields> => ({
  entity: 'calendar',
  sides: (c) => ({
    oro: new OroCalendarSide(c.oro, c.userId, {
      now: c.now,
      calendarId: c.oroCalendarId,
      ...(window ? { window } : {}),
    }),
    microsoft: new GraphCalendarSide(c.graph, {
      now: c.now,
      sleep: fast,
      ...(window ? { window } : {}),
      ...(privateEvents ? { privateEvents: privateEvents() } : {}),
      calendarId: c.folder,
    }),
  }),
});

/**
 * `oroTimeoutMs` and `graphTimeoutMs`: 5 s by default (the simulators share this process,
 * whose event loop a loaded machine can stall past a short deadline); a run that starts with
 * an Oro hang armed gets 200 ms for Oro, so tests of hanging requests stay short; tests of
 * hanging Graph requests give a short `graphTimeoutMs`.
 */
/**
 * `msTimeZone`: the Microsoft user's mailbox zone, readable by the sync (its token then
 * carries MailboxSettings.Read); without it the mailbox zone cannot be read (403).
 */
export function startSyncHarness(
  userId = ORO_OWNER,
  options: {
    oroClock?: () => number;
    oroTimeoutMs?: number;
    graphTimeoutMs?: number;
    msTimeZone?: string;
    /** The To Do list chosen, asked at each run (tests change it between runs). */
    folder?: () => string | undefined;
    /** Where runs reach Oro (asked at each run): a proxy in front of the simulator (bench/latency.ts). */
    oroBaseUrl?: () => string | undefined;
  } = {},
): Promise<SyncHarness<TaskFields>> {
  return startHarness(TASKS, userId, options);
}

/** The same, for calendar events: Oro's REST calendar and the Graph calendar. */
export function startCalendarHarness(
  userId = ORO_OWNER,
  options: {
    oroClock?: () => number;
    oroTimeoutMs?: number;
    graphTimeoutMs?: number;
    window?: CalendarWindow;
    privateEvents?: () => PrivateEvents;
    /** The Outlook calendar chosen, asked at each run (tests change it between runs). */
    folder?: () => string | undefined;
    /** Where runs reach Oro (asked at each run): a proxy, or an Oro in its own process (bench/). */
    oroBaseUrl?: () => string | undefined;
  } = {},
): Promise<SyncHarness<EventFields>> {
  return startHarness(calendar(options.window, options.privateEvents), userId, options).then((h) => {
    h.oro.calendar.defaultCalendar(userId); // every Oro user has one
    return h;
  });
}

async function startHarness<F extends Fields>(
  factory: SideFactory<F>,
  userId: string,
  options: {
    oroClock?: () => number;
    oroTimeoutMs?: number;
    graphTimeoutMs?: number;
    msTimeZone?: string;
    folder?: () => string | undefined;
    oroBaseUrl?: () => string | undefined;
  },
): Promise<SyncHarness<F>> {
  // An Oro whose administrator deactivated task_flow (active in stock Oro), so statuses
  // converge both ways; a test of the workflow's refusals turns it on (setTaskWorkflow).
  const oro = await startOroSimulator({
    ...(options.oroClock ? { clock: options.oroClock } : {}),
    taskWorkflow: false,
  });
  oro.registerClient('sync', 'pw');
  const microsoft = await startMicrosoftSimulator();
  trustInThisProcess(microsoft.certificate);
  const tableCrash = new TableCrash();
  const tables = crashingTableStore(testConnectionString(), uniquePrefix(), tableCrash);
  const tokens = new OroTokenCache();
  let offset = 0;
  let lastLinks: LinkRepository<F> | undefined;
  let graphToken: Promise<string> | undefined;
  if (options.msTimeZone !== undefined) {
    microsoft.setMailboxTimeZone(MS_USER, options.msTimeZone);
  }
  const scopes = ['User.Read', 'Calendars.ReadWrite', 'Tasks.ReadWrite', 'MailboxSettings.Read'];
  const token = () =>
    (graphToken ??= microsoft.graphToken(
      MS_USER,
      options.msTimeZone === undefined ? scopes : [...scopes, 'MailboxSettings.Read'],
    ));
  const now = () => new Date(Date.now() + offset);

  const sides = () =>
    factory.sides({
      oro: new OroClient(
        { baseUrl: options.oroBaseUrl?.() ?? oro.url, clientId: 'sync', clientSecret: 'pw' },
        tokens,
        {
          sleep: fast,
          // Short only while a hang is armed: the simulator shares this process, whose event
          // loop a loaded machine can stall past a short deadline (an Oro create then failed).
          timeoutMs: options.oroTimeoutMs ?? (oro.armed().includes('hang') ? 200 : 5_000),
        },
      ),
      graph: createGraphClient(microsoft.graphUrl, token, undefined, options.graphTimeoutMs ?? 5_000),
      userId,
      now,
      // The user's calendar id, as the admin sets it (setting calendar.oroCalendarId).
      oroCalendarId: oro.calendar.defaultCalendar(userId),
      folder: options.folder?.(),
    });
  const links = () => new LinkRepository<F>(tables).list(userId, factory.entity);

  return {
    oro,
    microsoft,
    tables,
    crashTablesAfter: (after, applied) => tableCrash.crashAfter(after, applied),
    run: async (settings, crash, { during, ...runOptions } = {}) => {
      lastLinks = new LinkRepository<F>(tables);
      try {
        return await runSync<F>({
          userId,
          entity: factory.entity,
          settings,
          sides: sides(),
          links: lastLinks,
          states: new SyncStateRepository(tables),
          log: new SyncLogRepository(tables),
          runId: randomUUID(),
          now,
          ...runOptions,
          ...(crash || during
            ? {
                crash: async (point: CrashPoint) => {
                  await during?.(point);
                  if (point === crash) {
                    throw new SimulatedCrash(point);
                  }
                },
              }
            : {}),
        });
      } finally {
        // The next run is another process: what died with this one does not carry over.
        tableCrash.heal();
      }
    },
    lastLinkOperations: () => lastLinks?.operations ?? 0,
    links,
    readAll: async () => {
      const linked = await links();
      const fresh = sides();
      const read = async (side: 'oro' | 'microsoft') => {
        const ids = new Set(linked.flatMap((l) => (side === 'oro' ? l.oroId : l.microsoftId) ?? []));
        const result = await fresh[side].read(undefined, ids);
        return new Map(
          result.changes.flatMap((c) => (c.type === 'upsert' ? [[c.item.id, c.item] as const] : [])),
        );
      };
      return { oro: await read('oro'), microsoft: await read('microsoft') };
    },
    now,
    advance: (ms) => {
      offset += ms;
    },
    close: async () => {
      await oro.close();
      await microsoft.close();
    },
  };
}
