import { createHash, randomBytes } from 'node:crypto';
import { isServiceBusError, ServiceBusClient } from '@azure/service-bus';
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { startAzurite } from '../dev/azurite';
import { startServiceBusEmulator, type ServiceBusEmulator } from '../dev/servicebus';
import { QUEUES } from '../shared/messaging/messages';
import { createServiceBusShardQueue, SCHEDULE_QUEUE, shardWork } from '../shared/messaging/schedule-queue';
import { createServiceBusQueue } from '../shared/messaging/service-bus-queue';
import type { SyncQueue } from '../shared/messaging/sync-queue';
import { SecretBox } from '../shared/crypto/secret-box';
import {
  DEFAULT_PARTITION_OPS_PER_SECOND,
  Scheduler,
  type ShardResult,
} from '../shared/scheduling/scheduler';
import { SettingsService } from '../shared/settings/service';
import { storedOverrides } from '../shared/settings/model';
import { accountRow, storedAccount, ConnectionRepository } from '../shared/storage/connection-repository';
import {
  addMinutes,
  DEFAULT_SHARDS,
  ScheduleRepository,
  slotOf,
  slotTime,
  type UserSchedule,
} from '../shared/storage/schedule-repository';
import { GLOBAL_ID, SettingsRepository } from '../shared/storage/settings-repository';
import { stateRow, syncState, SyncStateRepository } from '../shared/storage/sync-state-repository';
import type { TableStore } from '../shared/storage/tables';
import { countingTableStore, TableTraffic } from '../test/support/counting-tables';
import { Scheduler as BaselineScheduler } from './baseline/scheduler';
import { ScheduleRepository as BaselineScheduleRepository } from './baseline/schedule-repository';
import { writeSection } from './sections';

/**
 * The timer's fan-out, today's design (bench/baseline: one partition per minute, one timer
 * invocation, settings, connection and sync state read per due user) beside the sharded one
 * (shared/scheduling) in the same run: BENCH_USERS (100,000) users for real, BENCH_DUE
 * (1,000) of them due in the measured minute; and BENCH_MODEL_USERS (1,000,000) users in a
 * sampled store holding the rows due in the measured minute only (a minute's work reads
 * nothing else). Table traffic is counted on the wire (test/support/counting-tables.ts).
 */
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const DUE = Number(process.env.BENCH_DUE ?? 1_000);
const MODEL_USERS = Number(process.env.BENCH_MODEL_USERS ?? 1_000_000);
const SHARDS = Number(process.env.BENCH_SHARDS ?? DEFAULT_SHARDS);
/** Shard work items run at once: one Functions instance's sessions (host.json maxConcurrentSessions). */
const SESSIONS = 8;
/** Organizations and their intervals; every 10th user overrides with 5 minutes. */
const ORGS = [
  ['org15', 15],
  ['org30', 30],
  ['org60', 60],
  ['org240', 240],
] as const;
const intervalOf = (i: number) => (i % 10 === 0 ? 5 : ORGS[i % ORGS.length]![1]);
const orgOf = (i: number) => ORGS[i % ORGS.length]![0];
/**
 * Each run measures its own minute (a day apart): the runs share one Service Bus, whose
 * duplicate detection would drop a later run's messages with the same ids.
 */
const minuteOf = (day: number) => {
  const now = new Date(Date.UTC(2026, 10, day, 19, 0, 20));
  return { now, target: slotOf(now) };
};
type Minute = ReturnType<typeof minuteOf>;
const STAMP = '2026-11-24T18:00:00.000Z';

export interface FanOutBenchRow {
  design: string;
  scenario: string;
  due: number;
  enqueued: number;
  seconds: number | string;
  requests: number | string;
  entitiesRead: number | string;
  workItems: number;
  /** The busiest partition: its operations in any one second, and over the whole minute's work. */
  partitionPerSecond: number | string;
  partitionTotal: number | string;
}

async function inTransactions(table: TableClient, partition: string, rows: Record<string, unknown>[]) {
  for (let i = 0; i < rows.length; i += 100) {
    const actions: TransactionAction[] = rows
      .slice(i, i + 100)
      .map((r) => ['create', { partitionKey: partition, ...r } as { partitionKey: string; rowKey: string }]);
    await table.submitTransaction(actions);
  }
}

async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        await work(items[next++]!);
      }
    }),
  );
}

function services(tables: TableStore) {
  return {
    settings: new SettingsService(
      new SettingsRepository(tables),
      new SecretBox([{ id: 'bench', key: randomBytes(32) }]),
    ),
    connections: new ConnectionRepository(tables),
    states: new SyncStateRepository(tables),
  };
}

async function seedLevels(settings: SettingsService): Promise<void> {
  await settings.write(
    'global',
    GLOBAL_ID,
    { syncIntervalMinutes: 30, tasks: { enabled: true } },
    'replace',
    {},
  );
  for (const [org, interval] of ORGS) {
    await settings.write('organization', org, { syncIntervalMinutes: interval }, 'replace', {});
  }
}

/** User settings rows (the organization, and every 10th user's own 5 minutes), in transactions. */
async function seedUserSettings(tables: TableStore, ids: readonly string[]): Promise<void> {
  await inTransactions(
    tables.client('settings'),
    'user',
    ids.map((id, i) => ({
      rowKey: id,
      overrides: JSON.stringify(storedOverrides.parse(i % 10 === 0 ? { syncIntervalMinutes: 5 } : {})),
      organizationId: orgOf(i),
      updatedAt: STAMP,
    })),
  );
}

/** The first DUE users are due in the measured minute; the rest later within their interval. */
const slotFor = (i: number, due: number, target: string) =>
  i < due ? target : addMinutes(target, 1 + (i % intervalOf(i)));
const userIds = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(7, '0')}`);

/** Today's layout: slot rows per minute, a pointer per user, connection and sync state rows. */
async function seedBaseline(
  tables: TableStore,
  ids: readonly string[],
  due: number,
  m: Minute,
  log: (l: string) => void,
) {
  const bySlot = new Map<string, Record<string, unknown>[]>();
  ids.forEach((id, i) => {
    const slot = slotFor(i, due, m.target);
    const list = bySlot.get(slot) ?? [];
    list.push({ rowKey: `${id}:tasks`, userId: id, entity: 'tasks' });
    bySlot.set(slot, list);
  });
  for (const [slot, rows] of bySlot) {
    await inTransactions(tables.client('schedule'), slot, rows);
  }
  const account = JSON.stringify(
    storedAccount.parse({
      status: 'connected',
      homeAccountId: 'h',
      username: 'bench@contoso.example',
      displayName: 'Bench',
      tenantId: 't',
      scopes: [],
      connectedAt: STAMP,
      updatedAt: STAMP,
    }),
  );
  let seeded = 0;
  await eachLimited(
    ids.map((id, i) => [id, i] as const),
    48,
    async ([id, i]) => {
      const last = new Date(
        slotTime(slotFor(i, due, m.target)).getTime() - intervalOf(i) * 60_000,
      ).toISOString();
      await Promise.all([
        tables.client('schedule').createEntity({
          partitionKey: `user:${id}`,
          rowKey: `${id}:tasks`,
          slot: slotFor(i, due, m.target),
        }),
        tables.client('connections').createEntity({ partitionKey: id, rowKey: accountRow(id), account }),
        tables.client('syncstate').createEntity({
          partitionKey: id,
          rowKey: stateRow(id, 'tasks'),
          state: JSON.stringify(syncState.parse({ cursors: {}, status: 'idle', lastSyncAt: last, runs: 1 })),
        }),
      ]);
      if (++seeded % 20_000 === 0) {
        log(`  seeded ${seeded} users (today's design)`);
      }
    },
  );
}

/** The sharded layout: each user's entry and slot row in its shard partition, carrying the user's own interval. */
async function seedSharded(
  schedule: ScheduleRepository,
  users: readonly { id: string; i: number; slot: string }[],
): Promise<void> {
  const values = (i: number): UserSchedule => ({
    organizationId: orgOf(i),
    ...(i % 10 === 0 ? { intervalMinutes: 5 } : {}),
  });
  for (let k = 0; k < users.length; k += 5_000) {
    await schedule.insertMany(
      users
        .slice(k, k + 5_000)
        .map((u) => ({ userId: u.id, entity: 'tasks' as const, slot: u.slot, values: values(u.i) })),
    );
  }
}

/** The shard work items on Service Bus, run SESSIONS at a time as the Functions host would. */
async function runShardWorkers(
  client: ServiceBusClient,
  scheduler: Scheduler,
  now: Date,
): Promise<ShardResult[]> {
  const results: ShardResult[] = [];
  let lockLost = 0;
  await Promise.all(
    Array.from({ length: SESSIONS }, async () => {
      for (;;) {
        let receiver;
        try {
          receiver = await client.acceptNextSession(SCHEDULE_QUEUE);
        } catch (error) {
          if (isServiceBusError(error) && ['SessionCannotBeLocked', 'ServiceTimeout'].includes(error.code)) {
            return;
          }
          throw error;
        }
        try {
          for (;;) {
            const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 100 });
            if (!message) {
              break;
            }
            results.push(await scheduler.runShard(shardWork.parse(message.body), now));
            await receiver.completeMessage(message);
          }
        } catch (error) {
          // The local emulator sometimes drops a short session's lock before the completion;
          // the work is done, and a redelivery would find nothing due (the host logs the same).
          if (!(isServiceBusError(error) && ['SessionLockLost', 'MessageLockLost'].includes(error.code))) {
            throw error;
          }
          lockLost++;
        } finally {
          await receiver.close();
        }
      }
    }),
  );
  if (lockLost > 0) {
    console.log(`  (${lockLost} shard sessions lost their lock at completion in the emulator)`);
  }
  return results.filter((r) => r.through === slotOf(now));
}

interface Measured {
  seconds: number;
  requests: number;
  entitiesRead: number;
  partitionPerSecond: number;
  partitionTotal: number;
}

async function measure<T>(traffic: TableTraffic, run: () => Promise<T>): Promise<{ result: T } & Measured> {
  traffic.reset();
  const started = performance.now();
  const result = await run();
  const seconds = Math.round((performance.now() - started) / 10) / 100;
  const p = traffic.perPartition();
  return {
    result,
    seconds,
    requests: traffic.requests,
    entitiesRead: traffic.entitiesRead,
    partitionPerSecond: p.maxPerSecond,
    partitionTotal: p.maxTotal,
  };
}

/** Today's design over `users` users, `due` of them due: one timer run, then the same minute again. */
async function baselineRuns(connectionString: string, queue: SyncQueue, log: (l: string) => void) {
  const m = minuteOf(23);
  const traffic = new TableTraffic();
  const tables = countingTableStore(connectionString, `b${randomBytes(4).toString('hex')}`, traffic);
  await tables.ready();
  const { settings, connections, states } = services(tables);
  const started = performance.now();
  await seedLevels(settings);
  const ids = userIds(USERS, 'u');
  await seedUserSettings(tables, ids);
  await seedBaseline(tables, ids, DUE, m, log);
  const schedule = new BaselineScheduleRepository(tables);
  await schedule.saveCursor({ through: addMinutes(m.target, -1) });
  const seedSeconds = Math.round((performance.now() - started) / 100) / 10;
  log(`seeded ${USERS} users in today's layout in ${seedSeconds} s`);
  const scheduler = new BaselineScheduler({ schedule, settings, connections, states, queue });
  const run = await measure(traffic, () => scheduler.fanOut(m.now));
  const again = await measure(traffic, () => scheduler.fanOut(new Date(m.now.getTime() + 10_000)));
  const rows: FanOutBenchRow[] = [
    {
      design: "today's",
      scenario: `timer run, ${DUE} due of ${USERS}`,
      due: run.result.read,
      enqueued: run.result.enqueued,
      workItems: 1,
      ...run,
    },
    {
      design: "today's",
      scenario: 'same minute again (nothing due)',
      due: 0,
      enqueued: 0,
      workItems: 1,
      ...again,
    },
  ];
  return { rows, seedSeconds, run };
}

/** The sharded design: seeded, then one timer run and its shard work, then the same minute again. */
async function shardedRuns(
  connectionString: string,
  queue: SyncQueue,
  serviceBus: ServiceBusEmulator,
  size: { users: number; scenario: string; sampled: boolean },
  log: (l: string) => void,
) {
  const m = minuteOf(size.sampled ? 25 : 24);
  const traffic = new TableTraffic();
  const tables = countingTableStore(connectionString, `s${randomBytes(4).toString('hex')}`, traffic);
  await tables.ready();
  const { settings, states } = services(tables);
  const schedule = new ScheduleRepository(tables, { shards: SHARDS });
  const shardQueue = createServiceBusShardQueue(serviceBus.connectionString);
  const client = new ServiceBusClient(serviceBus.connectionString);
  try {
    const started = performance.now();
    await seedLevels(settings);
    let users: { id: string; i: number; slot: string }[];
    if (size.sampled) {
      // Only the users due in the measured minute exist: each user's first slot is a stable
      // hash of the user within their interval, so about users × Σ 1/interval are due.
      users = [];
      for (let i = 0; i < size.users; i++) {
        if (phase(i) % intervalOf(i) === 0) {
          users.push({ id: `m${String(i).padStart(7, '0')}`, i, slot: m.target });
        }
      }
    } else {
      const ids = userIds(size.users, 'u');
      await seedUserSettings(tables, ids);
      users = ids.map((id, i) => ({ id, i, slot: slotFor(i, DUE, m.target) }));
    }
    await seedSharded(schedule, users);
    await schedule.saveCursor({ through: addMinutes(m.target, -1) });
    const seedSeconds = Math.round((performance.now() - started) / 100) / 10;
    log(`seeded ${users.length} schedule rows of ${size.users} users (sharded) in ${seedSeconds} s`);
    const scheduler = new Scheduler({
      schedule,
      settings,
      states,
      queue,
      shardQueue,
      partitionOpsPerSecond: DEFAULT_PARTITION_OPS_PER_SECOND,
    });
    const minute = async () => {
      const timer = await scheduler.fanOut(m.now);
      const shards = await runShardWorkers(client, scheduler, m.now);
      return { timer, shards };
    };
    const run = await measure(traffic, minute);
    const again = await measure(traffic, () => scheduler.fanOut(new Date(m.now.getTime() + 10_000)));
    // A work item the emulator handed out twice (a lost lock) counts once: its larger run.
    const byShard = new Map<number, ShardResult>();
    for (const r of run.result.shards) {
      if (r.read >= (byShard.get(r.shard)?.read ?? -1)) {
        byShard.set(r.shard, r);
      }
    }
    const sum = (key: 'read' | 'enqueued') => [...byShard.values()].reduce((n, r) => n + r[key], 0);
    const rows: FanOutBenchRow[] = [
      {
        design: 'sharded',
        scenario: size.scenario,
        due: sum('read'),
        enqueued: sum('enqueued'),
        workItems: new Set(run.result.shards.map((r) => r.shard)).size,
        ...run,
      },
    ];
    if (!size.sampled) {
      rows.push({
        design: 'sharded',
        scenario: 'same minute again (nothing due)',
        due: 0,
        enqueued: 0,
        workItems: 0,
        ...again,
      });
    }
    log(JSON.stringify(rows));
    return { rows, seedSeconds };
  } finally {
    await shardQueue.close();
    await client.close();
  }
}

/** A stable spread of user i's first slot over their interval, independent of the shard hash. */
function phase(i: number): number {
  return createHash('sha256').update(`phase:${i}`).digest().readUInt32BE(0);
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const per = (n: number | string, due: number) => (typeof n === 'number' && due > 0 ? round2(n / due) : 'n/a');

/** The fan-out section of BENCHMARKS.md. */
export function writeFanOutSection(rows: FanOutBenchRow[], notes: { seed: string; bus: string }): void {
  writeSection(
    'fanout',
    `## Timer fan-out

Measured by \`npm run bench\` (\`BENCH=fanout\` runs only this) on ${new Date().toISOString().slice(0, 10)}
(Node ${process.versions.node}, ${process.platform}/${process.arch}) against an in-memory Azurite and
the local Service Bus emulator. Users sync tasks with mixed intervals (organizations at 15, 30, 60
and 240 minutes, every 10th user overriding 5). **Today's design** (kept as the baseline in
\`bench/baseline/\`): one partition per minute, one timer invocation resolving each due user's
settings, connection and sync state. **Sharded** (\`shared/scheduling\`, docs/scheduling.md):
${SHARDS} shards, the timer queues one work item per shard, ${SESSIONS} run at once (one Functions
instance's sessions), each paced at ${DEFAULT_PARTITION_OPS_PER_SECOND} operations per second on its partition.
${notes.seed} ${notes.bus}

| design | scenario | due | enqueued | work items | minute's wall time (s) | table requests | entities read | entities read / due | requests / due | busiest partition: ops in one second | busiest partition: ops in the minute |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows
  .map(
    (r) =>
      `| ${r.design} | ${r.scenario} | ${r.due} | ${r.enqueued} | ${r.workItems} | ${r.seconds} | ${r.requests} | ${r.entitiesRead} | ${per(r.entitiesRead, r.due)} | ${per(r.requests, r.due)} | ${r.partitionPerSecond} | ${r.partitionTotal} |`,
  )
  .join('\n')}

Table operations count one per entity a request reads or writes (a transaction of 99 counts 99),
attributed to its partition; "ops in one second" is the most in any sliding one-second window.
Table Storage serves about 2,000 entities per second per partition. Targets of the issue: at
most 1.1 entities read and 0.2 requests per due user-entity, no partition above 1,000
operations per second at 1,000,000 users, the minute's work spread over many invocations.

- **Today's design** reads per due user the schedule pointer, the user's settings row, the
  connection and the sync state (queued mark) and writes the pointer and the state one by one:
  about 5 entities and 6 requests per due user. All due rows of a minute share one partition
  and one invocation does them all, so the minute's wall time grows with the due users; at
  1,000,000 users (extrapolated from its own cost per due user in this run) one minute's work
  takes several minutes, and the schedule falls further behind every minute.
- **Sharded**: a shard's due rows carry the user's own interval, enabled flags and
  organization, so a worker reads nothing else (the timer reads the global and organization
  settings once for all shards); moves are transactions of 33 (slot row deleted, next slot row
  and entry written: 99 operations). Per due user-entity: about one entity read and a few
  hundredths of a request. The 1,000,000-user row holds only the rows due in the measured
  minute (a minute's work reads nothing else), so its partition figures are the real minute's
  at that size.
- **Per partition**: each shard worker paces itself to ${DEFAULT_PARTITION_OPS_PER_SECOND} operations per second on its
  partition (measured slightly above where a busy event loop sent paced requests late), so no
  partition nears 1,000 whatever the size; a bigger minute takes longer instead.
- **The minute's wall time** here is that of one machine's Azurite and Service Bus emulator
  (2 shared cores, ${SESSIONS} sessions). At 1,000,000 users the pace alone bounds a shard's minute
  at its operations ÷ ${DEFAULT_PARTITION_OPS_PER_SECOND} (the busiest column ÷ ${DEFAULT_PARTITION_OPS_PER_SECOND} seconds), and ${SHARDS} shards over ${SESSIONS} sessions
  run in ${Math.ceil(SHARDS / SESSIONS)} rounds; on Azure more instances take more shard sessions at once, and more shards
  (\`SCHEDULE_SHARDS\`) make each smaller (docs/scheduling.md, _Choosing the shard count_).
  Here one process's Azurite and emulator carry every shard's table operations and messages,
  so the 1,000,000-user minute takes longer than the pace alone would; the 100,000-user minute,
  spread over the shards, takes well under today's single invocation.

**Reading the seconds.** Azurite finds a row by its RowKey first and then scans the rows
sharing it, so every table keys its rows uniquely (connections \`account:<user>\`, sync
state \`<user>:<entity>\`, schedule rows \`e:<user>:<entity>\` and
\`d:<slot>:<user>:<entity>:<gen>\`); Table Storage itself reads a row by its keys in
constant time either way. Seeding today's layout writes connection, sync state and pointer
rows one by one (a partition per user); the sharded layout's rows go in transactions.`,
  );
}

/** `BENCH=fanout npm run bench`: its own Azurite and Service Bus emulator, then the section in BENCHMARKS.md. */
export async function runFanOutBench(): Promise<void> {
  const azurite = await startAzurite();
  const serviceBus = await startServiceBusEmulator({
    queues: [...Object.values(QUEUES), SCHEDULE_QUEUE].map((name) => ({
      name,
      requiresSession: true,
      maxDeliveryCount: 5,
      // Service Bus's longest lock: a shard's work item runs up to a minute on a busy machine.
      lockDurationMs: 5 * 60_000,
    })),
  });
  const queue = createServiceBusQueue(serviceBus.connectionString);
  const log = (line: string) => console.log(line);
  try {
    const sharded = await shardedRuns(
      azurite.connectionString,
      queue,
      serviceBus,
      { users: USERS, scenario: `timer run and shard work, ${DUE} due of ${USERS}`, sampled: false },
      log,
    );
    const model = await shardedRuns(
      azurite.connectionString,
      queue,
      serviceBus,
      {
        users: MODEL_USERS,
        scenario: `${MODEL_USERS} users (sampled: the minute's due rows)`,
        sampled: true,
      },
      log,
    );
    const baseline = await baselineRuns(azurite.connectionString, queue, log);
    // Today's design at the model's size, from its own measured cost per due user.
    const modelDue = model.rows[0]!.due;
    const scale = modelDue / DUE;
    const b = baseline.run;
    const extrapolated: FanOutBenchRow = {
      design: "today's",
      scenario: `${MODEL_USERS} users (extrapolated from the ${USERS} run)`,
      due: modelDue,
      enqueued: modelDue,
      workItems: 1,
      seconds: `≈ ${Math.round(b.seconds * scale)}`,
      requests: Math.round(b.requests * scale),
      entitiesRead: Math.round(b.entitiesRead * scale),
      partitionPerSecond: `≈ ${b.partitionPerSecond}`,
      partitionTotal: `≈ ${Math.round(b.partitionTotal * scale)}`,
    };
    const sent = serviceBus.sent(QUEUES.tasks);
    writeFanOutSection([...baseline.rows, extrapolated, ...sharded.rows, ...model.rows], {
      seed: `Seeding ${USERS} users took ${baseline.seedSeconds} s in today's layout and ${sharded.seedSeconds} s in the sharded one.`,
      bus: `Runs went to the emulator over AMQP through the real SDK (task-sync accepted ${sent.accepted} messages in ${sent.transfers} transfers, ${sent.duplicatesDropped} duplicates dropped).`,
    });
  } finally {
    await queue.close();
    await serviceBus.close();
    await azurite.stop();
  }
}
