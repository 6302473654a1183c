import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const DOCS = [
  'README.md',
  'BENCHMARKS.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('README and docs stand on their own', () => {
  it.each(DOCS)('%s points only inside the repository, and each of its relative links resolves', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    expect(text).not.toMatch(/\.\.\/shared\b|\/work\/shared/);
    const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '');
    for (const link of links.filter((l) => !/^[a-z]+:|^#/.test(l))) {
      const target = resolve(dirname(join(ROOT, file)), link.split('#')[0] ?? '');
      expect({ link, inside: target.startsWith(ROOT), exists: existsSync(target) }).toEqual({
        link,
        inside: true,
        exists: true,
      });
    }
  });
});
