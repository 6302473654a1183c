import { writeSection } from './sections';
import { randomBytes } from 'node:crypto';
import { TableClient, type TransactionAction } from '@azure/data-tables';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { startAzurite } from '../dev/azurite';
import { startServiceBusEmulator } from '../dev/servicebus';
import { QUEUES } from '../shared/messaging/messages';
import { createServiceBusQueue } from '../shared/messaging/service-bus-queue';
import { SecretBox } from '../shared/crypto/secret-box';
import type { SyncQueue } from '../shared/messaging/sync-queue';
import { Scheduler } from '../shared/scheduling/scheduler';
import { SettingsService } from '../shared/settings/service';
import { resolve, flatten } from '../shared/settings/model';
import { storedOverrides } from '../shared/settings/model';
import { accountRow, storedAccount, ConnectionRepository } from '../shared/storage/connection-repository';
import { addMinutes, ScheduleRepository, slotOf, slotTime } from '../shared/storage/schedule-repository';
import { GLOBAL_ID, SettingsRepository } from '../shared/storage/settings-repository';
import { stateRow, syncState, SyncStateRepository } from '../shared/storage/sync-state-repository';
import { TABLE_NAMES, type TableName, type TableStore } from '../shared/storage/tables';

/**
 * The timer's fan-out over BENCH_USERS (100,000) users with mixed intervals, BENCH_DUE
 * (1,000) of them due in the measured minute, beside a full-scan baseline (read every
 * user's settings, connection and sync state, and pick the due ones) in the same run.
 * Table entities read and requests are counted on the wire by a pipeline policy.
 */
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const DUE = Number(process.env.BENCH_DUE ?? 1_000);
/** Organizations and their intervals; every 10th user overrides with 5 minutes. */
const ORGS = [
  ['org15', 15],
  ['org30', 30],
  ['org60', 60],
  ['org240', 240],
] as const;

interface Counter {
  requests: number;
  entities: number;
}

/** A TableStore whose every response is counted: requests, and entities in each body. */
function countingStore(connectionString: string, prefix: string, counter: Counter): TableStore {
  const policy: PipelinePolicy = {
    name: 'count-entities',
    async sendRequest(request, next) {
      const response = await next(request);
      counter.requests++;
      if (request.method === 'GET' && response.status === 200 && response.bodyAsText) {
        const body = JSON.parse(response.bodyAsText) as { value?: unknown[]; TableName?: string };
        counter.entities += Array.isArray(body.value) ? body.value.length : 1;
      }
      return response;
    },
  };
  const clients = new Map<TableName, TableClient>();
  const client = (name: TableName) => {
    let c = clients.get(name);
    if (!c) {
      c = TableClient.fromConnectionString(connectionString, `${prefix}${name}`, {
        allowInsecureConnection: true,
        additionalPolicies: [{ policy, position: 'perCall' }],
      });
      clients.set(name, c);
    }
    return c;
  };
  let ready: Promise<void> | undefined;
  return {
    client,
    ready: () =>
      (ready ??= Promise.all(TABLE_NAMES.map((n) => client(n).createTable())).then(() => undefined)),
    ping: () => Promise.resolve(),
  };
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

export interface FanOutBenchRow {
  scenario: string;
  seconds: number;
  requests: number;
  entitiesRead: number;
  due: number;
  enqueued: number;
  messagesPerSecond: number | string;
  /** Messages per second while sending only (the emulator's intake). */
  sendRate: number | string;
}

/**
 * Seeds the users, then measures one fan-out run (the measured minute) and the full-scan
 * baseline for the same minute. `queue` is where the fan-out sends (the emulator in npm run bench).
 */
export async function fanOutBenchmark(
  connectionString: string,
  queue: SyncQueue,
  size: { users: number; due: number; idPrefix?: string } = { users: USERS, due: DUE },
  log: (line: string) => void = console.log,
): Promise<{ rows: FanOutBenchRow[]; seedSeconds: number }> {
  const { users: USERS, due: DUE } = size;
  const counter: Counter = { requests: 0, entities: 0 };
  const prefix = `b${randomBytes(4).toString('hex')}`;
  const tables = countingStore(connectionString, prefix, counter);
  await tables.ready();
  const settings = new SettingsService(
    new SettingsRepository(tables),
    new SecretBox([{ id: 'bench', key: randomBytes(32) }]),
  );
  const schedule = new ScheduleRepository(tables);
  const connections = new ConnectionRepository(tables);
  const states = new SyncStateRepository(tables);

  const now = new Date('2026-11-24T19:00:20.000Z');
  const target = slotOf(now);
  const seedStarted = performance.now();
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

  const ids = Array.from({ length: USERS }, (_, i) => `${size.idPrefix ?? 'u'}${String(i).padStart(6, '0')}`);
  const intervalOf = (i: number) => (i % 10 === 0 ? 5 : ORGS[i % ORGS.length]![1]);
  // The first DUE users are due in the measured minute; the rest later within their interval.
  const slotFor = (i: number) => (i < DUE ? target : addMinutes(target, 1 + (i % intervalOf(i))));
  const stamp = '2026-11-24T18:00:00.000Z';
  await inTransactions(
    tables.client('settings'),
    'user',
    ids.map((id, i) => ({
      rowKey: id,
      overrides: JSON.stringify(storedOverrides.parse(i % 10 === 0 ? { syncIntervalMinutes: 5 } : {})),
      organizationId: ORGS[i % ORGS.length]![0],
      updatedAt: stamp,
    })),
  );
  const bySlot = new Map<string, Record<string, unknown>[]>();
  ids.forEach((id, i) => {
    const slot = slotFor(i);
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
      connectedAt: stamp,
      updatedAt: stamp,
    }),
  );
  let seeded = 0;
  await eachLimited(ids, 48, async (id) => {
    const i = Number(id.slice(1));
    const last = new Date(slotTime(slotFor(i)).getTime() - intervalOf(i) * 60_000).toISOString();
    await Promise.all([
      tables
        .client('schedule')
        .createEntity({ partitionKey: `user:${id}`, rowKey: `${id}:tasks`, slot: slotFor(i) }),
      tables.client('connections').createEntity({ partitionKey: id, rowKey: accountRow(id), account }),
      tables.client('syncstate').createEntity({
        partitionKey: id,
        rowKey: stateRow(id, 'tasks'),
        state: JSON.stringify(syncState.parse({ cursors: {}, status: 'idle', lastSyncAt: last, runs: 1 })),
      }),
    ]);
    if (++seeded % 20_000 === 0) {
      log(`  seeded ${seeded} users`);
    }
  });
  await schedule.saveCursor({ through: addMinutes(target, -1) });
  const seedSeconds = Math.round((performance.now() - seedStarted) / 100) / 10;
  log(`seeded ${USERS} users in ${seedSeconds} s`);

  const rows: FanOutBenchRow[] = [];
  const measure = async (
    scenario: string,
    run: () => Promise<{ due: number; enqueued: number; sendMs: number }>,
  ) => {
    counter.requests = 0;
    counter.entities = 0;
    const started = performance.now();
    const r = await run();
    const seconds = (performance.now() - started) / 1000;
    const row: FanOutBenchRow = {
      scenario,
      seconds: Math.round(seconds * 100) / 100,
      requests: counter.requests,
      entitiesRead: counter.entities,
      due: r.due,
      enqueued: r.enqueued,
      messagesPerSecond: r.enqueued > 0 ? Math.round(r.enqueued / seconds) : 'n/a',
      sendRate: r.enqueued > 0 ? Math.round(r.enqueued / (r.sendMs / 1000)) : 'n/a',
    };
    rows.push(row);
    log(`${scenario}: ${JSON.stringify(row)}`);
  };

  // Baseline first, so both read the same state: every user's settings, connection and
  // sync state, resolved, and the due ones picked (it enqueues nothing: reading is its cost).
  await measure(`full scan of ${USERS} users (baseline)`, async () => {
    const levels = new Map<string, ReturnType<typeof flatten>>();
    for await (const e of tables.client('settings').listEntities<{ overrides: string }>({
      queryOptions: { filter: "PartitionKey ne 'user'" },
    })) {
      levels.set(e.rowKey!, flatten(storedOverrides.parse(JSON.parse(e.overrides))));
    }
    const connected = new Set<string>();
    for await (const e of tables.client('connections').listEntities<{ account: string }>()) {
      if (
        e.rowKey === accountRow(e.partitionKey!) &&
        storedAccount.parse(JSON.parse(e.account)).status === 'connected'
      ) {
        connected.add(e.partitionKey!);
      }
    }
    const lastSync = new Map<string, number>();
    for await (const e of tables.client('syncstate').listEntities<{ state: string }>()) {
      lastSync.set(e.partitionKey!, Date.parse(syncState.parse(JSON.parse(e.state)).lastSyncAt ?? '') || 0);
    }
    let due = 0;
    for await (const e of tables
      .client('settings')
      .listEntities<{ overrides: string; organizationId?: string }>({
        queryOptions: { filter: "PartitionKey eq 'user'" },
      })) {
      const resolved = resolve({
        global: levels.get(GLOBAL_ID) ?? {},
        organization: levels.get(e.organizationId ?? '') ?? {},
        user: flatten(storedOverrides.parse(JSON.parse(e.overrides))),
      });
      const interval = Number(resolved.syncIntervalMinutes.value) * 60_000;
      const id = e.rowKey!;
      if (
        resolved['tasks.enabled'].value === true &&
        connected.has(id) &&
        (lastSync.get(id) ?? 0) + interval <= now.getTime()
      ) {
        due++;
      }
    }
    return { due, enqueued: 0, sendMs: 0 };
  });

  const scheduler = new Scheduler({ schedule, settings, connections, states, queue });
  await measure(`timer run, ${DUE} due of ${USERS}`, async () => {
    const r = await scheduler.fanOut(now);
    return { due: r.read, enqueued: r.enqueued, sendMs: r.sendMs };
  });
  await measure('timer run, same minute again (nothing due)', async () => {
    const r = await scheduler.fanOut(new Date(now.getTime() + 10_000));
    return { due: r.read, enqueued: r.enqueued, sendMs: r.sendMs };
  });
  return { rows, seedSeconds };
}

/** The fan-out section of BENCHMARKS.md. */
export function writeFanOutSection(rows: FanOutBenchRow[], seedSeconds: number, extra: string): void {
  writeSection(
    'fanout',
    `## Timer fan-out

Measured by \`npm run bench\` (\`BENCH=fanout\` runs only this) on ${new Date().toISOString().slice(0, 10)}
(Node ${process.versions.node}, ${process.platform}/${process.arch}) against an in-memory Azurite:
${USERS} connected users with mixed intervals (organizations at 15, 30, 60 and 240 minutes,
every 10th user overriding 5), ${DUE} of them due in the measured minute (seeding took
${seedSeconds} s). Entities read and requests are counted on the wire for every table.
${extra}

| scenario | seconds | table requests | table entities read | due | enqueued | messages/s (whole run) | messages/s (sending) |
|---|---:|---:|---:|---:|---:|---:|---:|
${rows.map((r) => `| ${r.scenario} | ${r.seconds} | ${r.requests} | ${r.entitiesRead} | ${r.due} | ${r.enqueued} | ${r.messagesPerSecond} | ${r.sendRate} |`).join('\n')}

The timer reads the due slots' rows (one range query, pages of 100) and, per due user, the
schedule pointer, the user's settings row (organization and global once per run), the
connection and the sync state (queued mark): about 5 entities and 6 requests per due user,
whatever the number of users (compare the runs for the same due users alone and among all).
The baseline reads every row of those tables to find the same users.

**Reading the seconds.** Azurite finds a row by its RowKey first and then scans the rows
sharing it, so every table keys its rows uniquely (connections \`account:<user>\`, sync
state \`<user>:<entity>\`, schedule pointers \`<user>:<entity>\`): with a RowKey shared by
all users, seeding 100,000 of them took over ten minutes and each point read grew with the
table. Table Storage itself reads a row by its keys in constant time either way.`,
  );
}

/** `BENCH=fanout npm run bench`: its own Azurite and Service Bus emulator, then the section in BENCHMARKS.md. */
export async function runFanOutBench(): Promise<void> {
  const azurite = await startAzurite();
  const serviceBus = await startServiceBusEmulator({
    queues: Object.values(QUEUES).map((name) => ({ name, requiresSession: true, maxDeliveryCount: 5 })),
  });
  const queue = createServiceBusQueue(serviceBus.connectionString);
  try {
    // The same due users alone first, then among all the others: what changes is the total only.
    const small = await fanOutBenchmark(azurite.connectionString, queue, {
      users: DUE,
      due: DUE,
      idPrefix: 's',
    });
    const { rows, seedSeconds } = await fanOutBenchmark(azurite.connectionString, queue);
    rows.unshift(...small.rows.filter((row) => row.scenario.startsWith('timer run, ') && row.due === DUE));
    const sent = serviceBus.sent(QUEUES.tasks);
    writeFanOutSection(
      rows,
      seedSeconds,
      `Messages went to the local Service Bus emulator over AMQP through the real SDK (task-sync received ${sent.accepted} in ${sent.transfers} transfers); messages/s is enqueued ÷ the whole timer run, and ÷ the time spent in the sends alone.`,
    );
  } finally {
    await queue.close();
    await serviceBus.close();
    await azurite.stop();
  }
}
