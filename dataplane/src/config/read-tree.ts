import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
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
  let files = new Map<string, string>();
  // A swap that removed the version this walk was reading tears it: read again, whole, so a
  // file of the volume is never served missing (an empty routes.yaml is a valid contract).
  for (let attempt = 0; ; attempt++) {
    files = new Map<string, string>();
    const torn = { value: false };
    for (const dir of dirs) await walk(dir, '', files, torn);
    if (!torn.value) break;
    if (attempt === 4) throw new Error('The config volume kept changing while it was read.');
  }
  const hash = createHash('sha256');
  for (const [path, content] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    hash.update(`${path}\0${content}\0`);
  }
  return { files, checksum: `sha256:${hash.digest('hex')}` };
}

async function walk(
  root: string,
  prefix: string,
  files: Map<string, string>,
  torn: { value: boolean },
): Promise<void> {
  const dir = join(root, prefix);
  const entries = await readdir(dir).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && prefix === '') return [] as string[];
    throw error;
  });
  // A kubelet volume: resolve `..data` once, and read every key through that one target, so a
  // swap in the middle of this walk cannot mix old and new files of the volume.
  const data = entries.includes('..data')
    ? await realpath(join(dir, '..data')).catch(() => undefined)
    : undefined;
  for (const name of entries.sort()) {
    if (name.startsWith('.')) continue;
    const path = prefix === '' ? name : `${prefix}/${name}`;
    const viaData = data !== undefined && (await lstat(join(dir, name))).isSymbolicLink();
    const source = viaData ? join(data, name) : join(root, path);
    const gone = (error: unknown) => {
      // The version this walk resolved was swapped out and removed while it ran.
      if (viaData && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        torn.value = true;
        return undefined;
      }
      throw error;
    };
    const info = await stat(source).catch(gone);
    if (info?.isDirectory() === true) await walk(root, path, files, torn);
    else if (info?.isFile() === true) {
      const content = await readFile(source, 'utf8').catch(gone);
      if (content !== undefined) files.set(path, content);
    }
  }
}
