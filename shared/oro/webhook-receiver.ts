import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { SecretBox } from '../crypto/secret-box';
import { AppError, isAppErrorCode } from '../errors/app-error';
import { toFieldErrors } from '../http/validation';
import type { OutgoingSync, SyncQueue } from '../messaging/sync-queue';
import { COALESCE_MS } from '../microsoft/notifications';
import { entityId } from '../settings/schema';
import type { ResolvedUser, SettingsService } from '../settings/service';
import type { OroWebhookRepository } from '../storage/oro-webhook-repository';
import type { SyncEntity } from '../storage/sync-state-repository';

/**
 * Oro's webhooks (OroIntegrationBundle, oroinc/platform `Model/WebhookNotificationSender.php`):
 * a POST of `{"topic","eventData","timestamp","messageId"}` as JSON, with the headers
 * `Webhook-Topic`, `Webhook-Id` (the messageId) and, when the webhook has a secret,
 * `Webhook-Signature` = hex HMAC-SHA256 of the raw body under the secret and
 * `Webhook-Signature-Algorithm: HMAC-SHA256`. `timestamp` is Unix seconds, set when Oro
 * queued the notification (`Model/WebhookNotifier.php`); a retry (Oro redelivers on 429 and
 * 5xx) sends the same body again. `eventData` is the entity as a JSON:API GET answer.
 */
export const ORO_WEBHOOK_MAX_BYTES = 32 * 1024;
/** How old a message may be (Oro retries late) and how long its id is remembered. */
export const REPLAY_WINDOW_MS = 15 * 60_000;
/** Oro's topic is `<entity alias>.<event>` (`Provider/WebhookConfigurationProvider.php`). */
const TOPIC_ENTITIES: Readonly<Record<string, SyncEntity>> = { task: 'tasks', calendarevent: 'calendar' };
export const ORO_WEBHOOK_TOPICS = Object.keys(TOPIC_ENTITIES).flatMap((alias) =>
  ['created', 'updated', 'deleted'].map((event) => `${alias}.${event}`),
);

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

const relation = z.object({ data: z.object({ type: z.string(), id: z.string() }).nullable() }).loose();
const resource = z
  .object({
    type: z.string().max(100),
    id: z.string().max(100),
    relationships: z.record(z.string(), relation).optional(),
  })
  .loose();
export const oroWebhookPayload = z
  .object({
    topic: z.string().regex(/^[\w.]{1,200}$/),
    timestamp: z.number().int().positive(),
    messageId: z.string().regex(/^[\w-]{1,100}$/),
    eventData: z.object({ data: resource, included: z.array(resource).max(100).optional() }).loose(),
  })
  .loose()
  .meta({ id: 'OroWebhookNotification' });

export type OroWebhookOutcome =
  { queued: true; userId: string; entity: SyncEntity } | { queued: false; reason: string };

/**
 * Receives an organization's Oro webhooks: each authentic, fresh, first-seen notification of
 * a task or calendar event queues its owner's run, as a Graph notification does. The
 * organization in the path chooses the secret; the owner must belong to that organization,
 * so a message signed with one organization's secret never queues a run for another's user.
 */
export class OroWebhookService {
  constructor(
    private readonly deps: {
      repository: OroWebhookRepository;
      secrets: SecretBox;
      settings: SettingsService;
      queue: () => SyncQueue;
      now?: () => Date;
    },
  ) {}

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  /** A new secret for the organization (replacing any): shown once, stored sealed. */
  async rotateSecret(organizationId: string): Promise<{ secret: string; createdAt: string }> {
    await this.deps.settings.read('organization', organizationId); // 404 for an unknown one
    const secret = randomBytes(32).toString('base64url');
    const createdAt = this.now().toISOString();
    await this.deps.repository.saveSecret(organizationId, {
      sealed: this.deps.secrets.seal(secret, secretContext(organizationId)),
      createdAt,
    });
    return { secret, createdAt };
  }

  async secretStatus(organizationId: string): Promise<{ configured: boolean; createdAt: string | null }> {
    await this.deps.settings.read('organization', organizationId);
    const stored = await this.deps.repository.secret(organizationId);
    return { configured: stored !== undefined, createdAt: stored?.createdAt ?? null };
  }

  async removeSecret(organizationId: string): Promise<void> {
    await this.deps.settings.read('organization', organizationId);
    await this.deps.repository.removeSecret(organizationId);
  }

  /**
   * `signature`: the Webhook-Signature header. Checked before anything is parsed; the one
   * table read before it (the secret) is a point read. 401 for a missing or wrong signature,
   * 400 for a message out of the replay window or not Oro's shape, 409 for a replay.
   */
  async receive(organizationId: string, signature: string | null, body: Buffer): Promise<OroWebhookOutcome> {
    if (signature === null || !HEX_SHA256.test(signature)) {
      throw unauthorized('The Webhook-Signature header is missing or is not a hex HMAC-SHA256.');
    }
    const stored = await this.deps.repository.secret(organizationId);
    const expected = stored && this.expectedSignature(organizationId, stored.sealed, body);
    if (!expected || !timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      throw unauthorized('The signature does not match this organization’s webhook secret.');
    }
    const message = parse(body);
    const now = this.now();
    const sent = message.timestamp * 1000;
    if (Math.abs(now.getTime() - sent) > REPLAY_WINDOW_MS) {
      throw new AppError('validation', 'The message is older than the replay window (or from the future).', {
        fieldErrors: [{ path: 'timestamp', message: `more than ${REPLAY_WINDOW_MS / 60_000} minutes off` }],
      });
    }
    const bucket = Math.floor(sent / REPLAY_WINDOW_MS);
    if (!(await this.deps.repository.take(organizationId, bucket, message.messageId, now))) {
      throw new AppError('conflict', `Message "${message.messageId}" was received already.`);
    }
    try {
      const target = await this.target(organizationId, message);
      if ('reason' in target) {
        return { queued: false, reason: target.reason };
      }
      await this.send(target.user.userId, target.entity, now);
      return { queued: true, userId: target.user.userId, entity: target.entity };
    } catch (error) {
      // Nothing was queued: Oro's retry of this message must not be taken for a replay.
      await this.deps.repository.release(organizationId, bucket, message.messageId);
      throw error;
    }
  }

  private expectedSignature(organizationId: string, sealed: Parameters<SecretBox['open']>[0], body: Buffer) {
    const secret = this.deps.secrets.open(sealed, secretContext(organizationId));
    return createHmac('sha256', secret).update(body).digest();
  }

  /** Whose run, of which entity; or why none. Owner ids are Oro user ids, which are our user ids. */
  private async target(
    organizationId: string,
    message: z.infer<typeof oroWebhookPayload>,
  ): Promise<{ user: ResolvedUser; entity: SyncEntity } | { reason: string }> {
    const [alias] = message.topic.split('.');
    const entity = alias === undefined ? undefined : TOPIC_ENTITIES[alias];
    if (!entity) {
      return { reason: `topic "${message.topic}" is not synced` };
    }
    const data = message.eventData.data;
    let owner: string | undefined;
    let calendarId: string | undefined;
    if (entity === 'tasks') {
      owner = data.relationships?.owner?.data?.id;
    } else {
      // A calendar event has no owner; its calendar has (entity config
      // webhook_relations_includes = calendar puts the calendar in `included`).
      calendarId = data.relationships?.calendar?.data?.id;
      const calendar = message.eventData.included?.find((r) => r.type === 'calendars' && r.id === calendarId);
      owner = calendar?.relationships?.owner?.data?.id;
    }
    if (owner === undefined || !entityId.safeParse(owner).success) {
      return {
        reason:
          entity === 'tasks'
            ? 'the task names no owner (use the webhook format "default", not "thin")'
            : 'the event names no calendar owner (set webhook_relations_includes to "calendar", format "default")',
      };
    }
    let user: ResolvedUser;
    try {
      user = await this.deps.settings.resolveUser(owner);
    } catch (error) {
      if (isAppErrorCode(error, 'not-found')) {
        return { reason: `Oro user ${owner} is not a user of this service` };
      }
      throw error;
    }
    if (user.organizationId !== organizationId) {
      return { reason: `Oro user ${owner} does not belong to organization "${organizationId}"` };
    }
    if (user.resolved[`${entity}.enabled`].value !== true) {
      return { reason: `${entity} sync is disabled for user ${owner}` };
    }
    if (calendarId !== undefined && String(user.resolved['calendar.oroCalendarId'].value) !== calendarId) {
      return { reason: `calendar ${calendarId} is not the calendar user ${owner} syncs` };
    }
    return { user, entity };
  }

  /** Changes of one user and entity within COALESCE_MS become one run, as for Graph. */
  private async send(userId: string, entity: SyncEntity, now: Date): Promise<void> {
    const bucket = Math.floor(now.getTime() / COALESCE_MS);
    const message: OutgoingSync = {
      messageId: `oro-webhook:${userId}:${entity}:${bucket}`,
      body: { userId, entity, reason: 'notification', requestedAt: now.toISOString() },
      scheduledAt: new Date((bucket + 1) * COALESCE_MS),
    };
    try {
      await this.deps.queue().send([message]);
    } catch (error) {
      // A 503 makes Oro deliver again (RetryableErrorWebhookResponseProcessor).
      throw new AppError('dependency-unavailable', 'The sync queue is not available; try again later.', {
        cause: error,
      });
    }
  }
}

const secretContext = (organizationId: string) => `oro-webhook:${organizationId}:secret`;

const unauthorized = (detail: string) => new AppError('unauthorized', detail);

function parse(body: Buffer): z.infer<typeof oroWebhookPayload> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError('validation', 'The body is not valid JSON.', {
      fieldErrors: [{ path: '', message: 'not valid JSON' }],
    });
  }
  const parsed = oroWebhookPayload.safeParse(value);
  if (!parsed.success) {
    throw new AppError('validation', 'The body is not an Oro webhook notification.', {
      fieldErrors: toFieldErrors(parsed.error.issues),
    });
  }
  return parsed.data;
}
