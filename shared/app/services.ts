import { createAdminAuthenticator, type AuthenticateAdmin } from '../auth/admin-auth';
import type { AppConfig } from '../config/config';
import { SecretBox } from '../crypto/secret-box';
import { ConnectionService } from '../connection/connection-service';
import { MicrosoftFolders } from '../connection/folders';
import { OroTokenCache } from '../oro/client';
import { NotificationService } from '../microsoft/notifications';
import { OroWebhookService } from '../oro/webhook-receiver';
import { OroWebhookRepository } from '../storage/oro-webhook-repository';
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
import { FleetStatusRepository } from '../storage/fleet-status-repository';
import type { SyncQueue } from '../messaging/sync-queue';
import { createServiceBusShardQueue, type ShardQueue } from '../messaging/schedule-queue';
import { Scheduler } from '../scheduling/scheduler';
import { SyncWorker } from '../scheduling/sync-worker';
import { ScheduleRepository } from '../storage/schedule-repository';
import { checkHealth, type HealthReport } from './health';
import { oroCalendarCheck } from './oro-calendar-check';
import { serviceBusConnection, tableConnection } from './azure-credential';
import { createSideFactory } from './sides';
import { oroClients } from './oro-clients';
import { graphClients } from './graph-clients';
import { SharedBudgets } from '../budget/shared-budget';
import { BudgetRepository } from '../storage/budget-repository';

/** Everything a function needs, built once per process from validated config. */
export interface Services {
  config: AppConfig;
  tables: TableStore;
  settings: SettingsService;
  connections: ConnectionService;
  /** The connected account's Outlook calendars and To Do lists, to choose which one syncs. */
  folders: MicrosoftFolders;
  sync: SyncService;
  /** Graph change-notification subscriptions of each connected user. */
  subscriptions: SubscriptionService;
  /** The webhook use cases: change and lifecycle notifications. */
  notifications: NotificationService;
  /** Oro's webhooks of tasks and calendar events, per organization (secret, receipt). */
  oroWebhooks: OroWebhookService;
  /** Service Bus: where sync runs are queued (the connection opens on first use). */
  syncQueue: SyncQueue;
  /** Service Bus: the timer's work items, one per shard and minute. */
  shardQueue: ShardQueue;
  /** The timer's fan-out and the schedule's lifecycle (connect, disconnect). */
  scheduler: Scheduler;
  /** Retries and dead-letter status around each queued run. */
  syncWorker: SyncWorker;
  /** The fleet view: users whose sync fails, across the deployment or one organization. */
  fleet: FleetStatusRepository;
  /** The service's clock (a test stack moves it on to reach the next slot). */
  now(): Date;
  authenticateAdmin: AuthenticateAdmin;
  health(): Promise<HealthReport>;
}

export function createServices(config: AppConfig, parts: { clock?: () => Date } = {}): Services {
  const tables = createTableStore(tableConnection(config.storage), config.storage.tablePrefix);
  const syncQueue = createServiceBusQueue(serviceBusConnection(config.serviceBus));
  const shardQueue = createServiceBusShardQueue(serviceBusConnection(config.serviceBus));
  const now = parts.clock ?? (() => new Date());
  const schedule = new ScheduleRepository(tables, { shards: config.schedule.shards });
  const states = new SyncStateRepository(tables);
  const connectionRepository = new ConnectionRepository(tables);
  const secrets = new SecretBox(config.secretKeys);
  // One per process: every Graph client of a user (runs, Check Connection, subscriptions,
  // the folder choices) shares that user's mailbox holder, every run an Oro instance's.
  const budgets = new SharedBudgets(new BudgetRepository(tables));
  const graph = graphClients(config.microsoft.graphBaseUrl, budgets);
  const settings = new SettingsService(new SettingsRepository(tables), secrets);
  const scheduler = new Scheduler({
    schedule,
    settings,
    states,
    queue: syncQueue,
    shardQueue,
    partitionOpsPerSecond: config.schedule.partitionOpsPerSecond,
  });
  settings.listeners.push(scheduler);
  const connections = new ConnectionService(
    settings,
    connectionRepository,
    new OAuthStateRepository(tables),
    secrets,
    { authorityHost: config.microsoft.authorityHost, graph },
    scheduler,
  );
  const subscriptionRepository = new SubscriptionRepository(tables);
  const subscriptions = new SubscriptionService({
    repository: subscriptionRepository,
    settings,
    connections,
    graph,
    publicBaseUrl: config.publicBaseUrl,
  });
  connections.listeners.push(subscriptions);
  const oro = oroClients(new OroTokenCache(), budgets);
  connections.extraChecks.push(oroCalendarCheck(settings, oro));
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
    folders: new MicrosoftFolders({ settings, connections, graph }),
    subscriptions,
    notifications,
    oroWebhooks: new OroWebhookService({
      repository: new OroWebhookRepository(tables),
      secrets,
      settings,
      queue: () => syncQueue,
      now,
    }),
    sync: new SyncService({
      settings,
      connections,
      tables,
      states,
      log: new SyncLogRepository(tables),
      sides: createSideFactory({ oro, graph, calendarWindow: config.calendarWindow }),
      schedule,
      // Without a public URL nothing is subscribed: no subscription row to read per run.
      ...(subscriptions.enabled
        ? {
            notifications: {
              subscriptions: subscriptionRepository,
              pollSafetyMs: config.notificationPollSafetyMinutes * 60_000,
            },
          }
        : {}),
      now,
      bounds: config.runBounds,
    }),
    syncQueue,
    shardQueue,
    scheduler,
    syncWorker: new SyncWorker({ states, queue: syncQueue, now }),
    fleet: new FleetStatusRepository(tables),
    now,
    authenticateAdmin: createAdminAuthenticator(config.auth),
    health: () => checkHealth(tables, syncQueue),
  };
}
