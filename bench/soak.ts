/**
 * Leak check: the same peak load again and again on one process, and after each, settled, its
 * RSS and V8 heap. A heap that grew once to the size the load asks for levels off; a leak goes
 * on growing with every load.
 *
 *   make bench-soak    or   node bench/soak.ts [loads=6] [system=ours-full]
 *
 * Raw figures go to bench/results/soak-<system>-<time>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSystem, type SystemName } from './gateway/systems.ts';
import { peak } from './load/peak.ts';
import { sequentialLatency } from './load/sequential.ts';
import { CORE_LOAD, pinSelf, readyPort, rssBytes, spawnPinned } from './support/processes.ts';
import { startRedis } from './support/redis.ts';
import { machineLine } from './stats.ts';

const repo = fileURLToPath(new URL('../', import.meta.url));
const loads = Number(process.argv[2] ?? 6);
const system = (process.argv[3] ?? 'ours-full') as SystemName;
const LOAD_S = 5;
const SETTLE_MS = 4000;

pinSelf(CORE_LOAD);
console.log(await machineLine());
console.log(
  `method: ${system} on core 1; ${loads} times: autocannon 32 connections for ${LOAD_S} s on the non-streaming ` +
    `request, then ${SETTLE_MS} ms idle, then RSS (/proc) and V8 heap used (/metrics, ours only).`,
);
const mock = spawnPinned('mock-upstream', 'node', [`${repo}bench/mock-upstream.ts`], {
  core: CORE_LOAD,
});
const mockOrigin = `http://127.0.0.1:${await readyPort(mock)}`;
const redis = await startRedis(CORE_LOAD);
const rows: { load: number; rps: number; rss: number; heapUsed: number }[] = [];
try {
  const running = await startSystem(system, {
    mock: mockOrigin,
    redisUrl: redis.url,
    repo,
    logFile: `${repo}bench/results/dataplane-soak.log`,
  });
  const pid = running.process?.pid;
  if (pid === undefined) throw new Error(`${system} has no process to watch`);
  const heapUsed = async () => {
    if (!system.startsWith('ours')) return Number.NaN;
    const metrics = await (await fetch(`${running.json.origin}/metrics`)).text();
    return Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics)?.[1] ?? Number.NaN);
  };
  try {
    await sequentialLatency(running.json, 300, 5000);
    await sleep(SETTLE_MS);
    rows.push({ load: 0, rps: 0, rss: rssBytes(pid), heapUsed: await heapUsed() });
    for (let load = 1; load <= loads; load++) {
      const result = await peak(running.json, 32, LOAD_S);
      await sleep(SETTLE_MS);
      rows.push({ load, rps: result.rps, rss: rssBytes(pid), heapUsed: await heapUsed() });
      console.error(`  load ${load}: ${result.rps.toFixed(0)} req/s`);
    }
  } finally {
    await running.stop();
  }
} finally {
  await mock.stop();
  await redis.stop();
}

const mib = (bytes: number) => (Number.isNaN(bytes) ? '–' : `${(bytes / 2 ** 20).toFixed(0)} MiB`);
const first = rows[1] ?? rows[0]!;
console.log(
  [
    '',
    '| after load | req/s | RSS | × after load 1 | V8 heap used | × after load 1 |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (row) =>
        `| ${row.load === 0 ? 'warm-up' : row.load} | ${row.load === 0 ? '–' : row.rps.toFixed(0)} | ${mib(row.rss)} | ${(row.rss / first.rss).toFixed(2)}× | ${mib(row.heapUsed)} | ${Number.isNaN(row.heapUsed) ? '–' : `${(row.heapUsed / first.heapUsed).toFixed(2)}×`} |`,
    ),
  ].join('\n'),
);
await mkdir(`${repo}bench/results`, { recursive: true });
const file = `${repo}bench/results/soak-${system}-${new Date().toISOString().replaceAll(':', '-')}.json`;
await writeFile(file, JSON.stringify({ system, loads, rows }, null, 2));
console.log(`\nraw figures: ${file.slice(repo.length)}`);
