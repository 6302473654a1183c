import { types, type Message } from 'rhea';
import { asRecord, decode, encodeMessage, longNumber, uuidText, wrapLong } from './amqp';
import { NOT_FOUND, SettleError, type Queue, type StoredMessage } from './queue-store';

/** A failed request: the SDK turns `errorCondition` into its ServiceBusError code. */
export class ManagementError extends Error {
  constructor(
    readonly status: number,
    readonly condition: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ManagementContext {
  queue: Queue;
  now: number;
  /** Owner of locks taken over the management link (receive-by-sequence-number). */
  owner: object;
  /**
   * The receiver link the request names (`associated-link-name`) on the same connection; null
   * when no link there has that name, undefined when the request names none.
   */
  associatedLink?: object | null | undefined;
  /** Something changed that receivers may want (messages became available). */
  changed(): void;
}

export interface ManagementReply {
  status: number;
  body: Record<string, unknown>;
}

const ok = (body: Record<string, unknown> = {}): ManagementReply => ({ status: 200, body });

/** The `$management` operations the SDK uses for peek-lock receiving, scheduling and sessions. */
export function handleManagement(operation: string, body: unknown, ctx: ManagementContext): ManagementReply {
  const request = asRecord(body);
  const { queue, now } = ctx;
  queue.tick(now);
  switch (operation) {
    case 'com.microsoft:renew-lock':
      return settleErrors(() =>
        ok({ expirations: lockTokens(request).map((token) => new Date(queue.renewLock(token, now))) }),
      );
    case 'com.microsoft:schedule-message': {
      const entries = Array.isArray(request.messages) ? request.messages : [];
      const sequenceNumbers = entries.map((entry) => {
        const encoded = asRecord(entry).message;
        if (!Buffer.isBuffer(encoded)) {
          throw new ManagementError(400, 'amqp:invalid-field', 'message is not binary');
        }
        const m = decode(encoded);
        const at = asRecord(m.message_annotations)['x-opt-scheduled-enqueue-time'];
        const sequence = queue.enqueue(m, now, at instanceof Date ? at.getTime() : now);
        // A duplicate is dropped, as by a sender; the SDK still wants a number per message.
        return sequence ?? 0;
      });
      ctx.changed();
      return ok({ 'sequence-numbers': types.wrap_array(sequenceNumbers, 0x81, undefined) });
    }
    case 'com.microsoft:cancel-scheduled-message':
      for (const n of sequenceNumbers(request)) {
        if (queue.messages.get(n)?.state === 'scheduled') {
          queue.messages.delete(n);
        }
      }
      return ok();
    case 'com.microsoft:peek-message': {
      const from =
        request['from-sequence-number'] === undefined ? 0 : longNumber(request['from-sequence-number']);
      const count = typeof request['message-count'] === 'number' ? request['message-count'] : 1;
      const sessionId = optionalString(request['session-id']);
      const found = [...queue.messages.values()]
        .filter((m) => m.sequenceNumber >= from && (sessionId === undefined || m.sessionId === sessionId))
        .sort((a, b) => a.sequenceNumber - b.sequenceNumber)
        .slice(0, count);
      if (found.length === 0) {
        return { status: 204, body: {} };
      }
      return ok({ messages: found.map((m) => ({ message: encodeMessage(withBrokerAnnotations(m)) })) });
    }
    case 'com.microsoft:receive-by-sequence-number': {
      const messages = sequenceNumbers(request).map((n) => {
        const m = queue.messages.get(n);
        if (m?.state !== 'deferred') {
          throw new ManagementError(404, NOT_FOUND, `No deferred message with sequence number ${n}.`);
        }
        return m;
      });
      return ok({
        messages: messages.map((m) => {
          const token = queue.lock(m, ctx.owner, now);
          return {
            message: encodeMessage(withBrokerAnnotations(m)),
            'lock-token': types.wrap_uuid(lockBytes(token)),
          };
        }),
      });
    }
    case 'com.microsoft:update-disposition': {
      const status = optionalString(request['disposition-status']);
      settleErrors(() => {
        for (const token of lockTokens(request)) {
          if (status === 'completed') {
            queue.complete(token, now);
          } else if (status === 'abandoned') {
            queue.abandon(token, now);
          } else if (status === 'defered') {
            queue.defer(token, now);
          } else if (status === 'suspended') {
            queue.deadLetterMessage(
              token,
              now,
              optionalString(request['deadletter-reason']),
              optionalString(request['deadletter-description']),
            );
          } else {
            throw new ManagementError(400, 'amqp:invalid-field', `unknown disposition-status ${status}`);
          }
        }
      });
      ctx.changed();
      return ok();
    }
    case 'com.microsoft:renew-session-lock': {
      const sessionId = requiredSession(request);
      return settleErrors(() =>
        ok({ expiration: new Date(queue.renewSessionLock(sessionId, ctx.associatedLink, now)) }),
      );
    }
    case 'com.microsoft:get-session-state': {
      const state = queue.sessionStates.get(requiredSession(request));
      return ok(state ? { 'session-state': state } : {});
    }
    case 'com.microsoft:set-session-state': {
      const sessionId = requiredSession(request);
      const state = request['session-state'];
      if (Buffer.isBuffer(state)) {
        queue.sessionStates.set(sessionId, state);
      } else {
        queue.sessionStates.delete(sessionId);
      }
      return ok();
    }
    default:
      throw new ManagementError(
        501,
        'amqp:not-implemented',
        `The emulator does not implement "${operation}".`,
      );
  }
}

/** A copy of the stored message with what the broker adds on the way out. */
export function withBrokerAnnotations(m: StoredMessage): Message {
  const annotations: Record<string, unknown> = {
    ...asRecord(m.message.message_annotations),
    'x-opt-sequence-number': wrapLong(m.sequenceNumber),
    'x-opt-enqueued-time': new Date(m.enqueuedAt),
  };
  if (m.lockedUntil !== undefined) {
    annotations['x-opt-locked-until'] = new Date(m.lockedUntil);
  }
  if (m.state === 'deferred' || m.deferredBeforeLock) {
    annotations['x-opt-message-state'] = 1;
  }
  if (m.state === 'scheduled') {
    annotations['x-opt-message-state'] = 2;
  }
  // The header counts earlier deliveries: the SDK reports 0 on the first receive.
  return {
    ...m.message,
    delivery_count: Math.max(0, m.deliveryCount - 1),
    message_annotations: annotations,
  };
}

function settleErrors<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof SettleError) {
      throw new ManagementError(error.condition === NOT_FOUND ? 404 : 410, error.condition, error.message);
    }
    throw error;
  }
}

function lockTokens(request: Record<string, unknown>): string[] {
  const raw = request['lock-tokens'];
  if (!Array.isArray(raw)) {
    throw new ManagementError(400, 'amqp:invalid-field', 'lock-tokens is required');
  }
  return raw.map(uuidText);
}

function lockBytes(token: string): Buffer {
  return Buffer.from(token.replace(/-/g, ''), 'hex');
}

function sequenceNumbers(request: Record<string, unknown>): number[] {
  const raw = request['sequence-numbers'];
  if (!Array.isArray(raw)) {
    throw new ManagementError(400, 'amqp:invalid-field', 'sequence-numbers is required');
  }
  return raw.map(longNumber);
}

function requiredSession(request: Record<string, unknown>): string {
  const id = optionalString(request['session-id']);
  if (id === undefined) {
    throw new ManagementError(400, 'amqp:invalid-field', 'session-id is required');
  }
  return id;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
