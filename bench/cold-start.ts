import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPackage } from '../dev/package';
import { completeAppEnv } from '../test/support/app-env';
import { writeFunctionsCoreStub, type FunctionsCoreSeen } from '../test/support/functions-core-stub';
import { writeSection } from './sections';

/**
 * Cold start: a fresh Node process that loads the Function App package (`npm run package`,
 * unzipped alone, as the worker would) and registers its function table under
 * @azure/functions, against a bare `node -e ""`, each run RUNS times, alternating. The
 * package as it ships (esbuild bundles, the app required on first use) beside the baseline
 * of tsc's output with node_modules, and the bundle again up to its first answer (the OpenAPI
 * document: the app's bundle, config and services loaded). Sizes: BENCH_COLD_RUNS (15).
 */
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 15);

const APP_ENV = completeAppEnv();

export function runColdStartBench(): void {
  const dir = mkdtempSync(join(tmpdir(), 'cold-start-'));
  try {
    const unpack = (name: string, bundle: boolean): string => {
      buildPackage(join(dir, `${name}.zip`), { bundle });
      const app = join(dir, name);
      execFileSync('unzip', ['-q', join(dir, `${name}.zip`), '-d', app]);
      return app;
    };
    const baseline = unpack('unbundled', false);
    const bundled = unpack('bundled', true);
    const stub = writeFunctionsCoreStub(dir);
    const seenFile = join(dir, 'seen.json');
    const time = (args: string[], extra: Record<string, string> = {}): number => {
      const env = { PATH: process.env.PATH ?? '', SEEN_FILE: seenFile, ...extra };
      const started = performance.now();
      const run = spawnSync(process.execPath, args, { env, stdio: 'ignore' });
      if (run.status !== 0) {
        throw new Error(`node ${args.join(' ')} exited with ${run.status}`);
      }
      return performance.now() - started;
    };
    const seen = (): FunctionsCoreSeen => JSON.parse(readFileSync(seenFile, 'utf8')) as FunctionsCoreSeen;
    const firstRequest = { ...APP_ENV, INVOKE_HTTP: 'openApi' };

    // A first run of each to warm the file cache, not counted; and a check of each.
    time(['-r', stub, baseline]);
    const registeredBaseline = seen().registered.length;
    time(['-r', stub, bundled]);
    const registered = seen().registered.length;
    time(['-r', stub, bundled], firstRequest);
    if (seen().invoked?.status !== 200 || registered !== registeredBaseline) {
      throw new Error(`the bundled package did not serve as the baseline: ${JSON.stringify(seen().invoked)}`);
    }

    const bare: number[] = [];
    const unbundledRuns: number[] = [];
    const bundledRuns: number[] = [];
    const firstRuns: number[] = [];
    const firstBaselineRuns: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      bare.push(time(['-e', '']));
      unbundledRuns.push(time(['-r', stub, baseline]));
      bundledRuns.push(time(['-r', stub, bundled]));
      firstRuns.push(time(['-r', stub, bundled], firstRequest));
      firstBaselineRuns.push(time(['-r', stub, baseline], firstRequest));
    }
    const ms = (values: number[], q: number) => Math.round(quantile(values, q));
    const row = (label: string, values: number[]) => [
      label,
      ms(values, 0.5),
      ms(values, 0.9),
      values === bare ? '' : `+${ms(values, 0.5) - ms(bare, 0.5)}`,
    ];
    const rows = [
      row('bare `node -e ""`', bare),
      row(
        `baseline, unbundled (tsc + node_modules): load and register ${registeredBaseline} functions`,
        unbundledRuns,
      ),
      row(`package (esbuild bundles): load and register ${registered} functions`, bundledRuns),
      row('baseline: load, register and answer a first request (OpenAPI, services built)', firstBaselineRuns),
      row('package: load, register and answer a first request (OpenAPI, services built)', firstRuns),
    ];
    writeSection(
      'coldstart',
      `## Cold start

Measured by \`npm run bench\` (\`BENCH=coldstart\` runs only this) on ${new Date().toISOString().slice(0, 10)}
(Node ${process.versions.node}, ${process.platform}/${process.arch}): wall time of a fresh
process, ${RUNS} runs each, alternating. Each loads an unzipped package under @azure/functions
(with a stand-in of the worker's \`@azure/functions-core\`) and registers the function table:
the "baseline" is tsc's output with its node_modules (the package before bundling), the
"package" is what \`npm run package\` builds (docs/deploy.md, "Cold start"): main.js registers
the triggers and app.js, the rest, is required on the first invocation, which the last two
rows include. Application Insights is not configured, so the telemetry distro is not loaded (it
is only when \`APPLICATIONINSIGHTS_CONNECTION_STRING\` is set). The machine is shared: compare
rows of one run, not figures across runs.

| process | median ms | p90 ms | median above bare |
| --- | --- | --- | --- |
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
