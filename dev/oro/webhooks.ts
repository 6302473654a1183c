import { createHmac, randomUUID } from 'node:crypto';

/**
 * Oro's outgoing webhooks as OroIntegrationBundle sends them (oroinc/platform, Oro 6.1.10+):
 * - one webhook per topic, `<entity alias>.<event>` (`task.updated`, `calendarevent.created`;
 *   `Provider/WebhookConfigurationProvider.php`), each with its notification URL, optional
 *   secret and format (`default`: the entity as a JSON:API GET answer; `thin`: type and id only,
 *   `Model/WebhookRequestProcessor/ThinPayloadWebhookRequestProcessor.php`);
 * - a POST of `{"topic","eventData","timestamp","messageId"}` with `Content-Type:
 *   application/json`, `Webhook-Topic`, `Webhook-Id` (the messageId) and, with a secret,
 *   `Webhook-Signature` (hex HMAC-SHA256 of the body) and `Webhook-Signature-Algorithm:
 *   HMAC-SHA256` (`Model/WebhookNotificationSender.php`); redirects are not followed;
 * - `timestamp` is when the change was queued (`Model/WebhookNotifier.php`), and delivery is
 *   asynchronous (Oro's message queue); a 429 or 5xx answer is delivered again with the same
 *   body (`RetryableErrorWebhookResponseProcessor`), other answers are final.
 * Deletions are not sent: Oro's processor looks the entity up when the queued message is
 * processed and rejects the message once the row is gone (`Async/WebhookNotificationProcessor.php`).
 * Oro's PHP `json_encode` escapes `/` as `\/`; the signature covers whatever bytes are sent,
 * so the simulator's plain JSON is signed the same way.
 */
export interface OroWebhook {
  id: number;
  notificationUrl: string;
  topic: string;
  secret?: string;
  format: 'default' | 'thin';
  enabled: boolean;
}

export interface OroWebhookDelivery {
  webhookId: number;
  topic: string;
  messageId: string;
  status: number | 'failed';
  attempts: number;
  /** The answer's body (the first 2,000 characters), as Oro logs it on failure. */
  answer?: string;
}

/** Oro's MQ redelivers a retryable failure; the simulator tries this often, a little apart. */
const MAX_ATTEMPTS = 3;
const RETRY_MS = 200;

export function createOroWebhooks(clock: () => number) {
  const hooks = new Map<number, OroWebhook>();
  const deliveries: OroWebhookDelivery[] = [];
  const pending = new Set<Promise<void>>();
  let nextId = 1;

  async function deliver(hook: OroWebhook, topic: string, eventData: unknown, timestamp: number) {
    const messageId = randomUUID();
    const payload = {
      topic,
      eventData: hook.format === 'thin' ? thin(eventData) : eventData,
      timestamp,
      messageId,
    };
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Webhook-Topic': topic,
      'Webhook-Id': messageId,
    };
    if (hook.secret) {
      headers['Webhook-Signature'] = createHmac('sha256', hook.secret).update(body).digest('hex');
      headers['Webhook-Signature-Algorithm'] = 'HMAC-SHA256';
    }
    const record: OroWebhookDelivery = {
      webhookId: hook.id,
      topic,
      messageId,
      status: 'failed',
      attempts: 0,
    };
    deliveries.push(record);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      record.attempts = attempt;
      try {
        const res = await fetch(hook.notificationUrl, { method: 'POST', headers, body, redirect: 'manual' });
        record.answer = (await res.text()).slice(0, 2000);
        record.status = res.status;
        if (res.status !== 429 && res.status < 500) {
          return;
        }
      } catch {
        record.status = 'failed';
      }
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }

  return {
    /** What an admin creates at `POST /api/webhooks` (or System > Integrations > Webhooks). */
    add(
      hook: Omit<OroWebhook, 'id' | 'enabled' | 'format'> & Partial<Pick<OroWebhook, 'enabled' | 'format'>>,
    ) {
      const made: OroWebhook = { id: nextId++, enabled: true, format: 'default', ...hook };
      hooks.set(made.id, made);
      return made;
    },
    remove(id: number) {
      hooks.delete(id);
    },
    /** A change of a webhook-accessible entity: each enabled webhook of the topic gets it, asynchronously. */
    emit(topic: string, eventData: () => unknown) {
      const matching = [...hooks.values()].filter((h) => h.enabled && h.topic === topic);
      if (matching.length === 0) {
        return; // no overhead without a webhook (WebhookNotifier::hasActiveNotifications)
      }
      const timestamp = Math.floor(clock() / 1000);
      const data = eventData();
      for (const hook of matching) {
        const p: Promise<void> = deliver(hook, topic, data, timestamp).finally(() => pending.delete(p));
        pending.add(p);
      }
    },
    deliveries: () => deliveries.map((d) => ({ ...d })),
    /** Waits until every delivery under way is answered (tests). */
    async settle(): Promise<void> {
      while (pending.size > 0) {
        await Promise.all([...pending]);
      }
    },
  };
}

export type OroWebhooks = ReturnType<typeof createOroWebhooks>;

function thin(eventData: unknown): unknown {
  const data = (eventData as { data?: { type?: unknown; id?: unknown } }).data;
  return { data: { type: data?.type, id: data?.id } };
}
