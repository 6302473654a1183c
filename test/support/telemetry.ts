import { context, metrics, trace } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type DataPoint } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { AsyncLocalContextManager } from '../../dev/telemetry';
import { resetTelemetryInstruments } from '../../shared/telemetry/telemetry';

/** Collects on demand: what a test asserts is what an exporter would have sent. */
class TestReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

export interface TestTelemetry {
  spans(): ReadableSpan[];
  /** Data points of one metric, with their attributes. */
  points(name: string): Promise<Array<DataPoint<unknown>>>;
}

/** Registers in-memory OpenTelemetry SDKs for this test file's process, as Azure Monitor's would be. */
export function inMemoryTelemetry(): TestTelemetry {
  context.setGlobalContextManager(new AsyncLocalContextManager());
  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  const reader = new TestReader();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  resetTelemetryInstruments();
  return {
    spans: () => exporter.getFinishedSpans(),
    points: async (name) => {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics
        .flatMap((s) => s.metrics)
        .filter((m) => m.descriptor.name === name)
        .flatMap((m) => m.dataPoints as Array<DataPoint<unknown>>);
    },
  };
}
