import { DEFAULT_PARTITION_OPS_PER_SECOND } from '../../shared/scheduling/scheduler';
import { writeSection } from '../sections';
import type { FanOutBenchRow } from './measure';
import { SESSIONS, SHARDS } from './population';

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
