/**
 * Prompt resolution at scale (docs/benchmarks.md): the cold load of a config contract with 1,000
 * prompt manifests (read, parse, validate, verify every checksum), then per prompt the first
 * resolve (a compile) and warm resolve+render, in this one process.
 *
 *   make bench-prompts    or   node bench/prompts.ts [manifests=1000]
 *
 * The manifests are copies of prompts/summarize-v1.yaml under other ids, each with its own
 * checksum. Raw figures go to bench/results/prompts-<time>.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { readConfigTree } from '../dataplane/src/config/read-tree.ts';
import { buildSnapshot } from '../dataplane/src/config/snapshot.ts';
import { computeManifestChecksum, withChecksum } from '../dataplane/src/prompts/checksum-edit.ts';
import { render } from '../dataplane/src/prompts/render.ts';
import { createPromptResolver } from '../dataplane/src/prompts/resolver.ts';
import { makeConfigDir } from '../tests/support/config-dir.ts';
import { fmt, machineLine, summarize } from './stats.ts';

const repo = fileURLToPath(new URL('../', import.meta.url));
const count = Number(process.argv[2] ?? 1000);
const LOADS = 3;

console.log(await machineLine());
console.log(
  `method: ${count} manifests (copies of summarize-v1 under other ids) in one config directory; ` +
    `${LOADS} loads in a row (the first in a fresh process is the cold start), timed as read ` +
    `(readConfigTree) and build (buildSnapshot: YAML, schema, checksum); then per prompt the ` +
    `first resolve (compile) and 10 warm resolve+render calls, in process.`,
);

const template = await readFile(`${repo}prompts/summarize-v1.yaml`, 'utf8');
const config = await makeConfigDir({ prompts: false });
try {
  for (let i = 0; i < count; i++) {
    const id = `bench-summarize-${String(i).padStart(4, '0')}`;
    const path = `prompts/${id}-v1.yaml`;
    const text = template
      .replace(/^ {2}name: summarize-v1$/m, `  name: ${id}-v1`)
      .replace(/^ {2}id: summarize$/m, `  id: ${id}`);
    await config.write(path, withChecksum(text, computeManifestChecksum(text, path)));
  }

  const loads: { readMs: number; buildMs: number }[] = [];
  let snapshot: ReturnType<typeof buildSnapshot> | undefined;
  for (let i = 0; i < LOADS; i++) {
    const started = performance.now();
    const files = await readConfigTree([config.dir]);
    const read = performance.now();
    snapshot = buildSnapshot(files);
    loads.push({ readMs: read - started, buildMs: performance.now() - read });
  }
  if (snapshot === undefined || snapshot.prompts.size < count)
    throw new Error(`loaded ${snapshot?.prompts.size ?? 0} prompts of ${count}`);

  // No preload, so that every first resolve below is a compile.
  const prompts = snapshot.prompts;
  const resolver = createPromptResolver({
    manifests: () => prompts,
    preload: 0,
    maxEntries: count * 2,
  });
  const variables = {
    text: 'The Q3 migration finished on 14 October, two weeks late. Error rates fell from 0.8 % to 0.1 %.',
    audience: 'executive',
    maxWords: 60,
  };
  const ids = [...prompts.keys()];
  const coldMs: number[] = [];
  const warmMs: number[] = [];
  for (const id of ids) {
    const started = performance.now();
    render(resolver.resolve(id), variables);
    coldMs.push(performance.now() - started);
  }
  for (let round = 0; round < 10; round++) {
    for (const id of ids) {
      const started = performance.now();
      render(resolver.resolve(id), variables);
      warmMs.push(performance.now() - started);
    }
  }
  const cold = summarize(coldMs);
  const warm = summarize(warmMs);
  const stats = resolver.stats();
  console.log(
    [
      '',
      '| figure | value |',
      '| --- | --- |',
      ...loads.map(
        (load, i) =>
          `| load ${i + 1}${i === 0 ? ' (cold start)' : ''}: read / build | ${fmt(load.readMs)} / ${fmt(load.buildMs)} (${fmt(load.readMs + load.buildMs)} in all, ${fmt((load.readMs + load.buildMs) / count)} a manifest) |`,
      ),
      `| first resolve+render of each prompt (compile), p50 / p99 | ${fmt(cold.p50)} / ${fmt(cold.p99)} |`,
      `| warm resolve+render, p50 / p99 (${warm.n} calls over ${count} prompts) | ${fmt(warm.p50)} / ${fmt(warm.p99)} (${(cold.p50 / warm.p50).toFixed(0)}× faster than the first, p50) |`,
      `| cache | ${stats.hits} hits, ${stats.misses} misses, ${stats.fallbacks} fallbacks |`,
    ].join('\n'),
  );
  await mkdir(`${repo}bench/results`, { recursive: true });
  const file = `${repo}bench/results/prompts-${new Date().toISOString().replaceAll(':', '-')}.json`;
  await writeFile(file, JSON.stringify({ count, loads, cold, warm, stats }, null, 2));
  console.log(`\nraw figures: ${file.slice(repo.length)}`);
} finally {
  await config.cleanup();
}
