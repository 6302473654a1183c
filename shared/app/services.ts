import { createAdminAuthenticator, type AuthenticateAdmin } from '../auth/admin-auth';
import type { AppConfig } from '../config/config';
import { SecretBox } from '../crypto/secret-box';
import { ConnectionService } from '../connection/connection-service';
import { OroTokenCache } from '../oro/client';
import { NotificationService } from '../microsoft/notifications';
import { SubscriptionService } from '../microsoft/subscriptions';
import { SettingsService } from '../settings/service';
import { SubscriptionRepository } from '../storage/subscription-repository';
import { SyncLogRepository } from '../storage/sync-log-repository';
import { SyncStateRepository } from '../storage/sync-state-repository';
import { SyncService } from '../sync/sync-service';
import { ConnectionRepository } from '../storage/connection-repository';
import { createServiceBusQueue } from '../messaging/service-bus-queue';
import { OAuthStateRepository } from '../storage/oauth-state-repository';
import { SettingsRepository } from '../storage/settings-repository';
import { createTableStore, type TableStore } from '../storage/tables';
import type { SyncQueue } from '../messaging/sync-queue';
import { Scheduler } from '../scheduling/scheduler';
import { SyncWorker } from '../scheduling/sync-worker';
import { ScheduleRepository } from '../storage/schedule-repository';
import { checkHealth, type HealthReport } from './health';
import { createSideFactory } from './sides';

/** Everything a function needs, built once per process from validated config. */
export interface Services {
  config: AppConfig;
  tables: TableStore;
  settings: SettingsService;
  connections: ConnectionService;
  sync: SyncService;
  /** Graph change-notification subscriptions of each connected user. */
  subscriptions: SubscriptionService;
  /** The webhook use cases: change and lifecycle notifications. */
  notifications: NotificationService;
  /** Service Bus: where sync runs are queued (the connection opens on first use). */
  syncQueue: SyncQueue;
  /** The timer's fan-out and the schedule's lifecycle (connect, disconnect). */
  scheduler: Scheduler;
  /** Retries and dead-letter status around each queued run. */
  syncWorker: SyncWorker;
  /** The service's clock (a test stack moves it on to reach the next slot). */
  now(): Date;
  authenticateAdmin: AuthenticateAdmin;
  health(): Promise<HealthReport>;
}

export function createServices(config: AppConfig, parts: { clock?: () => Date } = {}): Services {
  const tables = createTableStore(config.storage.connectionString, config.storage.tablePrefix);
  const syncQueue = createServiceBusQueue(config.serviceBus.connectionString);
  const now = parts.clock ?? (() => new Date());
  const schedule = new ScheduleRepository(tables);
  const states = new SyncStateRepository(tables);
  const connectionRepository = new ConnectionRepository(tables);
  const secrets = new SecretBox(config.secretKeys);
  const settings = new SettingsService(new SettingsRepository(tables), secrets);
  const scheduler = new Scheduler({
    schedule,
    settings,
    connections: connectionRepository,
    states,
    queue: syncQueue,
  });
  const connections = new ConnectionService(
    settings,
    connectionRepository,
    new OAuthStateRepository(tables),
    secrets,
    config.microsoft,
    scheduler,
  );
  const subscriptionRepository = new SubscriptionRepository(tables);
  const subscriptions = new SubscriptionService({
    repository: subscriptionRepository,
    settings,
    connections,
    graphBaseUrl: config.microsoft.graphBaseUrl,
    publicBaseUrl: config.publicBaseUrl,
  });
  connections.listeners.push(subscriptions);
  const notifications = new NotificationService({
    repository: subscriptionRepository,
    subscriptions,
    states,
    queue: () => syncQueue,
  });
  return {
    config,
    tables,
    settings,
    connections,
    subscriptions,
    notifications,
    sync: new SyncService({
      settings,
      connections,
      tables,
      states,
      log: new SyncLogRepository(tables),
      sides: createSideFactory({
        oroTokens: new OroTokenCache(),
        graphBaseUrl: config.microsoft.graphBaseUrl,
        calendarWindow: config.calendarWindow,
      }),
      schedule,
      now,
    }),
    syncQueue,
    scheduler,
    syncWorker: new SyncWorker({ states, queue: syncQueue, now }),
    now,
    authenticateAdmin: createAdminAuthenticator(config.auth),
    health: () => checkHealth(tables, syncQueue),
  };
}
