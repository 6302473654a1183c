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
import type { SyncQueue } from '../messaging/sync-queue';
import { OAuthStateRepository } from '../storage/oauth-state-repository';
import { SettingsRepository } from '../storage/settings-repository';
import { createTableStore, type TableStore } from '../storage/tables';
import { checkHealth, type HealthReport } from './health';

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
  authenticateAdmin: AuthenticateAdmin;
  health(): Promise<HealthReport>;
}

export function createServices(config: AppConfig): Services {
  const tables = createTableStore(config.storage.connectionString, config.storage.tablePrefix);
  const secrets = new SecretBox(config.secretKeys);
  const syncQueue = createServiceBusQueue(config.serviceBus.connectionString);
  const settings = new SettingsService(new SettingsRepository(tables), secrets);
  const connections = new ConnectionService(
    settings,
    new ConnectionRepository(tables),
    new OAuthStateRepository(tables),
    secrets,
    config.microsoft,
  );
  const states = new SyncStateRepository(tables);
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
      oroTokens: new OroTokenCache(),
      graphBaseUrl: config.microsoft.graphBaseUrl,
      calendarWindow: config.calendarWindow,
    }),
    syncQueue,
    authenticateAdmin: createAdminAuthenticator(config.auth),
    health: () => checkHealth(tables, syncQueue),
  };
}
