import {
  context,
  isSpanContextValid,
  trace,
  TraceFlags,
  type Context,
  type SpanContext,
} from '@opentelemetry/api';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/, "traceparent Header") carried in
 * a Service Bus message's applicationProperties, so the run a webhook, a timer or a "sync
 * now" queued is traced under the request that queued it. What arrives is input from
 * outside: only version 00 in its exact form (lowercase hex, 55 characters, ids not all
 * zero) is taken; anything else is ignored and the run starts a trace of its own.
 */
export const TRACEPARENT = 'traceparent';

const FORMAT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The span context a traceparent names, or undefined when it is not strictly W3C. */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string' || value.length !== 55) {
    return undefined;
  }
  const m = FORMAT.exec(value);
  if (!m) {
    return undefined;
  }
  const spanContext: SpanContext = {
    traceId: m[1]!,
    spanId: m[2]!,
    // Only the sampled bit has a meaning in version 00; the other bits are ignored.
    traceFlags: parseInt(m[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** The traceparent of the active span, when there is one (none without an SDK). */
export function activeTraceparent(active: Context = context.active()): string | undefined {
  const sc = trace.getSpanContext(active);
  if (!sc || !isSpanContextValid(sc)) {
    return undefined;
  }
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0')}`;
}

/** The applicationProperties that carry the active trace to the message's consumer ({} without one). */
export function traceProperties(): Record<string, string> {
  const value = activeTraceparent();
  return value ? { [TRACEPARENT]: value } : {};
}

/**
 * The context a consumer's span starts in: the producer's span, when the message carries a
 * valid traceparent; else the active context (a trace of its own). `properties` is the
 * trigger's applicationProperties: an object, or its JSON text, as hosts differ.
 */
export function contextFromProperties(properties: unknown): Context {
  const sc = parseTraceparent(propertyOf(properties, TRACEPARENT));
  return sc ? trace.setSpanContext(context.active(), sc) : context.active();
}

/** The context a span starts in when the caller handed a traceparent (the Functions host's own). */
export function contextFromTraceparent(value: unknown): Context {
  const sc = parseTraceparent(value);
  return sc ? trace.setSpanContext(context.active(), sc) : context.active();
}

function propertyOf(properties: unknown, name: string): unknown {
  let object = properties;
  if (typeof object === 'string' && object.length <= 64 * 1024) {
    try {
      object = JSON.parse(object) as unknown;
    } catch {
      // Not JSON: no properties to read, so no parent.
      return undefined;
    }
  }
  return object !== null && typeof object === 'object' && Object.hasOwn(object, name)
    ? (object as Record<string, unknown>)[name]
    : undefined;
}
