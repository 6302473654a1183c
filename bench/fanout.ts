import { startAzurite } from '../dev/azurite';
import { startServiceBusEmulator } from '../dev/servicebus';
import { QUEUES } from '../shared/messaging/messages';
import { SCHEDULE_QUEUE } from '../shared/messaging/schedule-queue';
import { createServiceBusQueue } from '../shared/messaging/service-bus-queue';
import { baselineRuns } from './fanout/baseline';
import { extrapolatedBaseline } from './fanout/model';
import { DUE, MODEL_USERS, USERS } from './fanout/population';
import { writeFanOutSection } from './fanout/report';
import { shardedRuns } from './fanout/sharded';

export type { FanOutBenchRow } from './fanout/measure';
export { writeFanOutSection } from './fanout/report';

/**
 * The timer's fan-out bench (what it measures: bench/fanout/population.ts). Its parts: the
 * simulated users and minutes (population.ts), seeding (seed.ts), today's design as the
 * baseline (baseline.ts), the sharded design (sharded.ts), the 1,000,000-user model
 * (model.ts), measuring table traffic (measure.ts) and the BENCHMARKS.md section
 * (report.ts).
 */
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
    const extrapolated = extrapolatedBaseline(baseline.run, model.rows[0]!.due);
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
