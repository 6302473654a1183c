import type { TableTraffic } from '../../test/support/counting-tables';

/** One row of the fan-out table in BENCHMARKS.md. */
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

export interface Measured {
  seconds: number;
  requests: number;
  entitiesRead: number;
  partitionPerSecond: number;
  partitionTotal: number;
}

/** Runs `run` and the table traffic it made: requests, entities read, the busiest partition. */
export async function measure<T>(
  traffic: TableTraffic,
  run: () => Promise<T>,
): Promise<{ result: T } & Measured> {
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
