import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { buildSync } from 'esbuild';
import { buildFunctionTable } from '../functions/index';
import { triggerOf } from '../functions/register';

/**
 * `npm run package`: the zip a Function App runs (Flex Consumption deploys it as it is, no
 * remote build): host.json, a package.json whose `main` is dist/functions/main.js, and the code.
 *
 * Bundled (the default): two esbuild bundles of functions/ and shared/ with their
 * dependencies. main.js (functions/package-main.ts) holds only @azure/functions and
 * registers the triggers listed in function-table.json, written here from the one table;
 * app.js (functions/app.ts) holds the handlers and everything they use, and is required on
 * the first invocation. So a cold start does not parse or run the SDKs (docs/deploy.md).
 * The Azure Monitor distro and @azure/identity stay unbundled in node_modules: the distro's
 * instrumentations hook modules as Node loads them, and both bundles share one identity.
 *
 * Unbundled (`{ bundle: false }`, the cold-start bench's baseline): tsc's output of
 * functions/ and shared/ with every production dependency copied from node_modules.
 */
const ROOT = resolve(__dirname, '..');

/** Left out of the bundles and shipped in node_modules with their own dependencies. */
const UNBUNDLED = ['@azure/monitor-opentelemetry', '@azure/identity'];

interface PackageJson {
  name: string;
  version: string;
  description?: string;
  main: string;
  engines?: Record<string, string>;
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export interface PackageOptions {
  log?: (line: string) => void;
  /** Bundle with esbuild (default) or ship tsc's output with node_modules (the baseline). */
  bundle?: boolean;
}

export function buildPackage(zipPath: string, options: PackageOptions = {}): void {
  const log = options.log ?? (() => undefined);
  const bundle = options.bundle ?? true;
  const stage = mkdtempSync(join(tmpdir(), 'package-'));
  try {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
    let dependencyDirs: string[];
    let dependencies: Record<string, string>;
    if (bundle) {
      log('bundling functions/ and shared/');
      bundleApp(join(stage, 'dist', 'functions'));
      dependencies = Object.fromEntries(UNBUNDLED.map((name) => [name, pkg.dependencies[name] ?? '*']));
      dependencyDirs = dependencyClosure(UNBUNDLED);
    } else {
      log('compiling functions/ and shared/');
      const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
      // rootDir stays the repository's, so the output keeps dist/functions/main.js (package.json main).
      execFileSync(
        process.execPath,
        [tsc, '-p', join(ROOT, 'tsconfig.package.json'), '--outDir', join(stage, 'dist')],
        { stdio: 'inherit' },
      );
      dependencies = pkg.dependencies;
      dependencyDirs = productionDependencyDirs();
    }

    const runtime: PackageJson = {
      name: pkg.name,
      version: pkg.version,
      ...(pkg.description ? { description: pkg.description } : {}),
      main: pkg.main,
      ...(pkg.engines ? { engines: pkg.engines } : {}),
      dependencies,
    };
    writeFileSync(join(stage, 'package.json'), `${JSON.stringify(runtime, null, 2)}\n`);
    cpSync(join(ROOT, 'host.json'), join(stage, 'host.json'));

    log('copying production dependencies');
    for (const dir of dependencyDirs) {
      // Each package without its nested node_modules: the nested ones are listed too, if needed.
      const inner = dir.slice(dir.indexOf(`${sep}node_modules${sep}`) + 1);
      cpSync(dir, join(stage, inner), {
        recursive: true,
        filter: (source) => !relative(dir, source).split(sep).includes('node_modules'),
      });
    }

    log(`writing ${zipPath}`);
    mkdirSync(dirname(zipPath), { recursive: true });
    rmSync(zipPath, { force: true });
    execFileSync('zip', ['-q', '-r', '-X', zipPath, '.'], { cwd: stage, stdio: 'inherit' });
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

function bundleApp(outDir: string): void {
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    // Class and function names stay: error classes and logs name them.
    keepNames: true,
    logLevel: 'warning',
    absWorkingDir: ROOT,
  } as const;
  // The worker provides @azure/functions-core to @azure/functions.
  buildSync({
    ...common,
    entryPoints: [join(ROOT, 'functions', 'package-main.ts')],
    outfile: join(outDir, 'main.js'),
    external: ['@azure/functions-core', './app', ...UNBUNDLED],
  });
  buildSync({
    ...common,
    entryPoints: [join(ROOT, 'functions', 'app.ts')],
    outfile: join(outDir, 'app.js'),
    external: UNBUNDLED,
  });
  const table = buildFunctionTable(() => {
    throw new Error('no services: the table is only listed');
  });
  writeFileSync(join(outDir, 'function-table.json'), `${JSON.stringify(table.map(triggerOf), null, 2)}\n`);
}

/** The checkout whose node_modules is installed (a worktree's node_modules may link to another's). */
function installRoot(): string {
  return dirname(realpathSync(join(ROOT, 'node_modules')));
}

/** Every installed directory of a production dependency, transitive ones included. */
function productionDependencyDirs(): string[] {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: installRoot(),
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.includes(`${sep}node_modules${sep}`));
}

/** The installed directories of these packages and of what they depend on, as Node resolves them. */
function dependencyClosure(names: string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string, from: string, optional: boolean) => {
    let dir = from;
    for (;;) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) {
        if (!seen.has(candidate)) {
          seen.add(candidate);
          const pkg = JSON.parse(readFileSync(join(candidate, 'package.json'), 'utf8')) as PackageJson;
          for (const dep of Object.keys(pkg.dependencies ?? {})) {
            visit(dep, candidate, false);
          }
          for (const dep of Object.keys(pkg.optionalDependencies ?? {})) {
            visit(dep, candidate, true);
          }
        }
        return;
      }
      const parent = dirname(dir);
      if (parent === dir) {
        if (optional) {
          return;
        }
        throw new Error(`${name}, needed from ${from}, is not installed`);
      }
      dir = parent;
    }
  };
  for (const name of names) {
    visit(name, installRoot(), false);
  }
  return [...seen];
}

if (require.main === module) {
  const zip = resolve(process.argv[2] ?? join(ROOT, 'dist', 'function-app.zip'));
  buildPackage(zip, { log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`${zip}\n`);
}
