import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPackage } from '../../../dev/package';
import { buildFunctionTable } from '../../../functions/index';
import { apiDocument } from '../../../functions/openapi';
import type { HttpFunctionDefinition } from '../../../functions/http';
import { completeAppEnv } from '../../support/app-env';
import { writeFunctionsCoreStub, type FunctionsCoreSeen } from '../../support/functions-core-stub';

// `npm run package` builds the zip the Function App runs: two esbuild bundles (dev/package.ts).
// Unzipped alone (no repository node_modules above it) it must load in a fresh Node process
// under @azure/functions, register every function of the table with its trigger, as the
// Functions worker sees it, and run a handler: the app's bundle, its services and SDKs.
// The worker gives @azure/functions its core API as the module "@azure/functions-core";
// here a stand-in of that module records what is registered (test/support/functions-core-stub.ts).

let dir: string;
let zip: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'package-test-'));
  zip = join(dir, 'app.zip');
  buildPackage(zip);
}, 180_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function loadUnderWorker(appDir: string, env: Record<string, string> = {}): FunctionsCoreSeen {
  const stub = writeFunctionsCoreStub(dir);
  const seenFile = join(dir, 'seen.json');
  // By default no environment of the app: config is read on the first invocation, not at load.
  execFileSync(process.execPath, ['-r', stub, appDir], {
    env: { PATH: process.env.PATH, SEEN_FILE: seenFile, ...env },
    stdio: 'pipe',
  });
  return JSON.parse(readFileSync(seenFile, 'utf8')) as FunctionsCoreSeen;
}

it('holds host.json, a package.json whose main exists, and production dependencies only', () => {
  const app = join(dir, 'app');
  execFileSync('unzip', ['-q', zip, '-d', app]);
  const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as {
    main: string;
    dependencies: Record<string, string>;
    devDependencies?: unknown;
    scripts?: unknown;
  };
  expect(JSON.parse(readFileSync(join(app, 'host.json'), 'utf8'))).toMatchObject({ version: '2.0' });
  expect(existsSync(join(app, pkg.main))).toBe(true);
  expect(pkg.devDependencies).toBeUndefined();
  expect(pkg.scripts).toBeUndefined();
  for (const dependency of Object.keys(pkg.dependencies)) {
    expect(existsSync(join(app, 'node_modules', dependency, 'package.json'))).toBe(true);
  }
  for (const devOnly of [
    'typescript',
    'jest',
    'azurite',
    'ajv-draft-04',
    'fast-check',
    'dev',
    'test',
    'bench',
  ]) {
    expect(existsSync(join(app, 'node_modules', devOnly))).toBe(false);
    expect(existsSync(join(app, 'dist', devOnly))).toBe(false);
  }
  // Bundled: the code is two files (and the list of triggers), no source maps or tsc output.
  expect(readdirSync(join(app, 'dist', 'functions')).sort()).toEqual([
    'app.js',
    'function-table.json',
    'main.js',
  ]);
  expect(existsSync(join(app, 'dist', 'shared'))).toBe(false);
  for (const bundled of ['@azure/service-bus', '@azure/data-tables', 'zod', '@azure/functions']) {
    expect(existsSync(join(app, 'node_modules', bundled))).toBe(false);
  }
});

it('loads in a fresh process and registers every function of the table with its trigger', () => {
  const { model, registered } = loadUnderWorker(join(dir, 'app'));
  expect(model).toMatch(/^@azure\/functions@4\./);
  const table = buildFunctionTable(() => {
    throw new Error('no services: the table is only listed');
  });
  expect(registered.map((r) => r.name).sort()).toEqual(table.map((f) => f.name).sort());
  for (const fn of table) {
    const trigger = Object.values(registered.find((r) => r.name === fn.name)?.bindings ?? {}).find(
      (b) => b.direction === 'in',
    );
    if (fn.kind === 'http') {
      expect(trigger).toMatchObject({
        type: 'httpTrigger',
        route: fn.route,
        methods: [fn.method],
        authLevel: 'anonymous',
      });
    } else if (fn.kind === 'timer') {
      expect(trigger).toMatchObject({ type: 'timerTrigger', schedule: fn.schedule });
    } else {
      expect(trigger).toMatchObject({
        type: 'serviceBusTrigger',
        queueName: fn.queueName,
        connection: 'SERVICEBUS_CONNECTION',
        isSessionsEnabled: true,
      });
    }
  }
});

it('loads no package from node_modules to register the table; with Application Insights, the distro', () => {
  // The SDKs are bundled into app.js, required on the first invocation: none is loaded here.
  expect(loadUnderWorker(join(dir, 'app')).packages).toEqual([]);
  const configured = loadUnderWorker(join(dir, 'app'), {
    // An ingestion endpoint nothing listens on: the process only starts the distro and ends.
    APPLICATIONINSIGHTS_CONNECTION_STRING:
      'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/',
  });
  expect(configured.packages).toContain('@azure/monitor-opentelemetry');
  expect(configured.registered).toHaveLength(
    buildFunctionTable(() => {
      throw new Error('no services: the table is only listed');
    }).length,
  );
});

it('runs a handler inside the bundle: the OpenAPI document, built by the bundled app with its services', () => {
  // A complete configuration, as the Function App's settings give it (nothing is contacted:
  // the services connect on use, and this operation uses none).
  const env = { ...completeAppEnv(), INVOKE_HTTP: 'openApi' };
  const { invoked } = loadUnderWorker(join(dir, 'app'), env);
  expect(invoked?.error).toBeUndefined();
  expect(invoked?.status).toBe(200);
  const table = buildFunctionTable(() => {
    throw new Error('no services: the table is only listed');
  });
  const http = table.filter((f): f is HttpFunctionDefinition => f.kind === 'http');
  expect(JSON.parse(invoked?.body ?? 'null')).toEqual(JSON.parse(JSON.stringify(apiDocument(http))));
});

it('answers with problem+json from inside the bundle when the configuration is incomplete', () => {
  // Config is read on the first invocation: the function is listed, and says what is missing.
  const { invoked } = loadUnderWorker(join(dir, 'app'), { INVOKE_HTTP: 'health' });
  expect(invoked?.status).toBe(500);
  expect(invoked?.headers?.['Content-Type']).toMatch(/problem\+json/);
});
