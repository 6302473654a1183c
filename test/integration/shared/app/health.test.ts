import { checkHealth } from '../../../../shared/app/health';
import { createServiceBusQueue } from '../../../../shared/messaging/service-bus-queue';
import { createTableStore } from '../../../../shared/storage/tables';
import { startServiceBusEmulator } from '../../../../dev/servicebus';
import { freePort } from '../../../../dev/ports';
import { QUEUES } from '../../../../shared/messaging/messages';
import { testConnectionString, uniquePrefix } from '../../../support/storage';

const tables = createTableStore(testConnectionString(), uniquePrefix());

it('is ok when the tables and the Service Bus namespace answer', async () => {
  const emulator = await startServiceBusEmulator({ queues: [{ name: QUEUES.tasks, requiresSession: true }] });
  const queue = createServiceBusQueue(emulator.connectionString);
  try {
    expect(await checkHealth(tables, queue)).toEqual({
      status: 'ok',
      checks: [
        { name: 'tables', ok: true },
        { name: 'service bus', ok: true },
      ],
    });
  } finally {
    await queue.close();
    await emulator.close();
  }
});

it('is unhealthy, naming the service bus, when nothing listens at its endpoint', async () => {
  const port = await freePort();
  const queue = createServiceBusQueue(
    `Endpoint=sb://localhost:${port};SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true`,
  );
  try {
    const report = await checkHealth(tables, queue);
    expect(report.status).toBe('unhealthy');
    expect(report.checks).toEqual([
      { name: 'tables', ok: true },
      { name: 'service bus', ok: false, detail: expect.any(String) as unknown },
    ]);
    expect(report.checks[1]?.detail).not.toContain('SharedAccessKey');
  } finally {
    await queue.close();
  }
});
