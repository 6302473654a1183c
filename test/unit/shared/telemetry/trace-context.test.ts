import { context, trace, TraceFlags } from '@opentelemetry/api';
import {
  activeTraceparent,
  contextFromProperties,
  parseTraceparent,
  traceProperties,
} from '../../../../shared/telemetry/trace-context';
import { inMemoryTelemetry } from '../../../support/telemetry';

inMemoryTelemetry();

// The W3C example (w3.org/TR/trace-context, "traceparent Header").
const VALID = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('parseTraceparent: a message property is input from outside', () => {
  it('takes version 00 in its exact form', () => {
    expect(parseTraceparent(VALID)).toEqual({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    // Flags other than "sampled" mean nothing in version 00.
    expect(parseTraceparent(VALID.replace(/-01$/, '-ff'))?.traceFlags).toBe(TraceFlags.SAMPLED);
    expect(parseTraceparent(VALID.replace(/-01$/, '-00'))?.traceFlags).toBe(TraceFlags.NONE);
  });

  it.each([
    ['uppercase hex', VALID.toUpperCase()],
    ['another version', VALID.replace(/^00/, '01')],
    ['the forbidden version ff', VALID.replace(/^00/, 'ff')],
    ['an all-zero trace id', '00-00000000000000000000000000000000-b7ad6b7169203331-01'],
    ['an all-zero span id', '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01'],
    ['a trailing field', `${VALID}-00`],
    ['surrounding space', ` ${VALID}`],
    ['a short trace id', '00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01'],
    ['non-hex characters', '00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01'],
    ['a header line injected', `${VALID}\r\nx: y`],
    ['a very long string', 'a'.repeat(100_000)],
    ['a number', 42],
    ['an object', { traceparent: VALID }],
    ['nothing', undefined],
  ])('ignores %s', (_what, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });
});

describe('the traceparent through a message', () => {
  it('is written from the active span and read back as its parent, from an object or its JSON text', () => {
    expect(traceProperties()).toEqual({});
    const span = trace.getTracer('test').startSpan('producer');
    const sent = context.with(trace.setSpan(context.active(), span), () => traceProperties());
    span.end();
    expect(sent.traceparent).toBe(
      `00-${span.spanContext().traceId}-${span.spanContext().spanId}-${span.spanContext().traceFlags === 1 ? '01' : '00'}`,
    );
    for (const properties of [sent, JSON.stringify(sent)]) {
      const parent = trace.getSpanContext(contextFromProperties(properties));
      expect(parent).toMatchObject({
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
      });
    }
  });

  it('starts a trace of its own when the property is missing, malformed or not an object', () => {
    for (const properties of [
      undefined,
      null,
      'not json',
      '[]',
      { traceparent: 'nonsense' },
      { other: VALID },
      Object.create({ traceparent: VALID }) as unknown,
    ]) {
      expect(activeTraceparent(contextFromProperties(properties))).toBeUndefined();
    }
  });
});
