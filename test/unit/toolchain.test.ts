import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/**
 * ESLint's findings (`line: rule`) for each case's code linted as if it were the existing
 * file `as`, with the project's own config and type information (the file must be one the
 * TypeScript project knows; its content is replaced by `code` for this lint only). One
 * ESLint process for every case: loading the typed program is most of the cost.
 */
function lintAs(cases: { as: string; code: string }[]): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const c of cases) {
        const [report] = await eslint.lintText(c.code, { filePath: c.as });
        out.push(report.messages.map((m) => m.line + ': ' + (m.ruleId ?? 'parse')).sort());
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((e) => { console.error(e); process.exit(2); });
  `;
  const out = execFileSync(process.execPath, ['-e', script], {
    cwd: ROOT,
    input: JSON.stringify(cases),
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[][];
}

const ADAPTER_IMPORTS = `import { OroClient } from '../oro/client';
import { TodoTasksSide } from '../microsoft/todo-side';
export const probe = (): number => [OroClient, TodoTasksSide].length;
`;

describe('toolchain', () => {
  it('runs on Node 22 (the node@22 devDependency), whatever node the machine has', () => {
    expect(Number(process.versions.node.split('.')[0])).toBe(22);
  });

  it('ESLint: the engine imports no adapter, shared/app may; every block has braces; types are checked', () => {
    const braceless = `export function pick(a: boolean, b: boolean, out: string[]): void {
  if (a)
    if (b) out.push('ab');
    else out.push('a, not b');
  void Promise.resolve(1);
  Promise.resolve(2);
}
`;
    expect(
      lintAs([
        { as: 'shared/sync/cursors.ts', code: ADAPTER_IMPORTS },
        { as: 'shared/app/sides.ts', code: ADAPTER_IMPORTS },
        // A brace-less else bound to the wrong if once (To Do creates never confirmed).
        { as: 'shared/sync/cursors.ts', code: braceless },
      ]),
    ).toEqual([
      ['1: no-restricted-imports', '2: no-restricted-imports'],
      [],
      ['3: curly', '3: curly', '4: curly', '6: @typescript-eslint/no-floating-promises'],
    ]);
  }, 120_000);
});
