import { randomUUID } from 'node:crypto';
import { trustInThisProcess } from '../../dev/microsoft/certificate';
import { startMicrosoftSimulator, type MicrosoftSimulator } from '../../dev/microsoft/simulator';
import { startOroSimulator, type OroSimulator } from '../../dev/oro/simulator';
import { createGraphClient } from '../../shared/microsoft/graph-client';
import { TodoTasksSide } from '../../shared/microsoft/todo-side';
import { OroClient, OroTokenCache } from '../../shared/oro/client';
import { OroTasksSide } from '../../shared/oro/tasks-side';
import { LinkRepository } from '../../shared/storage/link-repository';
import { SyncLogRepository } from '../../shared/storage/sync-log-repository';
import { SyncStateRepository } from '../../shared/storage/sync-state-repository';
import { createTableStore, type TableStore } from '../../shared/storage/tables';
import type { Link, SyncSettings } from '../../shared/sync/model';
import { runSync, SimulatedCrash, type CrashPoint, type RunReport } from '../../shared/sync/runner';
import type { TaskFields } from '../../shared/sync/tasks/fields';
import { testConnectionString, uniquePrefix } from './storage';

export const MS_USER = 'megan.bowen@contoso.example';
export const ORO_OWNER = '101';

/** Both simulators and real tables, driving the engine the way the task-sync function does. */
export interface SyncHarness {
  oro: OroSimulator;
  microsoft: MicrosoftSimulator;
  tables: TableStore;
  /** One run; `crash` makes it stop dead at that point. */
  run(
    settings: SyncSettings,
    crash?: CrashPoint,
    options?: { confirmMassDelete?: boolean },
  ): Promise<RunReport>;
  links(): Promise<Link<TaskFields>[]>;
  /** Table operations on links by the last run (pages read + transactions). */
  lastLinkOperations(): number;
  /** Move the run clock on (a crashed run's lease expires). */
  advance(ms: number): void;
  close(): Promise<void>;
}

export async function startSyncHarness(
  userId = ORO_OWNER,
  options: { oroClock?: () => number } = {},
): Promise<SyncHarness> {
  const oro = await startOroSimulator(options.oroClock ? { clock: options.oroClock } : {});
  oro.registerClient('sync', 'pw');
  const microsoft = await startMicrosoftSimulator();
  trustInThisProcess(microsoft.certificate);
  const tables = createTableStore(testConnectionString(), uniquePrefix());
  const tokens = new OroTokenCache();
  const fast = async () => undefined;
  let offset = 0;
  let lastLinks: LinkRepository<TaskFields> | undefined;
  let graphToken: Promise<string> | undefined;
  const token = () => (graphToken ??= microsoft.graphToken(MS_USER));
  const now = () => new Date(Date.now() + offset);

  return {
    oro,
    microsoft,
    tables,
    run: (settings, crash, runOptions = {}) => {
      lastLinks = new LinkRepository<TaskFields>(tables);
      return runSync<TaskFields>({
        userId,
        entity: 'tasks',
        settings,
        sides: {
          oro: new OroTasksSide(
            new OroClient({ baseUrl: oro.url, clientId: 'sync', clientSecret: 'pw' }, tokens, {
              sleep: fast,
              timeoutMs: 200,
            }),
            userId,
          ),
          microsoft: new TodoTasksSide(createGraphClient(microsoft.graphUrl, token), { sleep: fast }),
        },
        links: lastLinks,
        states: new SyncStateRepository(tables),
        log: new SyncLogRepository(tables),
        runId: randomUUID(),
        now,
        ...runOptions,
        ...(crash
          ? {
              crash: (point: CrashPoint) => {
                if (point === crash) throw new SimulatedCrash(point);
              },
            }
          : {}),
      });
    },
    lastLinkOperations: () => lastLinks?.operations ?? 0,
    links: () => new LinkRepository<TaskFields>(tables).list(userId, 'tasks'),
    advance: (ms) => {
      offset += ms;
    },
    close: async () => {
      await oro.close();
      await microsoft.close();
    },
  };
}
