/**
 * A cgroup v1 memory cgroup for a test's process: this machine has the v1 memory controller
 * (its unified hierarchy has none), and a child of this process's memory cgroup may be made
 * where that directory is writable. The process joins it before `exec` (the `prefix` command),
 * so everything it allocates is charged there and limited by memory.limit_in_bytes.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const V1 = '/sys/fs/cgroup/memory';

/** This process's v1 memory cgroup, when children of it can be made; else undefined. */
export const memoryCgroupParent: string | undefined = (() => {
  const own = /^\d+:memory:(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  if (own === undefined) return undefined;
  const parent = join(V1, own);
  if (!existsSync(join(parent, 'memory.limit_in_bytes'))) return undefined;
  try {
    accessSync(parent, constants.W_OK);
    return parent;
  } catch {
    return undefined;
  }
})();

export interface MemoryCgroup {
  dir: string;
  /** Prepend to a command line: joins the cgroup, then execs the rest. */
  prefix: string[];
  setLimit(bytes: number): Promise<void>;
  /** Bytes charged now. */
  usage(): Promise<number>;
  /** Removes it (its processes must have exited). */
  remove(): Promise<void>;
}

export async function createMemoryCgroup(name: string, limitBytes: number): Promise<MemoryCgroup> {
  if (memoryCgroupParent === undefined) throw new Error('No writable cgroup v1 memory hierarchy.');
  const dir = join(memoryCgroupParent, name);
  await mkdir(dir);
  const setLimit = (bytes: number) => writeFile(join(dir, 'memory.limit_in_bytes'), String(bytes));
  await setLimit(limitBytes);
  return {
    dir,
    prefix: ['sh', '-c', `echo $$ > ${join(dir, 'cgroup.procs')} && exec "$@"`, 'sh'],
    setLimit,
    usage: async () => Number(await readFile(join(dir, 'memory.usage_in_bytes'), 'utf8')),
    remove: () => rmdir(dir),
  };
}
