import { DEMO } from './seed';
import { startStack } from './stack';
import { startLocalTelemetry } from './telemetry';

/** `npm start`: the whole system locally with a seeded demo. Ctrl-C stops everything. */
async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 7071);
  // Before the stack: the function table's spans and metrics go where TELEMETRY says.
  const telemetry = startLocalTelemetry(process.env.TELEMETRY);
  const stack = await startStack({
    port,
    seed: true,
    ...(process.env.SECRET_KEYS ? { secretKeys: process.env.SECRET_KEYS } : {}),
    log: (line) => console.log(line),
  }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(`Port ${port} is in use. Stop the other process or run with PORT=<free port> npm start.`);
      process.exit(1);
    }
    throw error;
  });
  const token = await stack.adminToken();
  console.log(`
Oro ⇄ Microsoft 365 sync is running (local stack, no Azure account needed).

  Demo portal  ${stack.url}/   (Microsoft Settings: user, organization and global level)
  API          ${stack.url}/api
  OpenAPI      ${stack.url}/api/openapi.json
  Health       ${stack.url}/api/health
  Microsoft    ${stack.microsoft.url}  (Entra ID + Graph simulator)
  Oro          ${stack.oro.url}  (Oro API simulator)
  Service Bus  sb://localhost:${stack.serviceBus.port}  (queues calendar-sync, task-sync, schedule-shards; emulator)
  Telemetry    ${telemetry ? `spans and metrics as JSON lines to ${telemetry.target}` : 'off (TELEMETRY=console or TELEMETRY=file:<path>)'}

Demo data: organization "${DEMO.organizationId}", user ${DEMO.inheritingUserId} (inherits everything),
user ${DEMO.overridingUserId} (overrides some fields).

Dev admin token (role Sync.Admin, valid 12 h). A new token is printed at each start;
one from an earlier start is refused (401: signature does not match):
export TOKEN=${token}

Try:
  curl -s -H "Authorization: Bearer $TOKEN" ${stack.url}/api/settings/users/${DEMO.overridingUserId}/effective

Press Ctrl-C to stop.`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    Promise.all([stack.close(), telemetry?.shutdown()]).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
