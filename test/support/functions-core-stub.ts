import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the stand-in of "@azure/functions-core" saw: the programming model and each registration. */
export interface FunctionsCoreSeen {
  model: string | undefined;
  registered: Array<{ name: string; bindings: Record<string, Record<string, unknown>> }>;
}

/**
 * Writes a preload script (`node -r <it> <app>`) standing in for "@azure/functions-core",
 * the module the Azure Functions Node worker gives @azure/functions: it records the
 * programming model and every function registered, and writes them to $SEEN_FILE (if set)
 * when the process exits. The app under it is unmodified.
 */
export function writeFunctionsCoreStub(dir: string): string {
  const stub = join(dir, 'functions-core-stub.js');
  writeFileSync(
    stub,
    `const Module = require('module');
const seen = { model: undefined, registered: [] };
const core = {
  version: '3.10.0',
  setProgrammingModel(model) { seen.model = model.name + '@' + model.version; },
  registerFunction(metadata) { seen.registered.push(metadata); return { dispose() {} }; },
  registerHook() { return { dispose() {} }; },
  log() {},
  Disposable: class { dispose() {} },
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === '@azure/functions-core' ? core : load.call(this, request, ...rest);
};
if (process.env.SEEN_FILE) {
  process.on('exit', () => require('fs').writeFileSync(process.env.SEEN_FILE, JSON.stringify(seen)));
}
`,
  );
  return stub;
}
