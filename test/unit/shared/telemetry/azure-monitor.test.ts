import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { INSTRUMENTATION_OPTIONS } from '../../../../shared/telemetry/azure-monitor';

// In a fresh process (Jest's module registry has no require.cache to look at): the distro
// is loaded and registered only when Application Insights is configured.
const ROOT = join(__dirname, '../../../..');
const tsx = join(ROOT, 'node_modules/.bin/tsx');

function start(env: Record<string, string>): { started: boolean; loaded: number } {
  const script =
    "const { startAzureMonitor } = require('./shared/telemetry/azure-monitor');" +
    `const started = startAzureMonitor(${JSON.stringify(env)});` +
    "const loaded = Object.keys(require.cache).filter((p) => p.includes('monitor-opentelemetry')).length;" +
    'process.stdout.write(JSON.stringify({ started, loaded })); process.exit(0);';
  return JSON.parse(execFileSync(tsx, ['-e', script], { cwd: ROOT, encoding: 'utf8' })) as {
    started: boolean;
    loaded: number;
  };
}

it('without APPLICATIONINSIGHTS_CONNECTION_STRING registers nothing and does not even load the distro', () => {
  expect(start({})).toEqual({ started: false, loaded: 0 });
});

it('with it (and the identity of APPLICATIONINSIGHTS_AUTHENTICATION_STRING) loads and registers the distro', () => {
  const result = start({
    // An endpoint nothing listens on: the process ends before anything is exported.
    APPLICATIONINSIGHTS_CONNECTION_STRING:
      'InstrumentationKey=00000000-0000-4000-8000-000000000000;IngestionEndpoint=https://127.0.0.1:9/',
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING:
      'ClientId=c1c1c1c1-0000-4000-8000-000000000001;Authorization=AAD',
  });
  expect(result.started).toBe(true);
  expect(result.loaded).toBeGreaterThan(0);
});

it("leaves the distro's http instrumentation off: it records URLs with their query", () => {
  expect(INSTRUMENTATION_OPTIONS.http.enabled).toBe(false);
});
