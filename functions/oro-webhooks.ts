import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { AppError } from '../shared/errors/app-error';
import { ORO_WEBHOOK_MAX_BYTES, ORO_WEBHOOK_TOPICS, oroWebhookPayload } from '../shared/oro/webhook-receiver';
import { entityId } from '../shared/settings/schema';
import { ADMIN_ERRORS, httpFunction, json, pathParam, problemResponse, type GetServices } from './http';

const tags = ['oro-webhooks'];
const NO_ORGANIZATION = { 404: problemResponse('No such organization') };
const organizationParam = (request: HttpRequest) => pathParam(request, 'organizationId', entityId);

const received = z
  .object({
    queued: z.boolean(),
    userId: z.string().optional(),
    entity: z.string().optional(),
    reason: z.string().optional().meta({ description: 'Why nothing was queued (in words)' }),
  })
  .meta({ id: 'OroWebhookReceipt' });

const secretStatus = z
  .object({
    configured: z.boolean(),
    createdAt: z.string().nullable(),
    notificationUrl: z
      .string()
      .nullable()
      .meta({ description: "The Notification URL to enter in Oro's webhook" }),
    topics: z.array(z.string()).meta({ description: 'The Oro topics to create a webhook for, one each' }),
  })
  .meta({ id: 'OroWebhookSetup' });
const newSecret = secretStatus
  .extend({ secret: z.string().meta({ description: "Shown once: enter it as the webhook's Secret in Oro" }) })
  .meta({ id: 'OroWebhookSecret' });

/**
 * Reads at most `limit` bytes of the body, stopping (413) as soon as more arrive: the cost of
 * an unauthenticated request is bounded before its signature is even checked.
 */
async function readCapped(request: HttpRequest, limit: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  const tooLarge = () => new AppError('payload-too-large', `The body is over ${limit / 1024} KiB.`);
  if (declared > limit) {
    throw tooLarge();
  }
  const type = request.headers.get('content-type');
  if (type && !/^application\/json\b/i.test(type)) {
    throw new AppError('unsupported-media-type', `Oro sends application/json, not ${type.split(';')[0]}.`);
  }
  if (!request.body) {
    return Buffer.alloc(0);
  }
  // The host hands the body over as a byte stream (the Functions v4 HttpRequest).
  const reader = (request.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      return Buffer.concat(chunks);
    }
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(Buffer.from(value));
  }
}

export const oroWebhookFunctions = (getServices: GetServices) => {
  const setup = (services: ReturnType<GetServices>, organizationId: string) => ({
    notificationUrl: services.config.publicBaseUrl
      ? `${services.config.publicBaseUrl}/api/oro/webhooks/${encodeURIComponent(organizationId)}`
      : null,
    topics: ORO_WEBHOOK_TOPICS,
  });
  return [
    httpFunction(getServices, {
      name: 'oroWebhook',
      route: 'oro/webhooks/{organizationId}',
      method: 'POST',
      operation: {
        operationId: 'oroWebhook',
        summary:
          "Oro's webhook notifications (OroIntegrationBundle) of tasks and calendar events: a signed one queues its owner's sync",
        tags,
        security: 'none',
        headers: ['Webhook-Signature'],
        requestBody: oroWebhookPayload,
        responses: {
          202: { description: 'Authentic: its owner’s run is queued, or why not', schema: received },
          400: problemResponse('Not an Oro notification, or older than the replay window (15 minutes)'),
          401: problemResponse('Webhook-Signature missing or not matching the organization’s secret'),
          409: problemResponse('This messageId was received already (a replay)'),
          413: problemResponse('The body is over 32 KiB'),
          415: problemResponse('The body is not JSON'),
          503: problemResponse('The sync queue is not available; Oro delivers again'),
        },
      },
      run: async (request, context, services) => {
        const organizationId = organizationParam(request);
        const body = await readCapped(request, ORO_WEBHOOK_MAX_BYTES);
        const outcome = await services.oroWebhooks.receive(
          organizationId,
          request.headers.get('webhook-signature'),
          body,
        );
        context.log(
          `oroWebhook ${organizationId} ${request.headers.get('webhook-topic') ?? ''}: ` +
            (outcome.queued
              ? `queued ${outcome.entity} of user ${outcome.userId}`
              : `ignored: ${outcome.reason}`),
        );
        return json(202, outcome);
      },
    }),
    httpFunction(getServices, {
      name: 'oroWebhookSetup',
      route: 'organizations/{organizationId}/oro-webhook',
      method: 'GET',
      operation: {
        operationId: 'oroWebhookSetup',
        summary: "Whether the organization has an Oro webhook secret, and what to enter in Oro's webhooks",
        tags,
        security: 'admin',
        responses: {
          200: { description: 'The setup (never the secret)', schema: secretStatus },
          ...ADMIN_ERRORS,
          ...NO_ORGANIZATION,
        },
      },
      run: async (request, _context, services) => {
        const organizationId = organizationParam(request);
        const status = await services.oroWebhooks.secretStatus(organizationId);
        return json(200, { ...status, ...setup(services, organizationId) });
      },
    }),
    httpFunction(getServices, {
      name: 'oroWebhookSecret',
      route: 'organizations/{organizationId}/oro-webhook',
      method: 'POST',
      operation: {
        operationId: 'oroWebhookSecret',
        summary: 'A new Oro webhook secret for the organization (replacing the old one at once), shown once',
        tags,
        security: 'admin',
        responses: {
          201: { description: 'The secret and the setup', schema: newSecret },
          ...ADMIN_ERRORS,
          ...NO_ORGANIZATION,
        },
      },
      run: async (request, _context, services) => {
        const organizationId = organizationParam(request);
        const made = await services.oroWebhooks.rotateSecret(organizationId);
        return json(
          201,
          { configured: true, ...made, ...setup(services, organizationId) },
          { 'Cache-Control': 'no-store' },
        );
      },
    }),
    httpFunction(getServices, {
      name: 'oroWebhookRemove',
      route: 'organizations/{organizationId}/oro-webhook',
      method: 'DELETE',
      operation: {
        operationId: 'oroWebhookRemove',
        summary: "Removes the organization's Oro webhook secret: its webhooks are refused (polling goes on)",
        tags,
        security: 'admin',
        responses: {
          204: { description: 'Removed (or there was none)' },
          ...ADMIN_ERRORS,
          ...NO_ORGANIZATION,
        },
      },
      run: async (request, _context, services) => {
        await services.oroWebhooks.removeSecret(organizationParam(request));
        return { status: 204 };
      },
    }),
  ];
};
