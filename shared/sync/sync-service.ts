import { randomUUID } from 'node:crypto';
import type { ConnectionService } from '../connection/connection-service';
import { AppError, isAppError } from '../errors/app-error';
import type { Direction, PrivateEvents } from '../settings/schema';
import type { MicrosoftApp, OroConnectionSettings, SettingsService } from '../settings/service';
import { LinkRepository } from '../storage/link-repository';
import type { SyncLogEntry, SyncLogRepository } from '../storage/sync-log-repository';
import {
  SYNC_ENTITIES,
  type RunResult,
  type SyncEntity,
  type SyncStateRepository,
} from '../storage/sync-state-repository';
import { slotTime, type ScheduleRepository } from '../storage/schedule-repository';
import type { SubscriptionRepository } from '../storage/subscription-repository';
import type { TableStore } from '../storage/tables';
import type { Fields, SyncSettings } from './model';
import { SideError, type SidePort } from './ports';
import type { NotificationWatch } from './quiet';
import { runSync, type RunReport } from './runner';
import type { Continuing, RunBounds } from './bounded';

export interface SidePair {
  oro: SidePort<Fields>;
  microsoft: SidePort<Fields>;
}

/** What a run hands the composition (shared/app/) to get its two sides. */
export interface SideRequest {
  userId: string;
  entity: SyncEntity;
  oro: OroConnectionSettings;
  /** The user's Oro calendar (setting `calendar.oroCalendarId`), when set. */
  oroCalendarId?: number | undefined;
  /** Setting calendar.privateEvents: what Outlook's private events become in Oro. */
  privateEvents?: PrivateEvents | undefined;
  /** The Outlook calendar chosen (calendar.microsoftCalendarId); unset: the default calendar. */
  microsoftCalendarId?: string | undefined;
  /** The To Do list chosen (tasks.microsoftListId); unset: the default list. */
  microsoftListId?: string | undefined;
  /** The user's Graph access token, reused for the run. */
  graphToken: () => Promise<string>;
  now: () => Date;
}

/** Builds the concrete sides of a run; the engine knows them only as SidePorts. */
export type SideFactory = (request: SideRequest) => SidePair;

export type SyncReason = 'schedule' | 'notification' | 'manual' | 'retry' | 'continue';

export interface EntityStatus {
  enabled: boolean;
  direction: Direction;
  state: 'idle' | 'queued' | 'running' | 'continuing' | 'error' | 'disabled';
  /** While a sync goes on over several bounded runs: items applied so far, of those planned. */
  progress?: Continuing;
  lastSyncAt: string | null;
  nextSyncAt: string | null;
  lastResult: RunResult;
  /** The last run that changed something (null: none yet), so an idle run does not hide it. */
  lastChange: { at: string; result: RunResult } | null;
  lastError?: string;
  /** While a failed run waits for its retry: when it runs, and why the last try failed. */
  nextRetryAt?: string;
  retryAttempt?: number;
  retryReason?: string;
}

/** A whole run failed on a side's transient error (throttled, unavailable, no answer): worth a retry. */
export interface Transient {
  status?: number;
  retryAfterMs?: number;
}

export type EntityRun =
  | ({ entity: SyncEntity; transient?: Transient } & RunReport)
  | { entity: SyncEntity; status: 'disabled' | 'unsupported' | 'not-ready'; error?: string }
  /** A continuation queued before a later run: that run went on with the work and queued its own. */
  | { entity: SyncEntity; status: 'superseded'; error?: string };

const TOKEN_REUSE_MS = 5 * 60_000;
const EMPTY: RunResult = { created: 0, updated: 0, deleted: 0, conflicts: 0, errors: 0 };

/**
 * The sync use cases: run one user's sync of an entity (what the queue functions and the
 * manual "sync now" call), and report status and log. Everything about a run goes through
 * the engine in runner.ts; this only wires settings, connection and sides together.
 */
export class SyncService {
  constructor(
    private readonly deps: {
      settings: SettingsService;
      connections: ConnectionService;
      tables: TableStore;
      states: SyncStateRepository;
      log: SyncLogRepository;
      sides: SideFactory;
      /** The schedule index: where nextSyncAt comes from. */
      schedule?: ScheduleRepository;
      /**
       * Graph change-notification subscriptions, and how long a quiet one may stand in for
       * reading Graph in a scheduled run (see quiet.ts). Absent: every run reads Graph.
       */
      notifications?: { subscriptions: SubscriptionRepository; pollSafetyMs: number };
      now?: () => Date;
      /** How much one run may do before it continues in another (config SYNC_RUN_MAX_*). */
      bounds?: RunBounds;
    },
  ) {}

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  async run(
    userId: string,
    entity: SyncEntity,
    options: {
      confirmMassDelete?: boolean;
      reason?: SyncReason;
      /** A continuation: the state's run count when it was queued (see RunReport.continuation). */
      continues?: number;
    } = {},
  ): Promise<EntityRun> {
    if (options.continues !== undefined) {
      // Any run goes on with the backlog; a continuation another run has overtaken has
      // nothing of its own to do (that run queued the next one when it left work).
      const current = await this.deps.states.get(userId, entity);
      if (current?.state.runs !== options.continues) {
        return { entity, status: 'superseded' };
      }
    }
    // Settings are resolved once per run; credentials and the token come from that one read.
    const user = await this.deps.settings.resolveUser(userId);
    const { resolved } = user;
    if (resolved[`${entity}.enabled`].value !== true) {
      return { entity, status: 'disabled' };
    }
    const settings = {
      direction: resolved[`${entity}.direction`].value as Direction,
      conflictResolution: resolved[`${entity}.conflictResolution`]
        .value as SyncSettings['conflictResolution'],
    };
    let oro;
    let app: MicrosoftApp;
    let token: { value: string; at: number };
    let account: string;
    try {
      oro = await this.deps.settings.oroConnection(user);
      app = await this.deps.settings.microsoftApp(user);
      // Fail early and visibly when the account is not connected.
      const access = await this.deps.connections.graphAccess(userId, app);
      token = { value: access.token, at: Date.now() };
      account = access.homeAccountId;
    } catch (error) {
      if (!isAppError(error)) {
        throw error;
      }
      await this.deps.states.recordFailure(userId, entity, error.message, this.now());
      return { entity, status: 'not-ready', error: error.message };
    }
    // One token per run (MSAL hands out the cached one until 5 minutes before it expires);
    // asked again only for a run longer than TOKEN_REUSE_MS, instead of on every request.
    const graphToken = async () => {
      if (Date.now() - token.at > TOKEN_REUSE_MS) {
        const access = await this.deps.connections.graphAccess(userId, app);
        if (access.homeAccountId !== account) {
          // Another account was connected during the run: this run's cursors and links are
          // the old account's. The next run starts the new one afresh.
          throw new SideError(
            'microsoft',
            'Another Microsoft account was connected during the run.',
            'retryable',
          );
        }
        token = { value: access.token, at: Date.now() };
      }
      return token.value;
    };
    try {
      const report = await runSync<Fields>({
        userId,
        entity,
        settings,
        sides: this.deps.sides({
          userId,
          entity,
          oro,
          oroCalendarId: (resolved['calendar.oroCalendarId'].value as number | null) ?? undefined,
          graphToken,
          now: () => this.now(),
          privateEvents: resolved['calendar.privateEvents'].value as PrivateEvents,
          microsoftCalendarId: (resolved['calendar.microsoftCalendarId'].value as string | null) ?? undefined,
          microsoftListId: (resolved['tasks.microsoftListId'].value as string | null) ?? undefined,
        }),
        links: new LinkRepository<Fields>(this.deps.tables),
        states: this.deps.states,
        log: this.deps.log,
        runId: randomUUID(),
        account,
        folderChoice: async () => {
          const now = (await this.deps.settings.resolveUser(userId)).resolved;
          const leaf = now[entity === 'calendar' ? 'calendar.microsoftCalendarId' : 'tasks.microsoftListId'];
          return (leaf.value as string | null) ?? undefined;
        },
        now: () => this.now(),
        ...(options.confirmMassDelete ? { confirmMassDelete: true } : {}),
        ...(await this.watch(userId, entity, account, options.reason)),
        ...(this.deps.bounds ? { bounds: this.deps.bounds } : {}),
      });
      return { entity, ...report };
    } catch (error) {
      // The run recorded the failure in the sync state; say it here too, in words.
      const primary = error instanceof AggregateError ? (error.errors[0] as unknown) : error;
      if (primary instanceof SideError || isAppError(primary)) {
        return {
          entity,
          status: 'failed',
          result: { ...EMPTY, errors: 1 },
          error: primary.message,
          requests: { oro: 0, microsoft: 0 },
          ...(primary instanceof SideError && primary.retryable
            ? {
                transient: {
                  ...(primary.status !== undefined ? { status: primary.status } : {}),
                  ...(primary.retryAfterMs !== undefined ? { retryAfterMs: primary.retryAfterMs } : {}),
                },
              }
            : {}),
        };
      }
      throw error;
    }
  }

  /**
   * What the user's subscription says about Graph, read before the run reads it. It vouches
   * only while live: made with this account's token, not expired, and no
   * reauthorizationRequired waiting for a renewal. Only a scheduled run trusts it; a run
   * queued by a notification, by the user or as a retry always reads Graph.
   */
  private async watch(
    userId: string,
    entity: SyncEntity,
    account: string,
    reason: SyncReason | undefined,
  ): Promise<{ notifications?: NotificationWatch }> {
    const n = this.deps.notifications;
    if (!n) {
      return {};
    }
    const sub = await n.subscriptions.forEntity(userId, entity);
    const live =
      sub !== undefined &&
      sub.value.account === account &&
      sub.value.reauthorizeSince === undefined &&
      Date.parse(sub.value.expiresAt) > this.now().getTime();
    return {
      notifications: {
        mark: live ? { subscriptionId: sub.value.subscriptionId, notified: sub.value.notified } : undefined,
        trust: reason === 'schedule',
        pollSafetyMs: n.pollSafetyMs,
      },
    };
  }

  /**
   * "Sync now" refuses up front, with the reason, what the run would only record as a
   * failure later: a user without a connected account (409 not-connected).
   */
  async requireConnected(userId: string): Promise<void> {
    const connection = await this.deps.connections.status(userId);
    if (connection.status === 'connected') {
      return;
    }
    throw new AppError(
      'not-connected',
      connection.status === 'reconnect-required'
        ? `User "${userId}" must connect the Microsoft account again: ${connection.reason ?? 'Microsoft refused the sign-in'}.`
        : `User "${userId}" has no connected Microsoft account; connect one first (POST /api/users/${userId}/connection/authorize).`,
    );
  }

  async status(userId: string): Promise<Record<SyncEntity, EntityStatus>> {
    const { resolved } = await this.deps.settings.resolveUser(userId);
    const interval = Number(resolved.syncIntervalMinutes.value);
    const now = this.now().getTime();
    const out = {} as Record<SyncEntity, EntityStatus>;
    for (const entity of SYNC_ENTITIES) {
      const enabled = resolved[`${entity}.enabled`].value === true;
      const row = await this.deps.states.get(userId, entity);
      const s = row?.state;
      const running = s?.lease && Date.parse(s.lease.until) > now;
      const lastSyncAt = s?.lastSyncAt ?? null;
      out[entity] = {
        enabled,
        direction: resolved[`${entity}.direction`].value as Direction,
        state: !enabled
          ? 'disabled'
          : running
            ? 'running'
            : s?.queuedAt
              ? 'queued'
              : s?.continuing
                ? 'continuing'
                : s?.status === 'error'
                  ? 'error'
                  : 'idle',
        ...(enabled && s?.continuing ? { progress: s.continuing } : {}),
        lastSyncAt,
        nextSyncAt: !enabled ? null : await this.nextSyncAt(userId, entity, lastSyncAt, interval, now),
        lastResult: s?.lastResult ?? EMPTY,
        lastChange: s?.lastChange ?? null,
        ...(s?.lastError && s.status === 'error' ? { lastError: s.lastError } : {}),
        ...(enabled && !running && s?.queuedAt && s.retry
          ? { nextRetryAt: s.retry.at, retryAttempt: s.retry.attempt, retryReason: s.retry.reason }
          : {}),
      };
    }
    return out;
  }

  /** From the schedule index when there is one: null while the user is not connected. */
  private async nextSyncAt(
    userId: string,
    entity: SyncEntity,
    lastSyncAt: string | null,
    interval: number,
    now: number,
  ): Promise<string | null> {
    if (!this.deps.schedule) {
      return new Date(lastSyncAt ? Date.parse(lastSyncAt) + interval * 60_000 : now).toISOString();
    }
    const placement = await this.deps.schedule.get(userId, entity);
    return placement ? slotTime(placement.slot).toISOString() : null;
  }

  async recentLog(userId: string, options: { entity?: SyncEntity; limit: number }): Promise<SyncLogEntry[]> {
    await this.deps.settings.requireUser(userId);
    return this.deps.log.list(userId, options);
  }
}
