import { z } from 'zod';
import type { ServiceBusSyncQueue } from '../messaging/service-bus-queue';
import type { TableStore } from '../storage/tables';

export const healthReport = z
  .object({
    status: z.enum(['ok', 'unhealthy']),
    checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() })),
  })
  .meta({ id: 'Health' });

export type HealthReport = z.infer<typeof healthReport>;

const TIMEOUT_MS = 5000;

/** Probes each dependency; a failing one is named, never thrown. */
export async function checkHealth(
  tables: TableStore,
  serviceBus: Pick<ServiceBusSyncQueue, 'ping'>,
): Promise<HealthReport> {
  const checks = await Promise.all([
    probe('tables', () => tables.ping()),
    probe('service bus', () => serviceBus.ping()),
  ]);
  return { status: checks.every((c) => c.ok) ? 'ok' : 'unhealthy', checks };
}

async function probe(name: string, check: () => Promise<void>): Promise<HealthReport['checks'][number]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      }),
    ]);
    return { name, ok: true };
  } catch (error) {
    return { name, ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
