import { randomBytes } from 'node:crypto';
import { isServiceBusError, ServiceBusClient } from '@azure/service-bus';
import type { ServiceBusEmulator } from '../../dev/servicebus';
import { createServiceBusShardQueue, SCHEDULE_QUEUE, shardWork } from '../../shared/messaging/schedule-queue';
import type { SyncQueue } from '../../shared/messaging/sync-queue';
import {
  DEFAULT_PARTITION_OPS_PER_SECOND,
  Scheduler,
  type ShardResult,
} from '../../shared/scheduling/scheduler';
import { addMinutes, ScheduleRepository, slotOf } from '../../shared/storage/schedule-repository';
import { countingTableStore, TableTraffic } from '../../test/support/counting-tables';
import { measure, type FanOutBenchRow } from './measure';
import { sampledDueUsers } from './model';
import { DUE, SESSIONS, SHARDS, minuteOf, slotFor, userIds } from './population';
import { seedLevels, seedSharded, seedUserSettings, services } from './seed';

/** The shard work items on Service Bus, run SESSIONS at a time as the Functions host would. */
export async function runShardWorkers(
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
          // A session's lock can still be lost on a stalled machine (the SDK closes a receiver
          // whose credit drain goes unanswered for 200 ms); the work is done, and a redelivery
          // would find nothing due (the host logs the same).
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

/** The sharded design: seeded, then one timer run and its shard work, then the same minute again. */
export async function shardedRuns(
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
      users = sampledDueUsers(size.users, m.target);
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
