import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPackage } from '../dev/package';
import { writeFunctionsCoreStub, type FunctionsCoreSeen } from '../test/support/functions-core-stub';
import { writeSection } from './sections';

/**
 * Cold start: a fresh Node process that loads the Function App package (`npm run package`,
 * unzipped alone, as the worker would) and registers its function table under
 * @azure/functions, against a bare `node -e ""`, each run RUNS times, alternating.
 * The difference is what the app adds to every cold start. Sizes: BENCH_COLD_RUNS (15).
 */
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 15);

export function runColdStartBench(): void {
  const dir = mkdtempSync(join(tmpdir(), 'cold-start-'));
  try {
    buildPackage(join(dir, 'app.zip'));
    const app = join(dir, 'app');
    execFileSync('unzip', ['-q', join(dir, 'app.zip'), '-d', app]);
    const stub = writeFunctionsCoreStub(dir);
    const seenFile = join(dir, 'seen.json');
    const env = { PATH: process.env.PATH ?? '', SEEN_FILE: seenFile };
    const time = (args: string[]): number => {
      const started = performance.now();
      const run = spawnSync(process.execPath, args, { env, stdio: 'ignore' });
      if (run.status !== 0) {
        throw new Error(`node ${args.join(' ')} exited with ${run.status}`);
      }
      return performance.now() - started;
    };
    const bare: number[] = [];
    const loaded: number[] = [];
    time(['-r', stub, app]); // a first run to warm the file cache, not counted
    for (let i = 0; i < RUNS; i++) {
      bare.push(time(['-e', '']));
      loaded.push(time(['-r', stub, app]));
    }
    const seen = JSON.parse(readFileSync(seenFile, 'utf8')) as FunctionsCoreSeen;
    const ms = (values: number[], q: number) => Math.round(quantile(values, q));
    const rows = [
      ['bare `node -e ""`', ms(bare, 0.5), ms(bare, 0.9)],
      [`package: load and register ${seen.registered.length} functions`, ms(loaded, 0.5), ms(loaded, 0.9)],
      ['added by the app (median)', ms(loaded, 0.5) - ms(bare, 0.5), ms(loaded, 0.9) - ms(bare, 0.9)],
    ];
    writeSection(
      'coldstart',
      `## Cold start

Measured by \`npm run bench\` (\`BENCH=coldstart\` runs only this) on ${new Date().toISOString().slice(0, 10)}
(Node ${process.versions.node}, ${process.platform}/${process.arch}): wall time of a fresh
process, ${RUNS} runs each, alternating. "package" loads the unzipped \`npm run package\`
zip under @azure/functions (with a stand-in of the worker's \`@azure/functions-core\`) and
registers the function table; Application Insights is not configured, so the telemetry
distro is not loaded (it is only when \`APPLICATIONINSIGHTS_CONNECTION_STRING\` is set).

| process | median ms | p90 ms |
| --- | --- | --- |
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}
`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}
