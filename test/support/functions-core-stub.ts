import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the stand-in of "@azure/functions-core" saw: the programming model, each registration, an invocation. */
export interface FunctionsCoreSeen {
  model: string | undefined;
  registered: Array<{ name: string; bindings: Record<string, Record<string, unknown>> }>;
  /** Packages Node loaded from a node_modules folder by the time the process exits (bundled code is not). */
  packages: string[];
  /** With $INVOKE_HTTP=<function name>: what its handler answered to a GET without headers. */
  invoked?: { status?: number; headers?: Record<string, string>; body?: string; error?: string };
}

/**
 * Writes a preload script (`node -r <it> <app>`) standing in for "@azure/functions-core",
 * the module the Azure Functions Node worker gives @azure/functions: it records the
 * programming model, every function registered and the packages loaded from node_modules,
 * and writes them to $SEEN_FILE (if set) when the process exits. With $INVOKE_HTTP set to an HTTP function's name, once the app
 * has loaded it calls the handler @azure/functions registered for it, as the worker would,
 * with a GET request (no headers, no body) and records the answer. The app under it is
 * unmodified.
 */
export function writeFunctionsCoreStub(dir: string): string {
  const stub = join(dir, 'functions-core-stub.js');
  writeFileSync(
    stub,
    `const Module = require('module');
const seen = { model: undefined, registered: [], packages: [] };
const handlers = new Map();
const core = {
  version: '3.10.0',
  setProgrammingModel(model) { seen.model = model.name + '@' + model.version; },
  registerFunction(metadata, handler) {
    seen.registered.push(metadata);
    handlers.set(metadata.name, handler);
    return { dispose() {} };
  },
  registerHook() { return { dispose() {} }; },
  log() {},
  Disposable: class { dispose() {} },
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === '@azure/functions-core' ? core : load.call(this, request, ...rest);
};
const name = process.env.INVOKE_HTTP;
if (name) {
  // After the main module has loaded and registered its functions.
  setImmediate(async () => {
    const handler = handlers.get(name);
    if (!handler) {
      seen.invoked = { error: 'not registered: ' + name };
      return;
    }
    const request = {
      method: 'GET',
      url: 'http://localhost/api/' + name,
      headers: new Headers(),
      query: new URLSearchParams(),
      params: {},
      text: async () => '',
      json: async () => undefined,
      arrayBuffer: async () => new ArrayBuffer(0),
    };
    const quiet = () => undefined;
    const context = {
      invocationId: 'stub-invocation',
      functionName: name,
      log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet,
    };
    try {
      const answer = await handler(request, context);
      seen.invoked = { status: answer.status, headers: answer.headers, body: answer.body };
    } catch (error) {
      seen.invoked = { error: String(error && error.stack || error) };
    }
  });
}
if (process.env.SEEN_FILE) {
  process.on('exit', () => {
    const names = Object.keys(require.cache)
      .map((file) => /[/]node_modules[/]((@[^/]+[/])?[^/]+)/.exec(file))
      .filter(Boolean)
      .map((match) => match[1]);
    seen.packages = [...new Set(names)].sort();
    require('fs').writeFileSync(process.env.SEEN_FILE, JSON.stringify(seen));
  });
}
`,
  );
  return stub;
}
