import { message as amqpMessage, string_to_uuid, types, uuid_to_string, type Message } from 'rhea';

/** The SDK sends a batch as one transfer of this format whose data sections are encoded messages. */
export const BATCH_FORMAT = 0x80013700;

export const SESSION_FILTER = 'com.microsoft:session-filter';
export const LOCKED_UNTIL_PROPERTY = 'com.microsoft:locked-until-utc';
export const DEAD_LETTER_CONDITION = 'com.microsoft:dead-letter';

/** The messages carried by one transfer: a single message, or each data section of a batch. */
export function transferMessages(payload: Message | Buffer, format: number | undefined): Message[] {
  if (!Buffer.isBuffer(payload)) {
    return [payload];
  }
  if (format !== BATCH_FORMAT) {
    throw new Error(`unsupported message format ${format ?? 'none'}`);
  }
  const envelope = decode(payload);
  const body: unknown = envelope.body;
  const content = isSection(body) ? body.content : undefined;
  const parts = Array.isArray(content) ? content : content === undefined ? [] : [content];
  return parts.map((part) => {
    if (!Buffer.isBuffer(part)) {
      throw new Error('a batch section is not binary');
    }
    return decode(part);
  });
}

/** rhea's typings give decode() a narrower Message than the one links carry; the value is the same. */
export function decode(encoded: Buffer): Message {
  return amqpMessage.decode(encoded) as unknown as Message;
}

function isSection(value: unknown): value is { content: unknown } {
  return typeof value === 'object' && value !== null && 'content' in value;
}

/**
 * The delivery tag for a lock token: the SDK reads the 16 tag bytes in .NET GUID order (the
 * first three groups byte-swapped), so the tag is the swapped form of the token's bytes.
 */
export function lockTokenTag(token: string): Buffer {
  return dotnetOrder(string_to_uuid(token));
}

export function tagLockToken(tag: Buffer | string): string {
  return uuid_to_string(dotnetOrder(Buffer.isBuffer(tag) ? tag : Buffer.from(tag)));
}

function dotnetOrder(b: Buffer): Buffer {
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  return Buffer.from(order.map((i) => b[i] ?? 0));
}

/** A uuid as the management link sends it (16 bytes) or as text. */
export function uuidText(value: unknown): string {
  if (Buffer.isBuffer(value)) {
    return uuid_to_string(value);
  }
  if (typeof value === 'string') {
    return value.toLowerCase();
  }
  throw new Error('expected a uuid');
}

/** rhea decodes a long as a number when it fits in 53 bits and as its 8 bytes otherwise. */
export function longNumber(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    return value;
  }
  if (Buffer.isBuffer(value) && value.length === 8) {
    return Number(value.readBigInt64BE(0));
  }
  throw new Error('expected a sequence number');
}

export const wrapLong = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return types.wrap_long(b);
};

/** .NET ticks (100 ns since 0001-01-01) as a long: how the service states a session lock's end. */
export function dotnetTicks(ms: number) {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(ms) * 10_000n + 621_355_968_000_000_000n);
  return types.wrap_long(b);
}

export function encodeMessage(m: Message): Buffer {
  return amqpMessage.encode(m);
}

export function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Buffer.isBuffer(value)
    ? (value as Record<string, unknown>)
    : {};
}
