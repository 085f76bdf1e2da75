import { mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes a ConfigMap's or Secret's data into `dir` the way kubelet's atomic writer does: the
 * files go into a fresh `..<timestamp>` folder, a `..data` symlink is swapped to it with one
 * rename, and each key is a symlink `key → ..data/key`. A reader therefore sees the whole old or
 * the whole new set, never a mix; removed keys disappear, and the old folder is deleted.
 */
export async function writeVolume(dir: string, data: Readonly<Record<string, string>>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const stamp = `..${new Date().toISOString().replaceAll(/[-:.]/g, '_')}_${process.hrtime.bigint()}`;
  await mkdir(join(dir, stamp));
  for (const [key, value] of Object.entries(data)) await writeFile(join(dir, stamp, key), value);
  const previous = await readlink(join(dir, '..data')).catch(() => undefined);
  await symlink(stamp, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const name of await readdir(dir)) {
    if (name.startsWith('..')) continue;
    const target = await readlink(join(dir, name)).catch(() => undefined);
    if (target?.startsWith('..data/') === true && !(name in data)) await rm(join(dir, name));
  }
  for (const key of Object.keys(data)) {
    await symlink(join('..data', key), join(dir, key)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    });
  }
  if (previous !== undefined) await rm(join(dir, previous), { recursive: true, force: true });
}
