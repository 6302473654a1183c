import type { InvocationContext } from '@azure/functions';
import type { Services } from '../shared/app/services';
import { AppError } from '../shared/errors/app-error';
import { toFieldErrors } from '../shared/http/validation';
import { syncMessage, type SyncMessage } from '../shared/messaging/messages';
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
 */
export function syncQueueFunction(
  getServices: GetServices,
  def: {
    name: string;
    queueName: string;
    entity: SyncMessage['entity'];
    run: (m: SyncMessage, c: InvocationContext, s: Services) => Promise<void>;
  },
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
      await def.run(parsed.data, context, services);
      // Subscriptions follow the settings lazily: an entity enabled or disabled since the
      // last run is (un)subscribed here. A failure only delays notifications; polling goes on.
      await services.subscriptions.ensure(parsed.data.userId).catch((error: unknown) => {
        context.warn(
          `${def.name} ${parsed.data.userId}: subscriptions not updated: ${(error as Error).message}`,
        );
      });
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
