import { z } from 'zod';
import { AppError, isAppError, isAppErrorCode, type FieldError } from '../errors/app-error';
import { toFieldErrors } from '../http/validation';
import type { OutgoingSync, SyncQueue } from '../messaging/sync-queue';
import {
  clientStateMatches,
  type SubscriptionRepository,
  type VersionedSubscription,
} from '../storage/subscription-repository';
import type { SyncEntity, SyncStateRepository } from '../storage/sync-state-repository';
import { SideError } from '../sync/ports';
import { SubscriptionLookup } from './subscription-lookup';
import type { SubscriptionService } from './subscriptions';

/**
 * Notifications for one subscription within this window become one sync message, delivered
 * at the window's end: a burst of edits costs one run, and a change notified after a run
 * began still gets a run of its own (the next window's message).
 */
export const COALESCE_MS = 5_000;
const MAX_NOTIFICATIONS = 1000;

const notificationFields = {
  // Graph's ids are GUIDs; anything else could not be a table key and is no subscription of ours.
  subscriptionId: z.string().regex(/^[\w-]{1,128}$/, 'a subscription id'),
  clientState: z.string().max(128).optional(),
  subscriptionExpirationDateTime: z.string().optional(),
  tenantId: z.string().optional(),
};

/** One change notification, as Graph POSTs it (API.md, Graph change notifications). */
export const changeNotification = z
  .object({
    ...notificationFields,
    changeType: z.enum(['created', 'updated', 'deleted']),
    resource: z.string().min(1).max(2048),
    resourceData: z.object({ id: z.string().optional() }).loose().optional(),
  })
  .loose()
  .meta({ id: 'ChangeNotification' });
export const changeNotificationCollection = z
  .object({ value: z.array(changeNotification).min(1).max(MAX_NOTIFICATIONS) })
  .meta({ id: 'ChangeNotificationCollection' });

export const LIFECYCLE_EVENTS = ['reauthorizationRequired', 'subscriptionRemoved', 'missed'] as const;
export const lifecycleNotification = z
  .object({ ...notificationFields, lifecycleEvent: z.enum(LIFECYCLE_EVENTS) })
  .loose()
  .meta({ id: 'LifecycleNotification' });
export const lifecycleNotificationCollection = z
  .object({ value: z.array(lifecycleNotification).min(1).max(MAX_NOTIFICATIONS) })
  .meta({ id: 'LifecycleNotificationCollection' });

/** The envelope only: each item is then checked on its own, so one bad item spoils nothing else. */
const envelope = z.object({ value: z.array(z.unknown()).min(1).max(MAX_NOTIFICATIONS) });

export interface NotificationReport {
  received: number;
  /** Sync messages sent (after de-duplication). */
  enqueued: number;
  malformed: number;
  unknownSubscription: number;
  wrongClientState: number;
  /** Not looked up: the request had used the reads one request may cost (subscription-lookup.ts). */
  overLimit: number;
}

export interface LifecycleReport extends NotificationReport {
  renewed: number;
  recreated: number;
  fullSyncs: number;
}

/**
 * The webhook use cases: a change notification from a known subscription with its
 * clientState becomes a sync message for that user and entity (never a sync here);
 * lifecycle events keep the subscription alive or start over with a full read.
 */
export class NotificationService {
  private readonly lookup: SubscriptionLookup;

  constructor(
    private readonly deps: {
      repository: SubscriptionRepository;
      subscriptions: SubscriptionService;
      states: SyncStateRepository;
      queue: () => SyncQueue;
      now?: () => Date;
    },
  ) {
    this.lookup = new SubscriptionLookup(deps.repository, () => this.now().getTime());
  }

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  async changes(body: unknown): Promise<NotificationReport> {
    const { items, report } = parseAll(body, changeNotification);
    const now = this.now();
    const bucket = Math.floor(now.getTime() / COALESCE_MS);
    const messages = new Map<string, OutgoingSync>();
    for (const { sub } of await this.authentic(items, report, false)) {
      const messageId = `notification:${sub.value.subscriptionId}:${bucket}`;
      if (!messages.has(messageId)) {
        // Counted before the run is queued: a scheduled run then reads Graph (quiet.ts).
        await this.notice(sub.value.subscriptionId);
        messages.set(messageId, {
          messageId,
          body: this.message(sub, now),
          scheduledAt: new Date((bucket + 1) * COALESCE_MS),
        });
      }
    }
    await this.send([...messages.values()]);
    report.enqueued = messages.size;
    return report;
  }

  async lifecycle(body: unknown): Promise<LifecycleReport> {
    const parsed = parseAll(body, lifecycleNotification);
    const report: LifecycleReport = { ...parsed.report, renewed: 0, recreated: 0, fullSyncs: 0 };
    const now = this.now();
    const messages = new Map<string, OutgoingSync>();
    let failure: unknown;
    const removed: VersionedSubscription[] = [];
    for (const { item, sub } of await this.authentic(parsed.items, report, true)) {
      try {
        // Every lifecycle event ends the subscription's word that Graph is quiet; until a
        // renewal succeeds, reauthorizationRequired keeps it from vouching at all.
        const noticed = await this.notice(
          sub.value.subscriptionId,
          item.lifecycleEvent === 'reauthorizationRequired' ? { reauthorize: now } : {},
        );
        if (item.lifecycleEvent === 'reauthorizationRequired') {
          const outcome = await this.deps.subscriptions.renew(noticed ?? sub);
          if (outcome === 'recreated') {
            report.recreated++;
          } else if (outcome === 'renewed') {
            report.renewed++;
          }
          continue;
        }
        // Removed: notifications stopped at some point. Missed: some were dropped. Either
        // way the next run re-reads everything instead of trusting the delta cursor.
        if (item.lifecycleEvent === 'subscriptionRemoved') {
          removed.push(sub);
        }
        await this.forgetDeltaCursor(sub.value.userId, sub.value.entity, now);
        const slot = Math.floor(now.getTime() / COALESCE_MS);
        const messageId = `lifecycle:${sub.value.subscriptionId}:${item.lifecycleEvent}:${slot}`;
        messages.set(messageId, { messageId, body: this.message(sub, now) });
        report.fullSyncs++;
      } catch (error) {
        if (!isAppError(error) && !(error instanceof SideError)) {
          throw error;
        }
        failure ??= error;
      }
    }
    // The full sync is queued before re-subscribing: if that fails, the sync still happens.
    await this.send([...messages.values()]);
    report.enqueued = messages.size;
    for (const sub of removed) {
      try {
        await this.deps.subscriptions.recreate(sub);
        report.recreated++;
      } catch (error) {
        if (!isAppError(error) && !(error instanceof SideError)) {
          throw error;
        }
        failure ??= error;
      }
    }
    if (failure) {
      // Graph delivers a lifecycle notification again after a 5xx; handling is idempotent.
      throw new AppError(
        'dependency-unavailable',
        `A lifecycle event could not be handled now: ${(failure as Error).message}`,
        { cause: failure },
      );
    }
    return report;
  }

  /**
   * Items of a known subscription with its clientState; the rest are counted and dropped.
   * `fresh`: lifecycle events write the subscription row, so they read it (at its ETag).
   */
  private async authentic<T extends { subscriptionId: string; clientState?: string | undefined }>(
    items: T[],
    report: NotificationReport,
    fresh: boolean,
  ): Promise<{ item: T; sub: VersionedSubscription }[]> {
    const { found, overLimit } = await this.lookup.find(
      items.map((i) => i.subscriptionId),
      { fresh },
    );
    const out: { item: T; sub: VersionedSubscription }[] = [];
    for (const item of items) {
      const sub = found.get(item.subscriptionId);
      if (overLimit.has(item.subscriptionId)) {
        report.overLimit++;
      } else if (!sub) {
        report.unknownSubscription++;
      } else if (
        item.clientState === undefined ||
        !clientStateMatches(sub.value.clientStateHash, item.clientState)
      ) {
        report.wrongClientState++;
        this.lookup.forget(item.subscriptionId);
      } else {
        out.push({ item, sub });
      }
    }
    return out;
  }

  private async notice(
    subscriptionId: string,
    options: { reauthorize?: Date } = {},
  ): Promise<VersionedSubscription | undefined> {
    try {
      return await this.deps.repository.notice(subscriptionId, options);
    } catch (error) {
      // A 5xx makes Graph deliver again; nothing was queued yet.
      throw new AppError(
        'dependency-unavailable',
        'The subscription could not be updated; try again later.',
        {
          cause: error,
        },
      );
    }
  }

  private message(sub: VersionedSubscription, now: Date): OutgoingSync['body'] {
    return {
      userId: sub.value.userId,
      entity: sub.value.entity,
      reason: 'notification',
      requestedAt: now.toISOString(),
    };
  }

  private async send(messages: OutgoingSync[]): Promise<void> {
    if (messages.length === 0) {
      return;
    }
    try {
      await this.deps.queue().send(messages);
    } catch (error) {
      // A 5xx makes Graph deliver the notification again; the message ids keep that single.
      throw new AppError('dependency-unavailable', 'The sync queue is not available; try again later.', {
        cause: error,
      });
    }
  }

  /**
   * Drops the Microsoft-side cursor so the next run reads everything (the runner's path for a
   * lost delta token). Written at the ETag read; a run holding the lease is left alone: it
   * reads the delta, which still carries every change.
   */
  private async forgetDeltaCursor(userId: string, entity: SyncEntity, now: Date): Promise<void> {
    const current = await this.deps.states.get(userId, entity);
    if (!current || current.state.cursors.microsoft === undefined) {
      return;
    }
    if (current.state.lease && Date.parse(current.state.lease.until) > now.getTime()) {
      return;
    }
    const { microsoft: _dropped, ...cursors } = current.state.cursors;
    try {
      await this.deps.states.save(userId, entity, {
        state: { ...current.state, cursors },
        etag: current.etag,
      });
    } catch (error) {
      if (!isAppErrorCode(error, 'precondition-failed')) {
        throw error;
      }
    }
  }
}

/**
 * Checks the envelope, then each item. A body with no usable item at all is a 400 naming
 * what is wrong; otherwise bad items are only counted (Graph never sends them, and a 4xx
 * would make Graph retry the good ones too).
 */
function parseAll<S extends z.ZodType>(
  body: unknown,
  schema: S,
): { items: z.infer<S>[]; report: NotificationReport } {
  const outer = envelope.safeParse(body);
  if (!outer.success) {
    throw new AppError('validation', 'The body is not a notification collection.', {
      fieldErrors: toFieldErrors(outer.error.issues),
    });
  }
  const items: z.infer<S>[] = [];
  const errors: FieldError[] = [];
  outer.data.value.forEach((raw, i) => {
    const parsed = schema.safeParse(raw);
    if (parsed.success) {
      items.push(parsed.data);
    } else {
      errors.push(...toFieldErrors(parsed.error.issues, ['value', i]));
    }
  });
  if (items.length === 0) {
    throw new AppError('validation', 'No notification in the body is well-formed.', { fieldErrors: errors });
  }
  return {
    items,
    report: {
      received: outer.data.value.length,
      enqueued: 0,
      malformed: outer.data.value.length - items.length,
      unknownSubscription: 0,
      wrongClientState: 0,
      overLimit: 0,
    },
  };
}
