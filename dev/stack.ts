import { randomBytes } from 'node:crypto';
import { buildFunctionTable } from '../functions/index';
import { createServices, type Services } from '../shared/app/services';
import { loadConfig } from '../shared/config/config';
import { QUEUES } from '../shared/messaging/messages';
import { SCHEDULE_QUEUE } from '../shared/messaging/schedule-queue';
import { startAzurite, type Azurite } from './azurite';
import { startDevHost, type DevHost } from './host';
import { startDevTimers, type DevTimers } from './timers';
import type { TimerFunctionDefinition } from '../functions/timer';
import { trustInThisProcess } from './microsoft/certificate';
import { startMicrosoftSimulator, type MicrosoftSimulator } from './microsoft/simulator';
import { renderDevPortal } from './portal';
import { startOroSimulator, type OroSimulator } from './oro/simulator';
import { startQueueConsumers } from './queue-consumer';
import { startServiceBusEmulator, type ServiceBusEmulator } from './servicebus';
import { DEMO, seedDemo, seedDemoEvents, seedDemoTasks } from './seed';

export const DEV_AUDIENCE = 'api://oro-m365-sync';
export const ADMIN_ROLE = 'Sync.Admin';

export interface StackOptions {
  /** Port of the API; 0 picks a free one. */
  port?: number;
  /** Use this storage instead of starting Azurite. */
  storageConnectionString?: string;
  tablePrefix?: string;
  /** Base64 32-byte keys as in SECRET_KEYS; a random key when absent (fine for in-memory storage). */
  secretKeys?: string;
  seed?: boolean;
  log?: (line: string) => void;
  /** Fire timer functions on their schedules (default true); tests fire them with `timers.fire`. */
  timers?: boolean;
  /** Shards of the schedule (SCHEDULE_SHARDS; 4 by default here, for a handful of users). */
  scheduleShards?: number;
  /** The services' clock; tests move it on to reach the next schedule slot. */
  clock?: () => Date;
  /** Writes per sync run before it continues in another (SYNC_RUN_MAX_WRITES); the default when absent. */
  runMaxWrites?: number;
}

export interface Stack {
  url: string;
  /** Entra ID and Graph, simulated over HTTPS. */
  microsoft: MicrosoftSimulator;
  /** Oro's OAuth2 and tasks API, simulated. */
  oro: OroSimulator;
  /** The local Service Bus (queues calendar-sync, task-sync and schedule-shards), for inspection in tests. */
  serviceBus: ServiceBusEmulator;
  services: Services;
  /** The dev host serving the function table (loopback only). */
  host: DevHost;
  /** The timer functions of the function table, on their NCRONTAB schedules. */
  timers: DevTimers;
  /** A Sync.Admin token signed by the simulator's Entra ID. */
  adminToken(expiresIn?: number): Promise<string>;
  close(): Promise<void>;
}

/** The whole local system: storage, Microsoft simulator, and the dev host over the one function table. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const started: { close(): Promise<void> }[] = [];
  try {
    let connectionString = options.storageConnectionString;
    if (!connectionString) {
      const azurite: Azurite = await startAzurite();
      started.push({ close: () => azurite.stop() });
      connectionString = azurite.connectionString;
    }
    const microsoft = await startMicrosoftSimulator();
    started.push(microsoft);
    // The one difference from production: this process trusts the simulator's certificate.
    trustInThisProcess(microsoft.certificate);
    const oro = await startOroSimulator();
    started.push(oro);
    const serviceBus = await startServiceBusEmulator({ queues: SYNC_QUEUES });
    started.push(serviceBus);

    // The host starts first so its URL (portal origin, redirect URI) is known to the config.
    const late: { services?: Services; portal?: string } = {};
    const functions = buildFunctionTable(() => {
      if (!late.services) {
        throw new Error('The stack is still starting');
      }
      return late.services;
    });
    const host: DevHost = await startDevHost({
      functions,
      port: options.port ?? 0,
      pages: { '/': () => late.portal ?? '<p>The demo portal needs the seeded demo (npm start).</p>' },
      // The dev routes take the same admin token as the API (printed by npm start).
      authorizeDev: async (authorization) => {
        if (!late.services) {
          throw new Error('The stack is still starting');
        }
        await late.services.authenticateAdmin(authorization);
      },
      ...(options.log ? { log: options.log } : {}),
    });
    started.push(host);

    // The same validation as in Azure: the stack is configured through the environment schema.
    const config = loadConfig({
      STORAGE_CONNECTION_STRING: connectionString,
      ...(options.tablePrefix ? { TABLE_PREFIX: options.tablePrefix } : {}),
      SECRET_KEYS: options.secretKeys ?? `dev:${randomBytes(32).toString('base64')}`,
      AUTH_ISSUER: microsoft.issuer,
      AUTH_AUDIENCE: DEV_AUDIENCE,
      AUTH_JWKS_URI: microsoft.jwksUri,
      AUTH_ADMIN_ROLE: ADMIN_ROLE,
      PORTAL_ORIGIN: host.url,
      MICROSOFT_AUTHORITY_HOST: microsoft.url,
      GRAPH_BASE_URL: microsoft.graphUrl,
      // The simulator POSTs change notifications to the dev host, as Graph would to Azure.
      PUBLIC_BASE_URL: host.url,
      SERVICEBUS_CONNECTION_STRING: serviceBus.connectionString,
      // A handful of users: a few shards keep each timer run's work items few (docs/scheduling.md).
      SCHEDULE_SHARDS: String(options.scheduleShards ?? 4),
      ...(options.runMaxWrites ? { SYNC_RUN_MAX_WRITES: String(options.runMaxWrites) } : {}),
    });
    const services = createServices(config, options.clock ? { clock: options.clock } : {});
    started.push(services.syncQueue, services.shardQueue);
    late.services = services;
    await services.tables.ready();
    // As the Functions host would: the queue functions of the table take messages from Service Bus.
    started.push(
      startQueueConsumers({
        connectionString: serviceBus.connectionString,
        functions,
        ...(options.log ? { log: options.log } : {}),
      }),
    );
    const timers = startDevTimers(
      functions.filter((f): f is TimerFunctionDefinition => f.kind === 'timer'),
      { autoStart: options.timers ?? true, ...(options.log ? { log: options.log } : {}) },
    );
    started.push(timers);

    const adminToken = (expiresIn = 12 * 3600) =>
      microsoft.issueToken({ audience: DEV_AUDIENCE, roles: [ADMIN_ROLE], expiresIn });
    if (options.seed) {
      microsoft.registerApp({
        clientId: DEMO.clientId,
        clientSecret: DEMO.clientSecret,
        redirectUris: [`${host.url}/api/oauth/callback`],
      });
      oro.registerClient(DEMO.oroClientId, DEMO.oroClientSecret);
      await seedDemo(services.settings, {
        tenantId: microsoft.tenantId,
        apiUrl: host.url,
        oroUrl: oro.url,
        oroCalendarOf: (userId) => oro.calendar.defaultCalendar(userId),
      });
      seedDemoTasks(oro, microsoft);
      seedDemoEvents(oro, microsoft);
      late.portal = renderDevPortal(host.url, await adminToken());
    }

    return {
      url: host.url,
      microsoft,
      oro,
      serviceBus,
      services,
      host,
      timers,
      adminToken,
      close: () => closeAll(started),
    };
  } catch (error) {
    await closeAll(started);
    throw error;
  }
}

/**
 * The queues as deployed: the sync queues (sessions keyed by user) and the schedule's shard
 * queue (sessions keyed by shard), duplicate detection on, poison dead-lettered after 5 deliveries.
 */
const SYNC_QUEUES = [...Object.values(QUEUES), SCHEDULE_QUEUE].map((name) => ({
  name,
  requiresSession: true,
  maxDeliveryCount: 5,
  lockDurationMs: 60_000,
  duplicateDetectionWindowMs: 10 * 60_000,
}));

async function closeAll(parts: { close(): Promise<void> }[]): Promise<void> {
  for (const part of parts.reverse()) {
    await part.close();
  }
}
