import { appendFileSync } from 'node:fs';
import { AsyncLocalStorage } from 'node:async_hooks';
import { context, metrics, ROOT_CONTEXT, trace, type Context, type ContextManager } from '@opentelemetry/api';
import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';

/**
 * The active context across awaits, as the SDK's AsyncLocalStorageContextManager keeps it
 * on Azure (registered by Azure Monitor's distro): what makes a request's span the parent
 * of the spans its awaited calls start. Ours, so the dev host and tests need no package
 * beyond the SDKs in package.json.
 */
export class AsyncLocalContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') {
      return target;
    }
    const run = (...args: unknown[]): unknown =>
      this.with(ctx, () => (target as (...a: unknown[]) => unknown)(...args));
    return run as T;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

type SpanResult = Parameters<SpanExporter['export']>[1];
type MetricResult = Parameters<PushMetricExporter['export']>[1];
/** ExportResultCode.SUCCESS of @opentelemetry/core (not a dependency of ours). */
const SUCCESS = 0;

/** One JSON line per finished span: names, ids, timing and attributes (ids only, by design). */
class LineSpanExporter implements SpanExporter {
  constructor(private readonly write: (line: string) => void) {}
  export(spans: ReadableSpan[], done: SpanResult): void {
    for (const s of spans) {
      this.write(
        JSON.stringify({
          type: 'span',
          name: s.name,
          traceId: s.spanContext().traceId,
          spanId: s.spanContext().spanId,
          parentSpanId: s.parentSpanContext?.spanId ?? null,
          durationMs: s.duration[0] * 1000 + s.duration[1] / 1e6,
          status: s.status.code,
          attributes: s.attributes,
          events: s.events.map((e) => ({ name: e.name, attributes: e.attributes ?? {} })),
        }),
      );
    }
    done({ code: SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** One JSON line per metric data point, at each export (every minute, and at stop). */
class LineMetricExporter implements PushMetricExporter {
  constructor(private readonly write: (line: string) => void) {}
  export(resource: ResourceMetrics, done: MetricResult): void {
    for (const m of resource.scopeMetrics.flatMap((s) => s.metrics)) {
      for (const p of m.dataPoints) {
        this.write(
          JSON.stringify({
            type: 'metric',
            name: m.descriptor.name,
            attributes: p.attributes,
            value: p.value,
          }),
        );
      }
    }
    done({ code: SUCCESS });
  }
  selectAggregationTemporality(): AggregationTemporality {
    return AggregationTemporality.CUMULATIVE;
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface LocalTelemetry {
  /** Where the lines go, in words for the start banner. */
  target: string;
  /** Exports what is pending (metrics included) and stops. */
  shutdown(): Promise<void>;
}

/**
 * `npm start`'s telemetry, the same spans and metrics Azure Monitor receives when deployed:
 * `TELEMETRY=console` prints them as JSON lines, `TELEMETRY=file:<path>` appends them to a
 * file; unset, nothing is registered (the API's no-op, as in tests). Anything else is
 * refused with the accepted forms.
 */
export function startLocalTelemetry(
  setting: string | undefined,
  print: (line: string) => void = (line) => console.log(line),
): LocalTelemetry | undefined {
  if (setting === undefined || setting === '') {
    return undefined;
  }
  const file = /^file:(.+)$/.exec(setting)?.[1];
  if (setting !== 'console' && !file) {
    throw new Error(`TELEMETRY must be "console" or "file:<path>", not "${setting}"`);
  }
  const write = file ? (line: string) => appendFileSync(file, `${line}\n`) : print;
  context.setGlobalContextManager(new AsyncLocalContextManager());
  const tracer = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new LineSpanExporter(write))],
  });
  trace.setGlobalTracerProvider(tracer);
  const meter = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new LineMetricExporter(write),
        exportIntervalMillis: 60_000,
      }),
    ],
  });
  metrics.setGlobalMeterProvider(meter);
  return {
    target: file ? `file ${file}` : 'console',
    shutdown: async () => {
      await meter.shutdown();
      await tracer.shutdown();
    },
  };
}
