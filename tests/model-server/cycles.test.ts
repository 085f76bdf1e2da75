/**
 * Ten load/unload cycles in one model-server process (the DoD): SmolLM2 on llama.cpp
 * swapped between two versions ten times, each a dual-load, the switch, the old version
 * drained and unloaded; no cycle fails, and the RSS after the tenth unload is within 10 % of
 * the first's. The ONNX export's figures (which miss that bound) are in docs/benchmarks.md,
 * from bench/model-swap.ts.
 */
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { cachedModel } from '../../dataplane/src/providers/local/model-cache.ts';
import { swapCycles } from './cycles.ts';
import { spawnModelServer, waitReady } from './process.ts';

it('swaps ten times in one process and gives the memory back', async () => {
  const gguf = cachedModel('smollm2-135m-instruct').id;
  expect(existsSync(gguf), `${gguf} is missing: run \`make models-fetch\``).toBe(true);
  const server = await spawnModelServer({
    MODEL_URI: gguf,
    MODEL_VERSION: 'a',
    MODEL_ADMIN_TOKEN: 'cycles',
    MODEL_ROLLBACK_WINDOW_S: '0',
  });
  try {
    await waitReady(server);
    const records = await swapCycles(
      server,
      'cycles',
      [
        { uri: gguf, version: 'a' },
        { uri: gguf, version: 'b' },
      ],
      10,
    );
    expect(records.map((r) => r.to)).toEqual(['b', 'a', 'b', 'a', 'b', 'a', 'b', 'a', 'b', 'a']);
    const first = records[0]?.rssAfterUnloadBytes ?? NaN;
    const last = records.at(-1)?.rssAfterUnloadBytes ?? NaN;
    console.log(
      `RSS after unload: first cycle ${(first / 2 ** 20).toFixed(1)} MiB, tenth ${(last / 2 ** 20).toFixed(1)} MiB (${(((last - first) / first) * 100).toFixed(1)} %)`,
    );
    expect(last / first).toBeLessThan(1.1);
    // Each dual-load held both versions: more than either alone.
    for (const r of records) expect(r.rssDualLoadBytes).toBeGreaterThan(r.rssAfterUnloadBytes);
  } finally {
    expect(await server.stop()).toBe(0);
  }
}, 120_000);
