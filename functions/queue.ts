import type { InvocationContext } from '@azure/functions';
import type { Services } from '../shared/app/services';
import { AppError } from '../shared/errors/app-error';
import { toFieldErrors } from '../shared/http/validation';
import { syncMessage, type SyncMessage } from '../shared/messaging/messages';
import type { EntityRun } from '../shared/sync/sync-service';
import { traceSyncRun } from '../shared/telemetry/telemetry';
import type { GetServices } from './http';

export interface QueueFunctionDefinition {
  kind: 'serviceBusQueue';
  name: string;
  queueName: string;
  handler: (message: unknown, context: InvocationContext) => Promise<void>;
}

/**
 * A Service Bus queue function over sync messages. A malformed message fails with the
 * fields named; the runtime retries it and then dead-letters it, so nothing is lost silently.
 * A valid one runs through the SyncWorker: transient failures become scheduled retries,
 * and a failure on the last delivery is recorded in the user's status before it is thrown.
 */
export function syncQueueFunction(
  getServices: GetServices,
  def: { name: string; queueName: string; entity: SyncMessage['entity'] },
): QueueFunctionDefinition {
  return {
    kind: 'serviceBusQueue',
    name: def.name,
    queueName: def.queueName,
    handler: async (raw, context) => {
      const body = typeof raw === 'string' ? safeJson(raw) : raw;
      const parsed = syncMessage.safeParse(body);
      if (!parsed.success) {
        const errors = toFieldErrors(parsed.error.issues);
        context.error(
          `${def.name}: invalid message: ${errors.map((e) => `${e.path || '(body)'}: ${e.message}`).join('; ')}`,
        );
        throw new AppError('validation', 'Invalid sync message.', { fieldErrors: errors });
      }
      if (parsed.data.entity !== def.entity) {
        context.error(`${def.name}: a ${parsed.data.entity} message on the ${def.queueName} queue`);
        throw new AppError('validation', `This queue takes ${def.entity} messages only.`, {
          fieldErrors: [{ path: 'entity', message: `must be "${def.entity}" on ${def.queueName}` }],
        });
      }
      const services = getServices();
      const message = parsed.data;
      const count = deliveryCount(context);
      const messageId = context.triggerMetadata?.messageId;
      const handled = await services.syncWorker.handle(message, { count }, () =>
        traceSyncRun(
          {
            userId: message.userId,
            entity: message.entity,
            reason: message.reason,
            messageId: typeof messageId === 'string' ? messageId : undefined,
            deliveryCount: count,
            runId: context.invocationId,
          },
          () => runOnce(def.name, message, context, services),
        ),
      );
      if (handled.outcome === 'retry') {
        context.warn(
          `${def.name} ${message.userId}: transient failure (${handled.run.error ?? handled.run.status}); retry ${handled.attempt} at ${handled.at.toISOString()}`,
        );
      } else if (handled.outcome === 'gave-up') {
        context.error(`${def.name} ${message.userId}: gave up after ${handled.attempts} retries`);
      }
      // Subscriptions follow the settings lazily: an entity enabled or disabled since the
      // last run is (un)subscribed here. A failure only delays notifications; polling goes on.
      await services.subscriptions.ensure(message.userId).catch((error: unknown) => {
        context.warn(`${def.name} ${message.userId}: subscriptions not updated: ${(error as Error).message}`);
      });
    },
  };
}

/** One sync run of the message's user and entity, logged in a line. */
async function runOnce(
  name: string,
  message: SyncMessage,
  context: InvocationContext,
  services: Services,
): Promise<EntityRun> {
  const run = await services.sync.run(message.userId, message.entity, {
    reason: message.reason,
    ...(message.confirmMassDelete ? { confirmMassDelete: true } : {}),
    ...(message.continues !== undefined ? { continues: message.continues } : {}),
  });
  context.log(
    `${name} ${message.userId} (${message.reason}): ${run.status}` +
      ('result' in run ? ` ${JSON.stringify(run.result)}` : '') +
      ('microsoftSkipped' in run && run.microsoftSkipped
        ? '; Microsoft not read: its change notifications reported nothing since the last read'
        : '') +
      ('continuation' in run && run.continuation
        ? `; continues: ${run.continuation.done} of ${run.continuation.planned} items done`
        : '') +
      (run.error ? `: ${run.error}` : ''),
  );
  return run;
}

/** The host's delivery count (1 on the first delivery); absent when invoked by hand. */
function deliveryCount(context: InvocationContext): number {
  const value = Number(context.triggerMetadata?.deliveryCount);
  return Number.isInteger(value) && value >= 1 ? value : 1;
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
