import { randomBytes } from 'node:crypto';
import type { SyncQueue } from '../../shared/messaging/sync-queue';
import { addMinutes } from '../../shared/storage/schedule-repository';
import { countingTableStore, TableTraffic } from '../../test/support/counting-tables';
import { Scheduler as BaselineScheduler } from '../baseline/scheduler';
import { ScheduleRepository as BaselineScheduleRepository } from '../baseline/schedule-repository';
import { measure, type FanOutBenchRow } from './measure';
import { DUE, USERS, minuteOf, userIds } from './population';
import { seedBaseline, seedLevels, seedUserSettings, services } from './seed';

/** Today's design over `users` users, `due` of them due: one timer run, then the same minute again. */
export async function baselineRuns(connectionString: string, queue: SyncQueue, log: (l: string) => void) {
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
