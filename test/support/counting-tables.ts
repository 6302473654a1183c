import { TableClient } from '@azure/data-tables';
import type { PipelinePolicy, PipelineRequest } from '@azure/core-rest-pipeline';
import { TABLE_NAMES, type TableName, type TableStore } from '../../shared/storage/tables';

/**
 * What went over the wire to Table Storage: requests, entities read, and every operation
 * with its partition and time (a transaction counts one operation per entity it names,
 * a query one per entity returned), for per-partition operations per second.
 */
export class TableTraffic {
  requests = 0;
  entitiesRead = 0;
  readonly operations: { at: number; partition: string; n: number }[] = [];

  reset(): void {
    this.requests = 0;
    this.entitiesRead = 0;
    this.operations.length = 0;
  }

  /** Operations per partition over the run, and the busiest partition's most in any one second. */
  perPartition(): { partitions: number; maxTotal: number; maxPerSecond: number; busiest?: string } {
    const byPartition = new Map<string, { at: number; n: number }[]>();
    for (const op of this.operations) {
      const list = byPartition.get(op.partition) ?? [];
      list.push(op);
      byPartition.set(op.partition, list);
    }
    let maxTotal = 0;
    let maxPerSecond = 0;
    let busiest: string | undefined;
    for (const [partition, ops] of byPartition) {
      ops.sort((a, b) => a.at - b.at);
      let total = 0;
      let windowSum = 0;
      let start = 0;
      for (const op of ops) {
        total += op.n;
        windowSum += op.n;
        while (ops[start]!.at <= op.at - 1000) {
          windowSum -= ops[start]!.n;
          start++;
        }
        if (windowSum > maxPerSecond) {
          maxPerSecond = windowSum;
          busiest = partition;
        }
      }
      maxTotal = Math.max(maxTotal, total);
    }
    return { partitions: byPartition.size, maxTotal, maxPerSecond, ...(busiest ? { busiest } : {}) };
  }
}

const URL_PARTITION = /PartitionKey='((?:[^']|'')*)'/;
const BODY_PARTITION = /"PartitionKey":"([^"]*)"/;

function partitionOf(request: PipelineRequest): string | undefined {
  const body = typeof request.body === 'string' ? request.body : '';
  const found =
    URL_PARTITION.exec(decodeURIComponent(request.url)) ??
    URL_PARTITION.exec(body) ??
    BODY_PARTITION.exec(body);
  return found?.[1];
}

/** A TableStore on Azurite whose every request is counted in `traffic`. */
export function countingTableStore(
  connectionString: string,
  prefix: string,
  traffic: TableTraffic,
): TableStore {
  const policy: PipelinePolicy = {
    name: 'count-table-traffic',
    async sendRequest(request, next) {
      const at = performance.now();
      const response = await next(request);
      traffic.requests++;
      const body = typeof request.body === 'string' ? request.body : '';
      if (request.method === 'GET' && response.status === 200 && response.bodyAsText) {
        const parsed = JSON.parse(response.bodyAsText) as {
          value?: { PartitionKey?: string }[];
          PartitionKey?: string;
        };
        const entities = Array.isArray(parsed.value) ? parsed.value : [parsed];
        traffic.entitiesRead += entities.length;
        for (const e of entities) {
          if (e.PartitionKey !== undefined) {
            traffic.operations.push({ at, partition: e.PartitionKey, n: 1 });
          }
        }
      } else if (request.url.includes('$batch')) {
        const n = body.match(/content-type: application\/http/gi)?.length ?? 0;
        traffic.operations.push({ at, partition: partitionOf(request) ?? '?', n });
      } else if (request.method !== 'GET') {
        const partition = partitionOf(request);
        if (partition !== undefined) {
          traffic.operations.push({ at, partition, n: 1 });
        }
      }
      return response;
    },
  };
  return tableStoreWith(connectionString, prefix, policy);
}

/**
 * Real tables on Azurite whose every request goes through `policy` first (per call: outside
 * the SDK's retries), for what tests observe or break on the wire.
 */
export function tableStoreWith(connectionString: string, prefix: string, policy: PipelinePolicy): TableStore {
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
