import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * `npm run package`: the zip a Function App runs (Flex Consumption deploys it as it is, no
 * remote build): host.json, a package.json whose `main` is the compiled functions/main.js,
 * the compiled functions/ and shared/ (no dev/, test/ or bench/), and the production
 * dependencies copied from this checkout's node_modules (offline, the versions the tests ran).
 */
const ROOT = resolve(__dirname, '..');

interface PackageJson {
  name: string;
  version: string;
  description?: string;
  main: string;
  engines?: Record<string, string>;
  dependencies: Record<string, string>;
}

export function buildPackage(zipPath: string, options: { log?: (line: string) => void } = {}): void {
  const log = options.log ?? (() => undefined);
  const stage = mkdtempSync(join(tmpdir(), 'package-'));
  try {
    log('compiling functions/ and shared/');
    const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
    // rootDir stays the repository's, so the output keeps dist/functions/main.js (package.json main).
    execFileSync(
      process.execPath,
      [tsc, '-p', join(ROOT, 'tsconfig.package.json'), '--outDir', join(stage, 'dist')],
      { stdio: 'inherit' },
    );

    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
    const runtime: PackageJson = {
      name: pkg.name,
      version: pkg.version,
      ...(pkg.description ? { description: pkg.description } : {}),
      main: pkg.main,
      ...(pkg.engines ? { engines: pkg.engines } : {}),
      dependencies: pkg.dependencies,
    };
    writeFileSync(join(stage, 'package.json'), `${JSON.stringify(runtime, null, 2)}\n`);
    cpSync(join(ROOT, 'host.json'), join(stage, 'host.json'));

    log('copying production dependencies');
    for (const dir of productionDependencyDirs()) {
      // Each package without its nested node_modules: the nested ones npm lists too, if production.
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

/** Every installed directory of a production dependency, transitive ones included. */
function productionDependencyDirs(): string[] {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.includes(`${sep}node_modules${sep}`));
}

if (require.main === module) {
  const zip = resolve(process.argv[2] ?? join(ROOT, 'dist', 'function-app.zip'));
  buildPackage(zip, { log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`${zip}\n`);
}
