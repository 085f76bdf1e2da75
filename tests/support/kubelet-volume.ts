import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { basename, join } from 'node:path';

/** The name of the symlink that points at the current payload folder. */
export const DATA_LINK = '..data';

/**
 * Writes a ConfigMap's or Secret's data into `dir` the way kubelet's atomic writer does
 * (`pkg/volume/util/atomic_writer.go`):
 *
 * 1. a payload equal to what `..data` already holds is not written at all;
 * 2. the files go into a fresh `..<timestamp>` folder;
 * 3. a `..data_tmp` symlink to that folder is renamed over `..data` (one atomic rename);
 * 4. each new key gets its user-visible symlink `key → ..data/key`;
 * 5. the symlinks of removed keys are deleted;
 * 6. the previous payload folder is deleted.
 *
 * A reader that resolves `..data` once sees the whole old or the whole new set. (A reader that
 * opens the visible files one by one can straddle the swap, with kubelet as here.) Entries that
 * are not this volume's (another volume mounted below, like `prompts/` under the root) are left
 * alone. Resolves to whether anything was written.
 */
export async function writeVolume(
  dir: string,
  data: Readonly<Record<string, string>>,
): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  const previous = await readlink(join(dir, DATA_LINK)).catch(() => undefined);
  if (previous !== undefined && (await holds(join(dir, previous), data))) return false;

  // kubelet: os.MkdirTemp(dir, time.Now().UTC().Format("..2006_01_02_15_04_05.")).
  const time = new Date().toISOString().slice(0, 19).replaceAll(/[-:T]/g, '_');
  const stamp = basename(await mkdtemp(join(dir, `..${time}.`)));
  for (const [key, value] of Object.entries(data)) await writeFile(join(dir, stamp, key), value);
  await rm(join(dir, `${DATA_LINK}_tmp`), { force: true });
  await symlink(stamp, join(dir, `${DATA_LINK}_tmp`));
  await rename(join(dir, `${DATA_LINK}_tmp`), join(dir, DATA_LINK));
  for (const key of Object.keys(data)) {
    await symlink(join(DATA_LINK, key), join(dir, key)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    });
  }
  for (const name of await readdir(dir)) {
    if (name.startsWith('..') || name in data) continue;
    const target = await readlink(join(dir, name)).catch(() => undefined);
    if (target?.startsWith(`${DATA_LINK}/`) === true) await rm(join(dir, name));
  }
  if (previous !== undefined && previous !== stamp) {
    await rm(join(dir, previous), { recursive: true, force: true });
  }
  return true;
}

/** Whether the payload folder holds exactly these keys with these contents. */
async function holds(folder: string, data: Readonly<Record<string, string>>): Promise<boolean> {
  const names = await readdir(folder).catch(() => undefined);
  if (names === undefined) return false;
  const keys = Object.keys(data);
  if (names.length !== keys.length || !keys.every((key) => names.includes(key))) return false;
  for (const key of keys) {
    const text = await readFile(join(folder, key), 'utf8').catch(() => undefined);
    if (text !== data[key]) return false;
  }
  return true;
}
