import { lstat, mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeVolume } from './kubelet-volume.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'volume-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the kubelet-style volume writer', () => {
  it('lays keys out as symlinks through ..data', async () => {
    await writeVolume(dir, { 'a.yaml': 'one', 'b.yaml': 'two' });
    expect(await readlink(join(dir, 'a.yaml'))).toBe('..data/a.yaml');
    expect((await lstat(join(dir, '..data'))).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, 'b.yaml'), 'utf8')).toBe('two');
  });

  it('swaps to new content, drops removed keys and the old folder', async () => {
    await writeVolume(dir, { 'a.yaml': 'one', 'b.yaml': 'two' });
    await writeVolume(dir, { 'a.yaml': 'uno', 'c.yaml': 'tres' });
    expect(await readFile(join(dir, 'a.yaml'), 'utf8')).toBe('uno');
    const names = (await readdir(dir)).sort();
    expect(names.filter((name) => !name.startsWith('..'))).toEqual(['a.yaml', 'c.yaml']);
    expect(names.filter((name) => name.startsWith('..') && name !== '..data')).toHaveLength(1);
  });
});
