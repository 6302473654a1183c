/** A scheduler on Azurite and the Service Bus emulator, for test/integration/shared/scheduling/scheduler.*. */
import { randomBytes } from 'node:crypto';
import { SecretBox } from '../../shared/crypto/secret-box';
import { QUEUES } from '../../shared/messaging/messages';
import {
  createServiceBusShardQueue,
  SCHEDULE_QUEUE,
  shardWork,
  type ShardWork,
} from '../../shared/messaging/schedule-queue';
import { Scheduler, type SchedulerDeps, type ShardResult } from '../../shared/scheduling/scheduler';
import { SettingsService } from '../../shared/settings/service';
import { ScheduleRepository, type DueRow } from '../../shared/storage/schedule-repository';
import { GLOBAL_ID, SettingsRepository } from '../../shared/storage/settings-repository';
import { SyncStateRepository } from '../../shared/storage/sync-state-repository';
import { createTableStore } from '../../shared/storage/tables';
import { countingTableStore, type TableTraffic } from './counting-tables';
import { testConnectionString, uniquePrefix } from './storage';
import { startTestServiceBus, type TestServiceBus } from './service-bus';

export const at = (hhmm: string, seconds = 30) =>
  new Date(`2026-11-24T${hhmm}:${String(seconds).padStart(2, '0')}Z`);
export const SHARDS = 4;

const buses: TestServiceBus[] = [];
const closing: { close(): Promise<void> }[] = [];
/** Closes what the worlds of a test opened: call it in afterEach. */
export async function closeWorlds(): Promise<void> {
  for (const c of closing.splice(0)) {
    await c.close();
  }
  for (const bus of buses.splice(0)) {
    await bus.close();
  }
}

export async function world(options: { traffic?: TableTraffic; deps?: Partial<SchedulerDeps> } = {}) {
  const bus = await startTestServiceBus();
  buses.push(bus);
  const prefix = uniquePrefix();
  const tables = options.traffic
    ? countingTableStore(testConnectionString(), prefix, options.traffic)
    : createTableStore(testConnectionString(), prefix);
  const settings = new SettingsService(
    new SettingsRepository(tables),
    new SecretBox([{ id: 'k', key: randomBytes(32) }]),
  );
  const schedule = new ScheduleRepository(tables, { shards: SHARDS });
  const states = new SyncStateRepository(tables);
  const shardQueue = createServiceBusShardQueue(bus.emulator.connectionString);
  closing.push(shardQueue);
  const deps: SchedulerDeps = { schedule, settings, states, queue: bus.queue, shardQueue, pageSize: 3 };
  const scheduler = new Scheduler({ ...deps, ...options.deps });
  settings.listeners.push(scheduler);
  /** Shard work waiting on Service Bus, received and completed (one session per shard). */
  const shardWorkQueued = async (): Promise<ShardWork[]> => {
    const work: ShardWork[] = [];
    for (let shard = 0; shard < SHARDS; shard++) {
      for (const m of await bus.drain(SCHEDULE_QUEUE, `shard-${shard}`)) {
        work.push(shardWork.parse(m.body));
      }
    }
    return work;
  };
  /** One timer run and the shard work it queued, as the shard function runs it. */
  const tick = async (now: Date, runner: Scheduler = scheduler) => {
    const timer = await runner.fanOut(now);
    const shards: ShardResult[] = [];
    for (const work of await shardWorkQueued()) {
      shards.push(await runner.runShard(work, now));
    }
    const sum = (key: 'read' | 'enqueued' | 'disabled' | 'movedMeanwhile') =>
      shards.reduce((n, r) => n + r[key], 0);
    return {
      timer,
      shards,
      read: sum('read'),
      enqueued: sum('enqueued'),
      disabled: sum('disabled'),
      movedMeanwhile: sum('movedMeanwhile'),
    };
  };
  /** What reached Service Bus for these users (task-sync), received and completed. */
  const ids = async (...users: string[]) => {
    const got: string[] = [];
    for (const u of users) {
      got.push(...(await bus.drain(QUEUES.tasks, u)).map((m) => m.messageId as string));
    }
    return got.sort();
  };
  await settings.write(
    'global',
    GLOBAL_ID,
    { syncIntervalMinutes: 30, tasks: { enabled: true } },
    'replace',
    {},
  );
  await settings.write('organization', 'acme', { syncIntervalMinutes: 15 }, 'replace', {});
  /** A user of acme, connected (on the schedule) at `connectedAt`'s next minute. */
  const user = async (id: string, overrides: Record<string, unknown> = {}, connectedAt?: Date) => {
    await settings.write('user', id, { organizationId: 'acme', ...overrides }, 'replace', {});
    if (connectedAt) {
      await scheduler.connected(id, connectedAt);
    }
  };
  const slots = async () => {
    const rows: DueRow[] = [];
    for (let shard = 0; shard < SHARDS; shard++) {
      for await (const page of schedule.due(shard, '209912312359', 100)) {
        rows.push(...page);
      }
    }
    return rows.map((r) => `${r.userId}/${r.entity}@${r.slot.slice(8)}`).sort();
  };
  /** Only tasks: calendar stays disabled (global default) and is left out of `slots`. */
  const taskSlots = async () => (await slots()).filter((s) => s.includes('/tasks@'));
  return {
    tables,
    settings,
    schedule,
    states,
    scheduler,
    deps,
    user,
    slots,
    taskSlots,
    ids,
    tick,
    shardWorkQueued,
    bus,
  };
}
