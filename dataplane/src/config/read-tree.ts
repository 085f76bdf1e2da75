import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Files of a config directory, relative path → content, with one checksum over all of them. */
export interface ConfigFiles {
  files: ReadonlyMap<string, string>;
  checksum: string;
}

/**
 * Reads every file under the directories, later directories overriding earlier ones path by
 * path. Entries whose name starts with `..` are kubelet's internals (`..data`, `..2026_…`):
 * the visible files are symlinks through `..data`, so reading them follows the current swap.
 */
export async function readConfigTree(dirs: readonly string[]): Promise<ConfigFiles> {
  const files = new Map<string, string>();
  for (const dir of dirs) await walk(dir, '', files);
  const hash = createHash('sha256');
  for (const [path, content] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    hash.update(`${path}\0${content}\0`);
  }
  return { files, checksum: `sha256:${hash.digest('hex')}` };
}

async function walk(root: string, prefix: string, files: Map<string, string>): Promise<void> {
  const entries = await readdir(join(root, prefix)).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && prefix === '') return [];
    throw error;
  });
  for (const name of entries.sort()) {
    if (name.startsWith('.')) continue;
    const path = prefix === '' ? name : `${prefix}/${name}`;
    const info = await stat(join(root, path));
    if (info.isDirectory()) await walk(root, path, files);
    else if (info.isFile()) files.set(path, await readFile(join(root, path), 'utf8'));
  }
}
