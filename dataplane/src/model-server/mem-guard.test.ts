/**
 * mem_guard over cgroup files: temporary directories that mimic a cgroup v2 mount (and a v1
 * one) with their /proc/self/cgroup and mountinfo, and the dual-load policy as a table. The
 * real cgroup v1 case runs in tests/model-server/cgroup.test.ts.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCgroupMemory, type CgroupMemory } from './cgroup-memory.ts';
import { dualLoadVerdict, MemGuard, memoryState } from './mem-guard.ts';

const MiB = 2 ** 20;
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

/** A fake /proc/self and cgroup mount: `files` relative to the mount. */
async function fakeCgroup(
  version: 1 | 2,
  cgroupPath: string,
  files: Record<string, string>,
): Promise<{ cgroupFile: string; mountInfoFile: string; mount: string }> {
  const root = await mkdtemp(join(tmpdir(), 'cgroup-'));
  dirs.push(root);
  const mount = join(root, 'sys/fs/cgroup');
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(mount, path, '..'), { recursive: true });
    await writeFile(join(mount, path), text);
  }
  await mkdir(join(mount, cgroupPath), { recursive: true });
  const cgroupFile = join(root, 'cgroup');
  const mountInfoFile = join(root, 'mountinfo');
  if (version === 2) {
    await writeFile(cgroupFile, `0::${cgroupPath}\n`);
    await writeFile(
      mountInfoFile,
      `30 23 0:26 / ${mount} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n`,
    );
  } else {
    await writeFile(cgroupFile, `4:memory:${cgroupPath}\n1:cpu:/\n0::/\n`);
    await writeFile(
      mountInfoFile,
      `35 31 0:32 / ${mount} rw,relatime - cgroup cgroup rw,memory\n41 31 0:38 / ${mount}-unified rw - cgroup2 cgroup2 rw\n`,
    );
  }
  return { cgroupFile, mountInfoFile, mount };
}

describe('reading cgroup v2', () => {
  it('reads memory.max, memory.current and the working set of the process cgroup', async () => {
    const fake = await fakeCgroup(2, '/kubepods/pod1/c1', {
      'kubepods/pod1/c1/cgroup.controllers': 'cpu io memory pids\n',
      'kubepods/pod1/c1/memory.max': `${512 * MiB}\n`,
      'kubepods/pod1/c1/memory.current': `${300 * MiB}\n`,
      'kubepods/pod1/c1/memory.stat': `anon ${200 * MiB}\nfile ${100 * MiB}\ninactive_file ${60 * MiB}\n`,
    });
    expect(await readCgroupMemory(fake)).toEqual({
      version: 2,
      dir: join(fake.mount, 'kubepods/pod1/c1'),
      limitBytes: 512 * MiB,
      usageBytes: 300 * MiB,
      workingSetBytes: 240 * MiB,
    });
  });

  it('takes the lowest memory.max of the cgroup and its ancestors, and none when all say max', async () => {
    const fake = await fakeCgroup(2, '/pod/c', {
      'pod/memory.max': `${256 * MiB}\n`,
      'pod/c/cgroup.controllers': 'memory\n',
      'pod/c/memory.max': 'max\n',
      'pod/c/memory.current': `${10 * MiB}\n`,
    });
    expect((await readCgroupMemory(fake))?.limitBytes).toBe(256 * MiB);
    await writeFile(join(fake.mount, 'pod/memory.max'), 'max\n');
    expect((await readCgroupMemory(fake))?.limitBytes).toBeUndefined();
  });

  it('reads the mount itself in a pod with its own cgroup namespace (path /)', async () => {
    const fake = await fakeCgroup(2, '/', {
      'cgroup.controllers': 'memory\n',
      'memory.max': `${MiB * 64}\n`,
      'memory.current': `${MiB * 16}\n`,
    });
    expect(await readCgroupMemory(fake)).toMatchObject({ dir: fake.mount, limitBytes: 64 * MiB });
  });

  it('falls back to cgroup v1 when the unified hierarchy has no memory controller', async () => {
    const fake = await fakeCgroup(1, '/job/a', {
      'job/a/memory.limit_in_bytes': `${128 * MiB}\n`,
      'job/a/memory.usage_in_bytes': `${100 * MiB}\n`,
      'job/a/memory.stat': `cache 1\nhierarchical_memory_limit ${96 * MiB}\ntotal_inactive_file ${20 * MiB}\n`,
    });
    expect(await readCgroupMemory(fake)).toEqual({
      version: 1,
      dir: join(fake.mount, 'job/a'),
      limitBytes: 96 * MiB,
      usageBytes: 100 * MiB,
      workingSetBytes: 80 * MiB,
    });
  });

  it('reads v1 "unlimited" (2^63 rounded to a page) as no limit', async () => {
    const fake = await fakeCgroup(1, '/', {
      'memory.limit_in_bytes': '9223372036854771712\n',
      'memory.usage_in_bytes': `${MiB}\n`,
    });
    expect((await readCgroupMemory(fake))?.limitBytes).toBeUndefined();
  });

  it('answers undefined when no hierarchy has memory', async () => {
    const fake = await fakeCgroup(2, '/x', { 'x/cgroup.controllers': 'cpu\n' });
    expect(await readCgroupMemory(fake)).toBeUndefined();
  });
});

describe('the dual-load policy', () => {
  const cgroup = (limit: number | undefined, workingSet: number): CgroupMemory => ({
    version: 2,
    dir: '/',
    limitBytes: limit,
    usageBytes: workingSet,
    workingSetBytes: workingSet,
  });
  const cases: [string, CgroupMemory | undefined, number, number, boolean][] = [
    // name, cgroup, host free, new model bytes, allowed
    ['fits under the limit', cgroup(1024 * MiB, 400 * MiB), 8192 * MiB, 400 * MiB, true],
    ['exactly bytes × 1.3 fits', cgroup(1000 * MiB, 350 * MiB), 8192 * MiB, 500 * MiB, true],
    ['under bytes × 1.3 is refused', cgroup(1000 * MiB, 351 * MiB), 8192 * MiB, 500 * MiB, false],
    ['the host bounds a generous limit', cgroup(8192 * MiB, 0), 100 * MiB, 100 * MiB, false],
    ['no limit: the host decides', cgroup(undefined, 50 * MiB), 2048 * MiB, 1024 * MiB, true],
    ['no cgroup: the host decides', undefined, 100 * MiB, 1024 * MiB, false],
  ];
  for (const [name, read, host, bytes, allowed] of cases) {
    it(name, () => {
      const verdict = dualLoadVerdict(memoryState(read, host), bytes, 1.3);
      expect(verdict.allowed).toBe(allowed);
      expect(verdict.reason).toBe(allowed ? 'SufficientHeadroom' : 'InsufficientHeadroom');
      expect(verdict.neededBytes).toBe(Math.ceil(bytes * 1.3));
    });
  }

  it('says what it needs and what is free when it refuses', () => {
    const verdict = dualLoadVerdict(
      memoryState(cgroup(512 * MiB, 400 * MiB), 8192 * MiB),
      100 * MiB,
      1.3,
    );
    expect(verdict.message).toBe(
      'A dual-load needs 130.0 MiB (100.0 MiB × 1.3) but only 112.0 MiB of the 512.0 MiB limit is free (cgroup v2); swap blue/green instead, or raise the memory limit.',
    );
  });
});

describe('memory_headroom_low', () => {
  it('is raised below headroomFactor × the active model, and cleared above it', async () => {
    let workingSet = 100 * MiB;
    const changes: boolean[] = [];
    const guard = new MemGuard({
      activeBytes: () => 100 * MiB,
      read: () =>
        Promise.resolve({
          version: 2,
          dir: '/',
          limitBytes: 400 * MiB,
          usageBytes: workingSet,
          workingSetBytes: workingSet,
        }),
      hostFree: () => 8192 * MiB,
      onHeadroomLow: (low) => changes.push(low),
    });
    expect(await guard.reading()).toMatchObject({ headroomRatio: 3, headroomLow: false });
    workingSet = 300 * MiB;
    await new Promise((resolve) => setTimeout(resolve, 260));
    expect(await guard.reading()).toMatchObject({ headroomRatio: 1, headroomLow: true });
    workingSet = 200 * MiB;
    await new Promise((resolve) => setTimeout(resolve, 260));
    expect(await guard.reading()).toMatchObject({ headroomRatio: 2, headroomLow: false });
    expect(changes).toEqual([true, false]);
  });
});
