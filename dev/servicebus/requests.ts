import type { EventContext, Message, Receiver, Sender } from 'rhea';
import { asRecord } from './amqp';
import { ManagementError, handleManagement } from './management';
import type { Queue } from './queue-store';
import { textOf } from '../text-of';

/**
 * Judges each token a client puts on the CBS node (`type` "jwt" for an Entra ID token,
 * "servicebus.windows.net:sastoken" for SAS; `audience` is the entity URI it is for).
 */
export type Authorize = (put: { type: string; audience: string; token: string }) => boolean;

/** Answers a request on the reply link the client named in `reply_to`. */
function reply(
  context: EventContext,
  request: Message,
  status: number,
  body: unknown,
  error?: ManagementError,
) {
  const replyTo = request.reply_to;
  const target = context.connection.find_sender(
    (s: Sender) => s.name === replyTo || asRecord(s.target).address === replyTo,
  );
  if (!target) {
    return;
  }
  target.send({
    ...(request.message_id === undefined ? {} : { correlation_id: request.message_id }),
    application_properties: {
      statusCode: status,
      'status-code': status,
      ...(error ? { statusDescription: error.message, errorCondition: error.condition } : {}),
    },
    body,
  });
}

/**
 * A put-token on the `$cbs` node. Without `authorize` every token is accepted: the emulator
 * has no identities of its own.
 */
export function cbsPutToken(context: EventContext, request: Message, authorize: Authorize | undefined): void {
  const props = asRecord(request.application_properties);
  const put = { type: String(props.type), audience: String(props.name), token: String(request.body) };
  if (authorize && !authorize(put)) {
    // As the service answers a token it refuses: 401 on the put-token, the link stays usable.
    reply(
      context,
      request,
      401,
      undefined,
      new ManagementError(401, 'amqp:unauthorized-access', 'Unauthorized: the token was refused.'),
    );
    return;
  }
  reply(context, request, 200, undefined);
}

/** A request on a queue's `$management` node (dev/servicebus/management.ts has the operations). */
export function managementRequest(
  context: EventContext,
  request: Message,
  queue: Queue,
  now: number,
  changed: () => void,
): void {
  const properties = asRecord(request.application_properties);
  const operation = textOf(properties.operation ?? '');
  // The SDK names the receiver a session request is for; only that link's lock may be renewed.
  const linkName = properties['associated-link-name'];
  const associatedLink =
    typeof linkName === 'string'
      ? (context.connection.find_sender((s: Sender) => s.name === linkName) ?? null)
      : undefined;
  try {
    const result = handleManagement(operation, request.body, {
      queue,
      now,
      owner: context.receiver as Receiver,
      associatedLink,
      changed,
    });
    reply(context, request, result.status, result.body);
  } catch (error) {
    const e =
      error instanceof ManagementError
        ? error
        : new ManagementError(
            400,
            'amqp:invalid-field',
            error instanceof Error ? error.message : String(error),
          );
    reply(context, request, e.status, undefined, e);
  }
}
