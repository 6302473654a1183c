import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { startLocalTelemetry } from '../../../dev/telemetry';
import { recordFanOut } from '../../../shared/telemetry/telemetry';

describe('npm start telemetry (TELEMETRY=console | file:<path>)', () => {
  it('refuses any other value, naming the accepted forms', () => {
    expect(() => startLocalTelemetry('otlp')).toThrow(
      'TELEMETRY must be "console" or "file:<path>", not "otlp"',
    );
    expect(startLocalTelemetry(undefined)).toBeUndefined();
  });

  it('writes spans, with their parent across an await, and metrics as JSON lines to the file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'telemetry-')), 'out.jsonl');
    const local = startLocalTelemetry(`file:${file}`)!;
    expect(local.target).toBe(`file ${file}`);
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('parent', async (parent) => {
      await new Promise((r) => setTimeout(r, 5));
      tracer.startSpan('child').end();
      parent.end();
    });
    recordFanOut({ shard: 3, read: 10, enqueued: 9 });
    await local.shutdown();
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) => JSON.parse(l) as { type: string; name: string; spanId?: string; parentSpanId?: string | null },
      );
    const parent = lines.find((l) => l.name === 'parent')!;
    expect(lines.find((l) => l.name === 'child')).toMatchObject({
      type: 'span',
      parentSpanId: parent.spanId,
    });
    expect(lines.some((l) => l.type === 'metric' && l.name === 'sync.fanout.enqueued')).toBe(true);
  });
});
