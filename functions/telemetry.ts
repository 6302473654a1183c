import type { HttpResponse, HttpResponseInit, InvocationContext } from '@azure/functions';
import {
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { spanFailed } from '../shared/telemetry/outbound';
import {
  contextFromProperties,
  contextFromTraceparent,
  parseTraceparent,
} from '../shared/telemetry/trace-context';
import type { HttpFunctionDefinition } from './http';
import type { FunctionDefinition } from './index';
import type { QueueFunctionDefinition } from './queue';
import type { TimerFunctionDefinition } from './timer';

/**
 * A span per invocation of every function of the table (functions/index.ts), so each HTTP
 * call, timer tick and queue message is traced, whatever the function:
 * - HTTP: `<METHOD> /api/<route template>` (kind server) with the method, the route
 *   template (never the URL: it holds ids and the query, Graph's validationToken among
 *   them) and the status; no header, no body.
 * - timer: the function's name (kind internal).
 * - queue: `process <queue>` (kind consumer), a child of the span that sent the message
 *   (its W3C traceparent, shared/telemetry/trace-context.ts), so a run is found under the
 *   webhook call, timer tick or "sync now" that queued it.
 * HTTP and timer spans start under the Functions host's own trace context when it hands a
 * valid one; a queue span links to it. Without an OpenTelemetry SDK all of this is a no-op.
 */
const tracer = () => trace.getTracer('oro-m365-sync');

export function traced(fn: FunctionDefinition): FunctionDefinition {
  if (fn.kind === 'http') {
    return tracedHttp(fn);
  }
  if (fn.kind === 'timer') {
    return tracedTimer(fn);
  }
  return tracedQueue(fn);
}

function tracedHttp(fn: HttpFunctionDefinition): HttpFunctionDefinition {
  const route = `/api/${fn.route}`;
  return {
    ...fn,
    handler: (request, context) =>
      inSpan(
        `${fn.method} ${route}`,
        SpanKind.SERVER,
        {
          'http.request.method': fn.method,
          'http.route': route,
          ...invocation(fn.name, 'http', context),
        },
        contextFromTraceparent(context.traceContext?.traceParent),
        [],
        async (span) => {
          const response: HttpResponseInit | HttpResponse = await fn.handler(request, context);
          const status = response.status ?? 200;
          span.setAttribute('http.response.status_code', status);
          if (status >= 500) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
          }
          return response;
        },
      ),
  };
}

function tracedTimer(fn: TimerFunctionDefinition): TimerFunctionDefinition {
  return {
    ...fn,
    handler: (timer, context) =>
      inSpan(
        fn.name,
        SpanKind.INTERNAL,
        invocation(fn.name, 'timer', context),
        contextFromTraceparent(context.traceContext?.traceParent),
        [],
        () => fn.handler(timer, context),
      ),
  };
}

function tracedQueue(fn: QueueFunctionDefinition): QueueFunctionDefinition {
  return {
    ...fn,
    handler: (message, context) => {
      const messageId = context.triggerMetadata?.messageId;
      const host = parseTraceparent(context.traceContext?.traceParent);
      return inSpan(
        `process ${fn.queueName}`,
        SpanKind.CONSUMER,
        {
          'messaging.system': 'servicebus',
          'messaging.operation.type': 'process',
          'messaging.destination.name': fn.queueName,
          ...(typeof messageId === 'string' ? { 'messaging.message.id': messageId } : {}),
          ...invocation(fn.name, 'pubsub', context),
        },
        contextFromProperties(context.triggerMetadata?.applicationProperties),
        host ? [{ context: host }] : [],
        () => fn.handler(message, context),
      );
    },
  };
}

const invocation = (name: string, trigger: string, context: InvocationContext): Attributes => ({
  'faas.name': name,
  'faas.trigger': trigger,
  'faas.invocation_id': context.invocationId,
});

/** Runs `work` in a span; a thrown error marks it with the error's type and is rethrown unchanged. */
function inSpan<T>(
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  parent: Context,
  links: Link[],
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer().startActiveSpan(name, { kind, attributes, links }, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      throw spanFailed(span, error);
    } finally {
      span.end();
    }
  });
}
