import { randomBytes, randomUUID } from 'node:crypto';
import type { SimAccount } from './accounts';
import { graphError } from './respond';
import type { GraphAnswer } from './todo';
import { NotificationDelivery, type Delivery } from './notification-delivery';

export type { Delivery } from './notification-delivery';

export type ChangeType = 'created' | 'updated' | 'deleted';
export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

/** A subscription as the simulator keeps it (Graph's subscription resource). */
export interface SimSubscription {
  id: string;
  accountOid: string;
  tenantId: string;
  /** Normalized: leading slash, e.g. `/me/events`, `/me/todo/lists/{id}/tasks`. */
  resource: string;
  /** As sent, for the answer (Graph echoes the resource as given). */
  resourceAsSent: string;
  changeTypes: ChangeType[];
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  clientState?: string;
  expirationDateTime: string;
}

const CHANGE_TYPES: readonly ChangeType[] = ['created', 'updated', 'deleted'];
/** Graph's maximum subscription lifetimes, in minutes, per resource kind. */
export const MAX_MINUTES = { events: 10_080, todoTasks: 4_230 } as const;
const TODO_TASKS = /^\/me\/todo\/lists\/([^/]+)\/tasks$/;

/** A resource path without its outer slashes' variations, each segment decoded (ids are sent encoded). */
const normalize = (resource: string): string =>
  `/${resource
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    })
    .join('/')}`;

/**
 * Graph's change-notification subscriptions over the simulated stores: create (with the
 * validation handshake Graph performs, before it answers), renew, delete, read; and
 * delivery of change and lifecycle notifications in Graph's format to the subscriber.
 * Stores call `notify` when an item changes; deliveries are asynchronous, and changes made
 * in one tick reach a subscriber as one POST, as Graph batches them.
 */
export class SubscriptionHub {
  private readonly subscriptions = new Map<string, SimSubscription>();
  private readonly delivery: NotificationDelivery;
  /** Tests turn automatic change notifications off to drive them by hand. */
  autoNotify = true;

  constructor(
    private readonly deps: {
      accountByOid(oid: string): SimAccount | undefined;
      /** The account's To Do lists: a subscription may watch any of them. */
      todoListIds(account: SimAccount): string[];
      clock?: () => number;
    },
  ) {
    this.delivery = new NotificationDelivery(() => this.now());
  }

  private now(): number {
    return (this.deps.clock ?? Date.now)();
  }

  /** The Graph endpoints: POST/GET /subscriptions, GET/PATCH/DELETE /subscriptions/{id}. */
  async handle(
    method: string,
    path: string,
    account: SimAccount,
    scopes: readonly string[],
    body: Record<string, unknown>,
  ): Promise<GraphAnswer> {
    const id = /^\/subscriptions\/([^/]+)$/.exec(path)?.[1];
    if (path === '/subscriptions' && method === 'POST') {
      return this.create(account, scopes, body);
    }
    if (path === '/subscriptions' && method === 'GET') {
      return {
        status: 200,
        body: {
          '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscriptions',
          value: [...this.subscriptions.values()].filter((s) => s.accountOid === account.oid).map(render),
        },
      };
    }
    const sub = id ? this.subscriptions.get(decodeURIComponent(id)) : undefined;
    if (!id || !sub || sub.accountOid !== account.oid) {
      return id
        ? graphError(404, 'ResourceNotFound', `The object was not found.`)
        : graphError(405, 'BadRequest', `Method ${method} is not supported on ${path}.`);
    }
    if (method === 'GET') {
      return { status: 200, body: render(sub) };
    }
    if (method === 'DELETE') {
      this.subscriptions.delete(sub.id);
      return { status: 204 };
    }
    if (method === 'PATCH') {
      const expiry = this.checkExpiry(sub.resource, body.expirationDateTime);
      if (typeof expiry !== 'string') {
        return expiry;
      }
      sub.expirationDateTime = expiry;
      return { status: 200, body: render(sub) };
    }
    return graphError(405, 'BadRequest', `Method ${method} is not supported on ${path}.`);
  }

  private async create(
    account: SimAccount,
    scopes: readonly string[],
    body: Record<string, unknown>,
  ): Promise<GraphAnswer> {
    const { changeType, notificationUrl, lifecycleNotificationUrl, resource, clientState } = body;
    if (typeof resource !== 'string' || resource.trim() === '') {
      return graphError(400, 'InvalidRequest', 'resource is required.');
    }
    const normalized = normalize(resource);
    const todo = TODO_TASKS.exec(normalized);
    if (normalized !== '/me/events' && !todo) {
      return graphError(400, 'InvalidRequest', `Resource '${resource}' is not supported.`);
    }
    if (todo && !this.deps.todoListIds(account).includes(todo[1]!)) {
      return graphError(404, 'ResourceNotFound', 'The requested To Do list does not exist.');
    }
    const needed = todo ? ['Tasks.Read', 'Tasks.ReadWrite'] : ['Calendars.Read', 'Calendars.ReadWrite'];
    if (!needed.some((s) => scopes.includes(s))) {
      return graphError(
        403,
        'ExtensionError',
        'Operation: Create; Exception: [Status Code: Forbidden; Reason: Forbidden]',
      );
    }
    const types = typeof changeType === 'string' ? changeType.split(',').map((t) => t.trim()) : [];
    if (types.length === 0 || types.some((t) => !CHANGE_TYPES.includes(t as ChangeType))) {
      return graphError(
        400,
        'InvalidRequest',
        `changeType must be a comma-separated list of ${CHANGE_TYPES.join(', ')}.`,
      );
    }
    if (clientState !== undefined && (typeof clientState !== 'string' || clientState.length > 128)) {
      return graphError(400, 'InvalidRequest', 'clientState must be a string of at most 128 characters.');
    }
    for (const [name, url] of [
      ['notificationUrl', notificationUrl],
      ['lifecycleNotificationUrl', lifecycleNotificationUrl],
    ] as const) {
      if (url === undefined && name === 'lifecycleNotificationUrl') {
        continue;
      }
      if (typeof url !== 'string' || !acceptedUrl(url)) {
        return graphError(400, 'InvalidRequest', `${name} must be an https URL (http only on localhost).`);
      }
    }
    const expiry = this.checkExpiry(normalized, body.expirationDateTime);
    if (typeof expiry !== 'string') {
      return expiry;
    }

    // Graph proves the subscriber owns each endpoint before it answers the POST.
    const urls = [
      notificationUrl as string,
      ...(typeof lifecycleNotificationUrl === 'string' ? [lifecycleNotificationUrl] : []),
    ];
    for (const url of urls) {
      if (!(await this.delivery.handshake(url))) {
        return graphError(
          400,
          'ValidationError',
          `Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.`,
        );
      }
    }
    const sub: SimSubscription = {
      id: randomUUID(),
      accountOid: account.oid,
      tenantId: account.tenantId,
      resource: normalized,
      resourceAsSent: resource,
      changeTypes: types as ChangeType[],
      notificationUrl: notificationUrl as string,
      ...(typeof lifecycleNotificationUrl === 'string' ? { lifecycleNotificationUrl } : {}),
      ...(typeof clientState === 'string' ? { clientState } : {}),
      expirationDateTime: expiry,
    };
    this.subscriptions.set(sub.id, sub);
    return { status: 201, body: render(sub) };
  }

  private checkExpiry(resource: string, value: unknown): string | GraphAnswer {
    const at = typeof value === 'string' ? Date.parse(value) : NaN;
    if (Number.isNaN(at)) {
      return graphError(400, 'InvalidRequest', 'expirationDateTime is required.');
    }
    const max = TODO_TASKS.test(resource) ? MAX_MINUTES.todoTasks : MAX_MINUTES.events;
    if (at <= this.now()) {
      return graphError(400, 'InvalidRequest', 'Subscription expiration must be in the future.');
    }
    if (at > this.now() + max * 60_000) {
      return graphError(
        400,
        'InvalidRequest',
        `Subscription expiration can only be ${max} minutes in the future.`,
      );
    }
    return new Date(at).toISOString();
  }

  /**
   * An item of `resourcePath` (e.g. `/me/events`, `/me/todo/lists/{id}/tasks`) of an account
   * changed: every live subscription on it that asked for this change type is notified.
   */
  notify(accountOid: string, resourcePath: string, changeType: ChangeType, id: string): void {
    if (!this.autoNotify) {
      return;
    }
    const resource = normalize(resourcePath);
    for (const sub of this.subscriptions.values()) {
      if (
        sub.accountOid !== accountOid ||
        sub.resource !== resource ||
        !sub.changeTypes.includes(changeType)
      ) {
        continue;
      }
      if (Date.parse(sub.expirationDateTime) <= this.now()) {
        continue;
      }
      const itemPath = `Users/${accountOid}${resource.replace(/^\/me/, '')}/${id}`;
      const odataType = TODO_TASKS.test(resource) ? '#Microsoft.Graph.todoTask' : '#Microsoft.Graph.Event';
      this.delivery.enqueue(sub.notificationUrl, {
        subscriptionId: sub.id,
        subscriptionExpirationDateTime: sub.expirationDateTime,
        changeType,
        resource: itemPath,
        resourceData: {
          '@odata.type': odataType,
          '@odata.id': itemPath,
          '@odata.etag': `W/"${randomBytes(12).toString('base64')}"`,
          id,
        },
        ...(sub.clientState !== undefined ? { clientState: sub.clientState } : {}),
        tenantId: sub.tenantId,
      });
    }
  }

  /** Sends a lifecycle notification for a subscription now (tests); `subscriptionRemoved` also drops it. */
  async fireLifecycle(subscriptionId: string, event: LifecycleEvent): Promise<Delivery> {
    const sub = this.subscriptions.get(subscriptionId);
    if (!sub) {
      throw new Error(`no subscription ${subscriptionId}`);
    }
    if (!sub.lifecycleNotificationUrl) {
      throw new Error(`subscription ${subscriptionId} has no lifecycleNotificationUrl`);
    }
    if (event === 'subscriptionRemoved') {
      this.subscriptions.delete(subscriptionId);
    }
    return this.delivery.post(sub.lifecycleNotificationUrl, 'lifecycle', {
      value: [
        {
          subscriptionId: sub.id,
          subscriptionExpirationDateTime: sub.expirationDateTime,
          tenantId: sub.tenantId,
          ...(sub.clientState !== undefined ? { clientState: sub.clientState } : {}),
          lifecycleEvent: event,
        },
      ],
    });
  }

  /** Graph forgets a subscription without telling anyone (tests of renewal). */
  drop(subscriptionId: string): void {
    this.subscriptions.delete(subscriptionId);
  }

  /** Every live subscription (tests). */
  all(): SimSubscription[] {
    return [...this.subscriptions.values()].map((s) => structuredClone(s));
  }

  /** What was POSTed to subscribers so far (tests). */
  deliveries(): Delivery[] {
    return this.delivery.deliveries();
  }

  /** Resolves when every notification queued so far has been delivered (tests). */
  idle(): Promise<void> {
    return this.delivery.idle();
  }
}

function acceptedUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      url.protocol === 'https:' ||
      (url.protocol === 'http:' && ['localhost', '127.0.0.1'].includes(url.hostname))
    );
  } catch {
    return false;
  }
}

function render(sub: SimSubscription): Record<string, unknown> {
  return {
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity',
    id: sub.id,
    resource: sub.resourceAsSent,
    applicationId: '00000000-0000-0000-0000-000000000000',
    changeType: sub.changeTypes.join(','),
    clientState: sub.clientState ?? null,
    notificationUrl: sub.notificationUrl,
    lifecycleNotificationUrl: sub.lifecycleNotificationUrl ?? null,
    expirationDateTime: sub.expirationDateTime,
    creatorId: sub.accountOid,
    latestSupportedTlsVersion: 'v1_2',
    includeResourceData: false,
  };
}
