import {
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readConfigTree } from '../../dataplane/src/config/read-tree.ts';
import { writeVolume } from './kubelet-volume.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'volume-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const payloadFolders = async (): Promise<string[]> =>
  (await readdir(dir)).filter((name) => name.startsWith('..') && name !== '..data').sort();

describe('the kubelet-style volume writer', () => {
  it('lays keys out as symlinks through ..data into a timestamped folder', async () => {
    expect(await writeVolume(dir, { 'a.yaml': 'one', 'b.yaml': 'two' })).toBe(true);
    expect(await readlink(join(dir, 'a.yaml'))).toBe('..data/a.yaml');
    expect((await lstat(join(dir, '..data'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(dir, '..data'))).toMatch(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./);
    expect(await readFile(join(dir, 'b.yaml'), 'utf8')).toBe('two');
  });

  it('swaps to new content, drops removed keys and the old folder', async () => {
    await writeVolume(dir, { 'a.yaml': 'one', 'b.yaml': 'two' });
    const first = await readlink(join(dir, '..data'));
    await writeVolume(dir, { 'a.yaml': 'uno', 'c.yaml': 'tres' });
    expect(await readFile(join(dir, 'a.yaml'), 'utf8')).toBe('uno');
    const names = (await readdir(dir)).sort();
    expect(names.filter((name) => !name.startsWith('..'))).toEqual(['a.yaml', 'c.yaml']);
    const folders = await payloadFolders();
    expect(folders).toHaveLength(1);
    expect(folders).not.toContain(first);
    expect(names).not.toContain('..data_tmp');
  });

  it('writes nothing when the payload is what ..data already holds (as kubelet)', async () => {
    await writeVolume(dir, { 'a.yaml': 'one', 'b.yaml': 'two' });
    const before = await readlink(join(dir, '..data'));
    expect(await writeVolume(dir, { 'b.yaml': 'two', 'a.yaml': 'one' })).toBe(false);
    expect(await readlink(join(dir, '..data'))).toBe(before);
    // A changed value, an added key and a removed key are each a change.
    expect(await writeVolume(dir, { 'a.yaml': 'one', 'b.yaml': 'TWO' })).toBe(true);
    expect(await writeVolume(dir, { 'a.yaml': 'one', 'b.yaml': 'TWO', c: '' })).toBe(true);
    expect(await writeVolume(dir, { 'a.yaml': 'one' })).toBe(true);
    expect(await payloadFolders()).toHaveLength(1);
  });

  it('handles an empty payload', async () => {
    expect(await writeVolume(dir, {})).toBe(true);
    expect(await writeVolume(dir, {})).toBe(false);
    expect((await readdir(dir)).filter((name) => !name.startsWith('..'))).toEqual([]);
  });

  it('leaves alone what is not its own: a volume mounted below it', async () => {
    await writeVolume(dir, { 'gateway.yaml': 'g1' });
    await writeVolume(join(dir, 'prompts'), { 'p.yaml': 'p1' });
    await writeFile(join(dir, 'plain.txt'), 'not a volume key');
    await writeVolume(dir, { 'gateway.yaml': 'g2' });
    expect(await readFile(join(dir, 'prompts', 'p.yaml'), 'utf8')).toBe('p1');
    expect(await readFile(join(dir, 'plain.txt'), 'utf8')).toBe('not a volume key');
    // The dataplane's reader skips the dot-folders and follows the symlinks.
    const tree = await readConfigTree([dir]);
    expect([...tree.files.keys()].sort()).toEqual(['gateway.yaml', 'plain.txt', 'prompts/p.yaml']);
    expect(tree.files.get('gateway.yaml')).toBe('g2');
  });

  it('never shows a reader that resolves ..data once a mix of two payloads', async () => {
    await mkdir(dir, { recursive: true });
    const payload = (n: number) => ({ 'a.yaml': `a${n}`, 'b.yaml': `b${n}`, 'c.yaml': `c${n}` });
    await writeVolume(dir, payload(0));
    const state = { writing: true };
    const writer = (async () => {
      for (let n = 1; n <= 60; n++) await writeVolume(dir, payload(n));
      state.writing = false;
    })();
    let reads = 0;
    const deadline = Date.now() + 10_000;
    while (state.writing && Date.now() < deadline) {
      try {
        const folder = await readlink(join(dir, '..data'));
        const texts = await Promise.all(
          ['a.yaml', 'b.yaml', 'c.yaml'].map((key) => readFile(join(dir, folder, key), 'utf8')),
        );
        const generations = new Set(texts.map((text) => text.slice(1)));
        expect(generations.size).toBe(1);
        reads++;
      } catch (error) {
        // The folder a reader resolved may be deleted by the next swap before it opens a file.
        expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
      }
    }
    await writer;
    expect(reads).toBeGreaterThan(0);
    expect(await readFile(join(dir, 'a.yaml'), 'utf8')).toBe('a60');
    expect(await payloadFolders()).toHaveLength(1);
  });
});
