import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = join(__dirname, '..', 'BENCHMARKS.md');
const HEADER = `# Benchmarks

Written by \`npm run bench\`, one section per part; \`BENCH=tasks\`, \`BENCH=calendar\` or
\`BENCH=fanout\` runs one part and rewrites its section only.
`;

/** Replaces (or appends) one section of BENCHMARKS.md between its markers, keeping the rest. */
export function writeSection(
  name: 'tasks' | 'calendar' | 'calendar-window' | 'fanout' | 'coldstart' | 'backpressure' | 'bounded',
  markdown: string,
): void {
  const section = `<!-- ${name} -->\n${markdown.trim()}\n<!-- /${name} -->\n`;
  const marked = new RegExp(`<!-- ${name} -->[\\s\\S]*<!-- /${name} -->\\n?`);
  const current = existsSync(FILE) ? readFileSync(FILE, 'utf8') : HEADER;
  const withHeader = current.startsWith(HEADER) ? current : HEADER;
  writeFileSync(
    FILE,
    marked.test(withHeader) ? withHeader.replace(marked, section) : `${withHeader.trimEnd()}\n\n${section}`,
  );
}
