/**
 * Writes every generated file, or with `--check` fails when one on disk differs from what the
 * sources generate (CI's drift check). Each generator returns its files; this script owns I/O.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generators } from './generators.ts';

const check = process.argv.includes('--check');
const stale: string[] = [];

for (const generate of generators) {
  for (const [path, content] of Object.entries(await generate())) {
    const current = await readFile(path, 'utf8').catch(() => undefined);
    if (current === content) continue;
    if (check) stale.push(path);
    else {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
      console.log(`wrote ${path}`);
    }
  }
}

if (stale.length > 0) {
  console.error(`Generated files are stale (run \`make gen\`):\n  ${stale.join('\n  ')}`);
  process.exit(1);
}
