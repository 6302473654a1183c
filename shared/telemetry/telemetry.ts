import { metrics, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { MAX_DELIVERY_COUNT } from '../scheduling/sync-worker';
import type { EntityRun } from '../sync/sync-service';

/**
 * The service's telemetry through the OpenTelemetry API: spans of each queued sync run and
 * metrics of its outcome. Without a registered SDK every call is a no-op (tests and local
 * runs pay nothing); on Azure, functions/main.ts registers Azure Monitor's (startAzureMonitor).
 * Attributes carry ids only (user, entity, message, reason): never a token, secret or
 * item content.
 */
const NAME = 'oro-m365-sync';
const tracer = () => trace.getTracer(NAME);
const meter = () => metrics.getMeter(NAME);

let instruments: ReturnType<typeof createInstruments> | undefined;
const createInstruments = () => {
  const m = meter();
  return {
    runs: m.createCounter('sync.runs', { description: 'Sync runs by entity and outcome' }),
    written: m.createCounter('sync.items.written', {
      description: 'Items created, updated or deleted by sync runs, by entity and operation',
    }),
    conflicts: m.createCounter('sync.conflicts', { description: 'Conflicts resolved by sync runs' }),
    itemErrors: m.createCounter('sync.item_errors', { description: 'Items a sync run could not write' }),
    duration: m.createHistogram('sync.run.duration', { description: 'Duration of a sync run', unit: 'ms' }),
    deadLetters: m.createCounter('sync.dead_letters', {
      description: 'Sync messages that failed on their last delivery: Service Bus dead-letters them',
    }),
    throttled: m.createCounter('sync.throttled', {
      description:
        'Answers of Oro or Graph that asked to slow down (429, or 503 with Retry-After), by service',
    }),
    fanOutDue: m.createCounter('sync.fanout.due', {
      description: 'Due schedule rows (one per user and entity) a shard worker read, by shard',
    }),
    fanOutEnqueued: m.createCounter('sync.fanout.enqueued', {
      description: 'Sync messages a shard worker queued, by shard',
    }),
  };
};
/** Instruments are made on first use, from the meter provider registered by then. */
const instrumentsNow = () => (instruments ??= createInstruments());

/** The service an outbound request went to. */
export type OutboundService = 'oro' | 'microsoft';

/** Counts answers that asked to slow down (a whole request's, or a $batch step's). */
export function recordThrottled(service: OutboundService, count = 1): void {
  if (count > 0) {
    instrumentsNow().throttled.add(count, { 'sync.service': service });
  }
}

/** One shard work item's fan-out: due rows read and messages queued (docs/deploy.md, Telemetry). */
export function recordFanOut(r: { shard: number; read: number; enqueued: number }): void {
  const attributes = { 'sync.shard': r.shard };
  const i = instrumentsNow();
  i.fanOutDue.add(r.read, attributes);
  i.fanOutEnqueued.add(r.enqueued, attributes);
}

/** For tests that register a fresh meter provider: the next record makes new instruments. */
export function resetTelemetryInstruments(): void {
  instruments = undefined;
}

/** What identifies a queued run in traces and logs (the message's ids, never its content). */
export interface RunAttributes {
  userId: string;
  entity: string;
  reason: string;
  messageId?: string | undefined;
  deliveryCount?: number | undefined;
  /** The invocation of the queue function that runs it: the Functions host's own log lines carry it too. */
  runId?: string | undefined;
}

const spanAttributes = (a: RunAttributes): Attributes => ({
  'sync.user_id': a.userId,
  'sync.entity': a.entity,
  'sync.reason': a.reason,
  ...(a.messageId === undefined ? {} : { 'messaging.message.id': a.messageId }),
  ...(a.deliveryCount === undefined ? {} : { 'messaging.servicebus.delivery_count': a.deliveryCount }),
  ...(a.runId === undefined ? {} : { 'sync.run_id': a.runId }),
});

/**
 * The structured log record of a run: an event on its span, which Azure Monitor exports as
 * a `traces` row (message "sync run") with these fields in customDimensions, numbers in
 * customMeasurements, under the run's operation id. Ids, outcome and counts only: never a
 * token, secret, item content or the error text (which can quote what a side answered).
 */
function logRun(span: Span, a: RunAttributes, outcome: string, durationMs: number, run?: EntityRun): void {
  span.addEvent('sync run', {
    'sync.user_id': a.userId,
    'sync.entity': a.entity,
    'sync.reason': a.reason,
    ...(a.runId === undefined ? {} : { 'sync.run_id': a.runId }),
    ...(a.messageId === undefined ? {} : { 'messaging.message.id': a.messageId }),
    'sync.outcome': outcome,
    'sync.duration_ms': Math.round(durationMs),
    ...(run && 'result' in run
      ? {
          'sync.created': run.result.created,
          'sync.updated': run.result.updated,
          'sync.deleted': run.result.deleted,
          'sync.conflicts': run.result.conflicts,
          'sync.item_errors': run.result.errors,
        }
      : {}),
  });
}

/** The outcome a run is counted under: the run's status (ok, failed, busy, blocked, not-ready, disabled, …). */
export const runOutcome = (run: EntityRun): string => run.status;

/**
 * Runs one queued sync inside a span (`sync <entity>`) and records its metrics. A thrown
 * error is recorded on the span (its message only) and rethrown unchanged.
 */
export async function traceSyncRun(a: RunAttributes, run: () => Promise<EntityRun>): Promise<EntityRun> {
  return tracer().startActiveSpan(
    `sync ${a.entity}`,
    { attributes: spanAttributes(a) },
    async (span: Span) => {
      const started = performance.now();
      try {
        const result = await run();
        span.setAttribute('sync.outcome', runOutcome(result));
        if (result.status === 'failed' || result.status === 'not-ready') {
          span.setStatus({ code: SpanStatusCode.ERROR, message: result.error ?? result.status });
        }
        const ms = performance.now() - started;
        recordRun(a.entity, result, ms);
        logRun(span, a, runOutcome(result), ms, result);
        return result;
      } catch (error) {
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
        const ms = performance.now() - started;
        recordOutcome(a.entity, 'error', ms);
        logRun(span, a, 'error', ms);
        // The error leaves the queue function (sync-worker.ts): on the last delivery the
        // message is dead-lettered.
        if (a.deliveryCount !== undefined && a.deliveryCount >= MAX_DELIVERY_COUNT) {
          instrumentsNow().deadLetters.add(1, { 'sync.entity': a.entity });
          span.setAttribute('sync.dead_lettered', true);
        }
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

function recordOutcome(entity: string, outcome: string, durationMs: number): void {
  const i = instrumentsNow();
  i.runs.add(1, { 'sync.entity': entity, 'sync.outcome': outcome });
  i.duration.record(durationMs, { 'sync.entity': entity, 'sync.outcome': outcome });
}

function recordRun(entity: string, run: EntityRun, durationMs: number): void {
  recordOutcome(entity, runOutcome(run), durationMs);
  if (!('result' in run)) {
    return;
  }
  const i = instrumentsNow();
  for (const operation of ['created', 'updated', 'deleted'] as const) {
    if (run.result[operation] > 0) {
      i.written.add(run.result[operation], { 'sync.entity': entity, 'sync.operation': operation });
    }
  }
  if (run.result.conflicts > 0) {
    i.conflicts.add(run.result.conflicts, { 'sync.entity': entity });
  }
  if (run.result.errors > 0) {
    i.itemErrors.add(run.result.errors, { 'sync.entity': entity });
  }
}

/**
 * The client id in APPLICATIONINSIGHTS_AUTHENTICATION_STRING ("ClientId=<guid>;Authorization=AAD",
 * the form the Functions host reads too): ingestion with the user-assigned identity when
 * the Application Insights resource takes Entra ID only.
 */
export function authenticationClientId(value: string | undefined): string | undefined {
  if (!value) {
    return undefined;
  }
  const parts = Object.fromEntries(
    value.split(';').map((p) => {
      const at = p.indexOf('=');
      return [p.slice(0, at).trim().toLowerCase(), p.slice(at + 1).trim()];
    }),
  );
  return parts.authorization?.toUpperCase() === 'AAD' && parts.clientid ? parts.clientid : undefined;
}
