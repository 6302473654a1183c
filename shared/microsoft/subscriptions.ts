import { randomBytes } from 'node:crypto';
import { GraphError, type Client } from '@microsoft/microsoft-graph-client';
import type { z } from 'zod';
import type { ConnectionListener, ConnectionService } from '../connection/connection-service';
import { isAppError, isAppErrorCode } from '../errors/app-error';
import type { SettingsService } from '../settings/service';
import type { ResolvedSettings } from '../settings/model';
import {
  hashClientState,
  type SubscriptionRepository,
  type VersionedSubscription,
} from '../storage/subscription-repository';
import { SYNC_ENTITIES, type SyncEntity } from '../storage/sync-state-repository';
import { SideError } from '../sync/ports';
import { graphErrorClass, type GraphClients } from './graph-client';
import {
  CHANGE_TYPES,
  createdSubscription,
  defaultTodoListId,
  deleteSubscriptionAtGraph,
  subscriptionFailure,
} from './subscription-requests';

/** Graph's longest subscription lifetimes (minutes): Outlook events, To Do tasks. */
export const MAX_LIFETIME_MINUTES: Record<SyncEntity, number> = { calendar: 10_080, tasks: 4_230 };
/** Asked for a little under the maximum, so a clock ahead of Graph's is not refused. */
const LIFETIME_MARGIN_MINUTES = 5;
/** The renewal timer renews what expires within this window (it runs every 30 minutes). */
export const RENEW_WITHIN_MS = 24 * 3600_000;

export type EnsureOutcome = 'created' | 'kept' | 'removed' | 'disabled' | 'not-connected' | 'off';
export interface RenewalReport {
  renewed: number;
  recreated: number;
  removed: number;
  failed: number;
}

/**
 * The user's Graph change-notification subscriptions: one on `/me/events` and one on the
 * default To Do list's tasks, each while its entity is enabled and the account connected.
 * Each has its own random clientState; only its SHA-256 is stored.
 */
export class SubscriptionService implements ConnectionListener {
  /** The Microsoft account each lazily made client's token belongs to: recorded on the subscriptions it creates. */
  private readonly accounts = new WeakMap<Client, string>();

  constructor(
    private readonly deps: {
      repository: SubscriptionRepository;
      settings: SettingsService;
      connections: ConnectionService;
      /** The user's Graph client, under their mailbox budget (shared/app/graph-clients.ts). */
      graph: GraphClients;
      /** Where Graph reaches the webhooks; undefined turns subscriptions off (polling only). */
      publicBaseUrl: string | undefined;
      now?: () => Date;
    },
  ) {}

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  get enabled(): boolean {
    return this.deps.publicBaseUrl !== undefined;
  }

  /** ConnectionListener: a fresh connection subscribes to what the user syncs. */
  async connected(userId: string): Promise<void> {
    await this.ensure(userId);
  }

  /** ConnectionListener: runs while the tokens still exist, so Graph's side can be deleted too. */
  async disconnecting(userId: string): Promise<void> {
    await this.remove(userId);
  }

  /**
   * Brings the user's subscriptions in line with the settings: creates the missing one of an
   * enabled entity, removes the one of a disabled entity. Idempotent; cheap when nothing
   * changes (settings and one index query, no Graph request).
   */
  async ensure(userId: string): Promise<Record<SyncEntity, EnsureOutcome>> {
    const out = { calendar: 'off', tasks: 'off' } as Record<SyncEntity, EnsureOutcome>;
    if (!this.enabled) {
      return out;
    }
    const { resolved } = await this.deps.settings.resolveUser(userId);
    const existing = new Map((await this.deps.repository.forUser(userId)).map((s) => [s.value.entity, s]));
    const graph = this.lazyClient(userId);
    for (const entity of SYNC_ENTITIES) {
      const current = existing.get(entity);
      const wanted = resolved[`${entity}.enabled`].value === true;
      if (!wanted) {
        if (current) {
          await this.drop(current, graph);
        }
        out[entity] = current ? 'removed' : 'disabled';
        continue;
      }
      const chosen = chosenList(resolved, entity);
      if (
        current &&
        Date.parse(current.value.expiresAt) > this.now().getTime() &&
        current.value.chosen === chosen
      ) {
        out[entity] = 'kept';
        continue;
      }
      try {
        // An expired row (Graph has dropped the subscription already), or one on a To Do
        // list no longer chosen (tasks.microsoftListId): start over.
        if (current) {
          await this.drop(current, graph);
        }
        out[entity] = await this.create(userId, entity, await graph(), chosen);
      } catch (error) {
        if (!isAppErrorCode(error, 'not-connected')) {
          throw error;
        }
        out[entity] = 'not-connected';
      }
    }
    return out;
  }

  /** Deletes the user's subscriptions at Graph (gone already is fine) and forgets them. */
  async remove(userId: string, entities: readonly SyncEntity[] = SYNC_ENTITIES): Promise<number> {
    const subs = (await this.deps.repository.forUser(userId)).filter((s) =>
      entities.includes(s.value.entity),
    );
    const graph = this.lazyClient(userId);
    for (const sub of subs) {
      await this.drop(sub, graph);
    }
    return subs.length;
  }

  /**
   * Renews every subscription expiring within RENEW_WITHIN_MS of `now` (when the timer fired)
   * to the full lifetime from the current time.
   * One whose entity was disabled meanwhile is removed; one Graph no longer knows is created
   * again; one whose account is no longer connected is forgotten (Graph lets it lapse).
   * A failure is counted and the rest go on.
   */
  async renewDue(now = this.now()): Promise<RenewalReport> {
    const report: RenewalReport = { renewed: 0, recreated: 0, removed: 0, failed: 0 };
    if (!this.enabled) {
      return report;
    }
    const due = await this.deps.repository.expiringBy(new Date(now.getTime() + RENEW_WITHIN_MS));
    for (const sub of due) {
      try {
        const outcome = await this.renew(sub);
        report[outcome]++;
      } catch (error) {
        if (!isAppError(error) && !(error instanceof SideError)) {
          throw error;
        }
        report.failed++;
      }
    }
    return report;
  }

  /**
   * Extends one subscription (the timer, and Graph's `reauthorizationRequired`). Outcomes
   * as for renewDue; a row changed meanwhile means another renewal won, which is fine.
   */
  async renew(sub: VersionedSubscription): Promise<'renewed' | 'recreated' | 'removed'> {
    const { userId, entity } = sub.value;
    const { resolved } = await this.deps.settings.resolveUser(userId).catch((error: unknown) => {
      // A user deleted from the settings: nothing to sync, so nothing to be notified of.
      if (isAppErrorCode(error, 'not-found')) {
        return { resolved: undefined };
      }
      throw error;
    });
    const graph = this.lazyClient(userId);
    if (resolved?.[`${entity}.enabled`].value !== true) {
      await this.drop(sub, graph);
      return 'removed';
    }
    let client: Client;
    try {
      client = await graph();
    } catch (error) {
      if (!isAppErrorCode(error, 'not-connected')) {
        throw error;
      }
      await this.forget(sub);
      return 'removed';
    }
    const expiresAt = this.expiry(entity, this.now());
    try {
      await client
        .api(`/subscriptions/${encodeURIComponent(sub.value.subscriptionId)}`)
        .patch({ expirationDateTime: expiresAt.toISOString() });
    } catch (error) {
      // A subscription Graph no longer has (it lapsed or was removed) is made again.
      if (!(error instanceof GraphError) || graphErrorClass(error) !== 'gone') {
        throw subscriptionFailure(error, 'renew');
      }
      await this.forget(sub);
      await this.create(userId, entity, client, chosenList(resolved, entity));
      return 'recreated';
    }
    // The row also changes with every notification counted (its `notified`): a write that
    // loses to one is made again on the fresh row, so the new expiry is not lost.
    let current: VersionedSubscription | undefined = sub;
    for (let attempt = 1; current && attempt <= 3; attempt++) {
      try {
        await this.deps.repository.renewed(current, expiresAt);
        break;
      } catch (error) {
        if (!isAppErrorCode(error, 'precondition-failed')) {
          throw error;
        }
        current = await this.deps.repository.get(sub.value.subscriptionId);
      }
    }
    return 'renewed';
  }

  /** Graph dropped a subscription (lifecycle `subscriptionRemoved`): forget it and subscribe again. */
  async recreate(sub: VersionedSubscription): Promise<EnsureOutcome> {
    await this.forget(sub);
    return (await this.ensure(sub.value.userId))[sub.value.entity];
  }

  /**
   * `chosen`: the To Do list chosen for sync (else the default list). Events need no choice:
   * `/me/events` tells of "changes to all events in a user's mailbox", any calendar.
   */
  private async create(
    userId: string,
    entity: SyncEntity,
    client: Client,
    chosen?: string,
  ): Promise<'created' | 'kept'> {
    const base = this.deps.publicBaseUrl ?? '';
    const resource =
      entity === 'calendar'
        ? '/me/events'
        : `/me/todo/lists/${chosen === undefined ? await defaultTodoListId(client) : encodeURIComponent(chosen)}/tasks`;
    const clientState = randomBytes(32).toString('base64url');
    let created: z.infer<typeof createdSubscription>;
    try {
      created = createdSubscription.parse(
        await client.api('/subscriptions').post({
          changeType: CHANGE_TYPES,
          notificationUrl: `${base}/api/notifications`,
          lifecycleNotificationUrl: `${base}/api/notifications/lifecycle`,
          resource,
          expirationDateTime: this.expiry(entity, this.now()).toISOString(),
          clientState,
          latestSupportedTlsVersion: 'v1_2',
        }),
      );
    } catch (error) {
      throw subscriptionFailure(error, `create the ${entity} subscription`);
    }
    try {
      await this.deps.repository.add({
        subscriptionId: created.id,
        userId,
        entity,
        resource,
        ...(chosen === undefined ? {} : { chosen }),
        expiresAt: new Date(created.expirationDateTime).toISOString(),
        clientStateHash: hashClientState(clientState),
        createdAt: this.now().toISOString(),
        ...(this.accounts.has(client) ? { account: this.accounts.get(client) } : {}),
      });
      return 'created';
    } catch (error) {
      // Another ensure subscribed meanwhile: keep theirs, withdraw ours.
      if (!isAppErrorCode(error, 'conflict')) {
        throw error;
      }
      await deleteSubscriptionAtGraph(client, created.id);
      return 'kept';
    }
  }

  /** Deletes at Graph when the account is still connected, then forgets the row. */
  private async drop(sub: VersionedSubscription, graph: () => Promise<Client>): Promise<void> {
    let client: Client | undefined;
    try {
      client = await graph();
    } catch (error) {
      if (!isAppErrorCode(error, 'not-connected')) {
        throw error;
      }
    }
    if (client) {
      try {
        await deleteSubscriptionAtGraph(client, sub.value.subscriptionId);
      } catch (error) {
        // Forget it anyway: its notifications are ignored once the row is gone, and Graph
        // lets it lapse at its expiry.
        if (!(error instanceof SideError)) {
          throw error;
        }
      }
    }
    await this.forget(sub);
  }

  private async forget(sub: VersionedSubscription): Promise<void> {
    try {
      await this.deps.repository.remove(sub);
    } catch (error) {
      if (!isAppErrorCode(error, 'precondition-failed')) {
        throw error;
      }
      // Renewed meanwhile: remove the current version.
      const fresh = await this.deps.repository.get(sub.value.subscriptionId);
      if (fresh) {
        await this.deps.repository.remove(fresh);
      }
    }
  }

  private expiry(entity: SyncEntity, now: Date): Date {
    return new Date(now.getTime() + (MAX_LIFETIME_MINUTES[entity] - LIFETIME_MARGIN_MINUTES) * 60_000);
  }

  /** A Graph client whose token is asked for once, and only when a request is made. */
  private lazyClient(userId: string): () => Promise<Client> {
    let client: Promise<Client> | undefined;
    return () => {
      client ??= this.deps.connections.graphAccess(userId).then(({ token, homeAccountId }) => {
        const made = this.deps.graph(userId, () => Promise.resolve(token));
        this.accounts.set(made, homeAccountId);
        return made;
      });
      return client;
    };
  }
}

/** The To Do list chosen for sync (tasks.microsoftListId), for the tasks subscription; else undefined. */
function chosenList(resolved: ResolvedSettings, entity: SyncEntity): string | undefined {
  return entity === 'tasks'
    ? ((resolved['tasks.microsoftListId'].value as string | null) ?? undefined)
    : undefined;
}
