import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import {
  changeNotificationCollection,
  lifecycleNotificationCollection,
  type NotificationReport,
} from '../shared/microsoft/notifications';
import type { ApiOperation } from '../shared/openapi/document';
import { httpFunction, problemResponse, readJsonBody, type GetServices } from './http';

const validationQuery = z.object({
  validationToken: z.string().optional().meta({
    description: 'Sent by Graph when a subscription is created: echoed back as text/plain.',
  }),
});

const tags = ['notifications'];

/**
 * Status choices, since Graph redelivers any non-2xx: 202 for a collection with at least one
 * well-formed notification, even when every one is ignored (unknown subscription, wrong
 * clientState: a retry would not change that); 400 only when nothing in the body is a
 * notification (not Graph); 503 when the queue is unavailable, so Graph delivers again.
 */
function operation(operationId: string, summary: string, body: z.ZodType): ApiOperation {
  return {
    operationId,
    summary,
    tags,
    security: 'none',
    query: validationQuery,
    requestBody: body,
    responses: {
      200: {
        description: 'Validation handshake: the decoded validationToken',
        schema: z.string(),
        contentType: 'text/plain',
      },
      202: { description: 'Accepted; authentic notifications are queued as sync requests' },
      400: problemResponse('The body holds no well-formed notification; `errors` names what is wrong'),
      413: problemResponse('The body is over 64 KiB'),
      415: problemResponse('The body is not JSON'),
      503: problemResponse('The sync queue is not available; Graph delivers again'),
    },
  };
}

/** Graph's endpoint check when a subscription is made: answer the token, as plain text, at once. */
function validationEcho(request: HttpRequest): HttpResponseInit | undefined {
  const token = request.query.get('validationToken');
  if (token === null) {
    return undefined;
  }
  return {
    status: 200,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
    body: token,
  };
}

const describe = (r: NotificationReport) =>
  `${r.received} received, ${r.enqueued} sync message(s), ignored: ${r.malformed} malformed, ` +
  `${r.unknownSubscription} unknown subscription, ${r.wrongClientState} wrong clientState, ` +
  `${r.overLimit} over the lookup limit`;

export const notificationFunctions = (getServices: GetServices) => [
  httpFunction(getServices, {
    name: 'graphNotifications',
    route: 'notifications',
    method: 'POST',
    operation: operation(
      'graphNotifications',
      'Microsoft Graph change notifications: each authentic one queues a sync of its user and entity (never synced inline)',
      changeNotificationCollection,
    ),
    run: async (request, context, services) => {
      const echo = validationEcho(request);
      if (echo) {
        return echo;
      }
      const report = await services.notifications.changes(await readJsonBody(request));
      context.log(`graphNotifications: ${describe(report)}`);
      return { status: 202 };
    },
  }),
  httpFunction(getServices, {
    name: 'graphLifecycleNotifications',
    route: 'notifications/lifecycle',
    method: 'POST',
    operation: operation(
      'graphLifecycleNotifications',
      'Microsoft Graph lifecycle notifications: reauthorizationRequired renews; subscriptionRemoved re-creates and missed re-reads, each with a full sync queued',
      lifecycleNotificationCollection,
    ),
    run: async (request, context, services) => {
      const echo = validationEcho(request);
      if (echo) {
        return echo;
      }
      const report = await services.notifications.lifecycle(await readJsonBody(request));
      context.log(
        `graphLifecycleNotifications: ${describe(report)}; ${report.renewed} renewed, ` +
          `${report.recreated} re-created, ${report.fullSyncs} full sync(s)`,
      );
      return { status: 202 };
    },
  }),
];
