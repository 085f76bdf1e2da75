/**
 * The in-pod swap measured (docs/benchmarks.md, "Model swaps"): one model-server process, N
 * load/unload cycles alternating two versions of one model (each cycle a dual-load, the
 * switch, the old version drained and unloaded), printing per cycle the swap time (verify,
 * load, warm-up: request to switch) and the process RSS with both versions loaded and after
 * the unload, then the drift of the last cycle's RSS from the first's.
 *
 *   node bench/model-swap.ts [--model tiny|smollm2-onnx-int8|smollm2-onnx-q4|smollm2-gguf] [--cycles 10]
 *
 * The baseline is the same process's RSS after its first load. Raw figures go to
 * bench/results/model-swap-<model>-<time>.json.
 */
import { loadavg } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cachedModel, modelCacheDir } from '../dataplane/src/providers/local/model-cache.ts';
import { swapCycles } from '../tests/model-server/cycles.ts';
import { machineLine } from './stats.ts';
import { spawnModelServer, TINY, waitReady } from '../tests/model-server/process.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'smollm2-onnx-int8' },
    cycles: { type: 'string', default: '10' },
  },
});
// `make models` exports it next to the fetched GGUF.
const onnx = join(modelCacheDir(), 'smollm2-135m-instruct-onnx');
const MODELS: Record<string, { uri: string; quantization?: string }> = {
  tiny: { uri: TINY },
  'smollm2-onnx-int8': { uri: onnx, quantization: 'int8' },
  'smollm2-onnx-q4': { uri: onnx, quantization: 'int4' },
  'smollm2-gguf': { uri: cachedModel('smollm2-135m-instruct').id },
};
const model = MODELS[values.model];
if (model === undefined) throw new Error(`--model is one of ${Object.keys(MODELS).join(', ')}`);
const TOKEN = 'bench';
console.log(`${await machineLine()}, load average ${loadavg()[0]?.toFixed(1) ?? '?'}`);
const server = await spawnModelServer({
  MODEL_URI: model.uri,
  ...(model.quantization === undefined ? {} : { MODEL_QUANTIZATION: model.quantization }),
  MODEL_VERSION: 'a',
  MODEL_ADMIN_TOKEN: TOKEN,
  MODEL_ROLLBACK_WINDOW_S: '0',
});
try {
  await waitReady(server, 120_000);
  const startRss = (
    (await (
      await fetch(`${server.url}/admin/model`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { rssBytes: number }
  ).rssBytes;
  const records = await swapCycles(
    server,
    TOKEN,
    [
      { ...model, version: 'a' },
      { ...model, version: 'b' },
    ],
    Number(values.cycles),
  );
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  console.log(`model ${values.model}; RSS after the first load ${mib(startRss)} MiB`);
  console.log('cycle  to  swap ms  RSS dual-load MiB  RSS after unload MiB');
  for (const r of records) {
    console.log(
      `${String(r.cycle).padStart(5)}  ${r.to.padEnd(2)}  ${r.swapMs.toFixed(0).padStart(7)}  ${mib(r.rssDualLoadBytes).padStart(17)}  ${mib(r.rssAfterUnloadBytes).padStart(20)}`,
    );
  }
  const first = records[0]?.rssAfterUnloadBytes ?? NaN;
  const last = records.at(-1)?.rssAfterUnloadBytes ?? NaN;
  console.log(
    `RSS after unload, last vs first cycle: ${mib(last)} vs ${mib(first)} MiB (${(((last - first) / first) * 100).toFixed(1)} %)`,
  );
  console.log(`load average after: ${loadavg()[0]?.toFixed(1) ?? '?'}`);
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(dir, { recursive: true });
  const file = `${dir}model-swap-${values.model}-${new Date().toISOString().replaceAll(':', '-')}.json`;
  await writeFile(file, `${JSON.stringify({ model: values.model, startRss, records }, null, 2)}\n`);
  console.log(`raw figures: ${file}`);
} finally {
  await server.stop();
}
