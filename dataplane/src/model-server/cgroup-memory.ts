/**
 * The container's memory as the kernel accounts it: the limit and the working set of this
 * process's memory cgroup. cgroup v2 (`memory.max`, `memory.current`, `memory.stat`) when the
 * unified hierarchy has the memory controller; else cgroup v1 (`memory.limit_in_bytes`,
 * `memory.usage_in_bytes`, `memory.stat`). The cgroup is found from /proc/self/cgroup and the
 * mounts from /proc/self/mountinfo, so both a pod's own cgroup namespace (path `/`) and a
 * host view (the full path under the mount) read right.
 */
import { access, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

export interface CgroupMemory {
  version: 1 | 2;
  /** The cgroup's directory. */
  dir: string;
  /** The lowest limit of the cgroup and its ancestors; undefined: no limit. */
  limitBytes: number | undefined;
  /** Everything charged: v2 memory.current, v1 memory.usage_in_bytes (page cache included). */
  usageBytes: number;
  /** Usage less inactive file cache, which the kernel reclaims before it OOM-kills (kubelet's). */
  workingSetBytes: number;
}

export interface CgroupPaths {
  /** @default /proc/self/cgroup */
  cgroupFile?: string;
  /** @default /proc/self/mountinfo */
  mountInfoFile?: string;
}

/** Limits at or above this mean none (v1 writes 2^63 rounded down to a page). */
const NO_LIMIT = 2 ** 62;

interface Mount {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

/** The process's memory cgroup, or undefined when neither hierarchy has a memory controller. */
export async function readCgroupMemory(paths: CgroupPaths = {}): Promise<CgroupMemory | undefined> {
  const cgroups = await readFile(paths.cgroupFile ?? '/proc/self/cgroup', 'utf8').catch(() => '');
  const mounts = parseMountInfo(
    await readFile(paths.mountInfoFile ?? '/proc/self/mountinfo', 'utf8').catch(() => ''),
  );
  const entries = cgroups
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [id = '', controllers = '', ...rest] = line.split(':');
      return { id, controllers: controllers.split(','), path: rest.join(':') };
    });
  const unified = entries.find((entry) => entry.id === '0' && entry.controllers.join('') === '');
  const v2Mount = mounts.find((mount) => mount.fsType === 'cgroup2');
  if (unified !== undefined && v2Mount !== undefined) {
    const dir = await cgroupDir(v2Mount, unified.path);
    const controllers = await readFile(join(dir, 'cgroup.controllers'), 'utf8').catch(() => '');
    if (controllers.split(/\s+/).includes('memory')) return readV2(dir, v2Mount.mountPoint);
  }
  const v1 = entries.find((entry) => entry.controllers.includes('memory'));
  const v1Mount = mounts.find(
    (mount) => mount.fsType === 'cgroup' && mount.superOptions.includes('memory'),
  );
  if (v1 !== undefined && v1Mount !== undefined) return readV1(await cgroupDir(v1Mount, v1.path));
  return undefined;
}

async function readV2(dir: string, mountPoint: string): Promise<CgroupMemory> {
  const usageBytes = await readNumber(join(dir, 'memory.current'));
  const stat = parseStat(await readFile(join(dir, 'memory.stat'), 'utf8').catch(() => ''));
  // A parent's memory.max binds its children too: the lowest one up to the mount counts.
  let limitBytes: number | undefined;
  for (let at = dir; ; at = dirname(at)) {
    const text = (await readFile(join(at, 'memory.max'), 'utf8').catch(() => 'max')).trim();
    const limit = text === 'max' ? undefined : Number(text);
    if (limit !== undefined && Number.isFinite(limit))
      limitBytes = limitBytes === undefined ? limit : Math.min(limitBytes, limit);
    if (at === mountPoint || at === dirname(at) || !at.startsWith(mountPoint)) break;
  }
  return {
    version: 2,
    dir,
    limitBytes,
    usageBytes,
    workingSetBytes: Math.max(0, usageBytes - (stat['inactive_file'] ?? 0)),
  };
}

async function readV1(dir: string): Promise<CgroupMemory> {
  const usageBytes = await readNumber(join(dir, 'memory.usage_in_bytes'));
  const own = await readNumber(join(dir, 'memory.limit_in_bytes'));
  const stat = parseStat(await readFile(join(dir, 'memory.stat'), 'utf8').catch(() => ''));
  // hierarchical_memory_limit is the lowest limit of the cgroup and its ancestors.
  const limit = Math.min(own, stat['hierarchical_memory_limit'] ?? Infinity);
  return {
    version: 1,
    dir,
    limitBytes: limit >= NO_LIMIT ? undefined : limit,
    usageBytes,
    workingSetBytes: Math.max(0, usageBytes - (stat['total_inactive_file'] ?? 0)),
  };
}

/**
 * The cgroup's directory: the mount plus the path below the mount's root. In a pod with its
 * own cgroup namespace the path is `/` and the mount is the pod's cgroup; where the path does
 * not exist under the mount (a host path seen from a container), the mount itself is it.
 */
async function cgroupDir(mount: Mount, path: string): Promise<string> {
  const below = relative(mount.root, path);
  if (below.startsWith('..')) return mount.mountPoint;
  const dir = join(mount.mountPoint, below);
  return (await exists(dir)) ? dir : mount.mountPoint;
}

export function parseMountInfo(text: string): Mount[] {
  return text.split('\n').flatMap((line) => {
    const [left = '', right = ''] = line.split(' - ', 2);
    const fields = left.split(' ');
    const [fsType = '', , superOptions = ''] = right.split(' ');
    const root = fields[3];
    const mountPoint = fields[4];
    if (root === undefined || mountPoint === undefined || fsType === '') return [];
    return [
      {
        root: unescape(root),
        mountPoint: unescape(mountPoint),
        fsType,
        superOptions: superOptions.split(','),
      },
    ];
  });
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}

function parseStat(text: string): Record<string, number> {
  const stat: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.split(' ');
    if (key !== undefined && key !== '' && value !== undefined) stat[key] = Number(value);
  }
  return stat;
}

async function readNumber(path: string): Promise<number> {
  const value = Number((await readFile(path, 'utf8')).trim());
  if (!Number.isFinite(value)) throw new Error(`${path} does not hold a number.`);
  return value;
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
