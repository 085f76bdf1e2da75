/**
 * A CPU profile of our dataplane with the full pipeline under load: `node --cpu-prof`, pinned
 * to core 1, autocannon on the OpenAI-compatible surface (non-streaming, then streaming), and
 * a summary of where the time went.
 *
 *   make bench-profile        or   node bench/profile.ts [seconds=10] [system=ours-full]
 *
 * Writes bench/results/profiles/<system>-<time>.cpuprofile (open it in Chrome DevTools or
 * speedscope for the flame graph) and prints the summary.
 */
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { peak } from './load/peak.ts';
import { sequentialLatency, streamTiming } from './load/sequential.ts';
import { startSystem, type SystemName } from './gateway/systems.ts';
import { renderProfile, summarizeProfile } from './profile-summary.ts';
import { CORE_LOAD, cpuSeconds, pinSelf, readyPort, spawnPinned } from './support/processes.ts';
import { startRedis } from './support/redis.ts';
import { machineLine } from './stats.ts';

const repo = fileURLToPath(new URL('../', import.meta.url));
const seconds = Number(process.argv[2] ?? 10);
const system = (process.argv[3] ?? 'ours-full') as SystemName;
const dir = `${repo}bench/results/profiles/`;
const scratch = `${dir}.incoming/`;

pinSelf(CORE_LOAD);
console.log(await machineLine());
console.log(
  `method: ${system} under node --cpu-prof on core 1; autocannon 32 connections, ${seconds} s non-streaming ` +
    `then ${Math.max(2, Math.round(seconds / 3))} s streaming, on /v1/chat/completions; mock and Redis on core 0.`,
);
await rm(scratch, { recursive: true, force: true });
await mkdir(scratch, { recursive: true });
const mock = spawnPinned('mock-upstream', 'node', [`${repo}bench/mock-upstream.ts`], {
  core: CORE_LOAD,
});
const mockOrigin = `http://127.0.0.1:${await readyPort(mock)}`;
const redis = await startRedis(CORE_LOAD);
try {
  const running = await startSystem(system, {
    mock: mockOrigin,
    redisUrl: redis.url,
    repo,
    logFile: `${repo}bench/results/dataplane-profile.log`,
    nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${scratch}`],
  });
  const pid = running.process?.pid;
  try {
    await sequentialLatency(running.json, 300, 5000);
    await streamTiming(running.stream, running.streamFormat, 5, 3000);
    const cpu = () => (pid === undefined ? 0 : cpuSeconds(pid));
    const cpu0 = cpu();
    const json = await peak(running.json, 32, seconds);
    const cpu1 = cpu();
    const stream = await peak(running.stream, 32, Math.max(2, Math.round(seconds / 3)));
    const cpu2 = cpu();
    const per1k = (cpuS: number, rps: number, s: number) => ((cpuS / (rps * s)) * 1000).toFixed(3);
    console.log(
      `load: ${json.rps.toFixed(0)} req/s non-streaming (${per1k(cpu1 - cpu0, json.rps, json.durationS)} CPU-s / 1k), ` +
        `${stream.rps.toFixed(0)} streams/s (${per1k(cpu2 - cpu1, stream.rps, stream.durationS)} CPU-s / 1k)`,
    );
  } finally {
    await running.stop();
  }
  // The profile is written as the process exits.
  let files: string[] = [];
  for (let i = 0; i < 50 && files.length === 0; i++) {
    files = (await readdir(scratch)).filter((name) => name.endsWith('.cpuprofile'));
    if (files.length === 0) await sleep(100);
  }
  if (files.length === 0) throw new Error('no .cpuprofile was written');
  const target = `${dir}${system}-${new Date().toISOString().replaceAll(':', '-')}.cpuprofile`;
  await rename(`${scratch}${files[0]!}`, target);
  console.log(`profile: ${target.slice(repo.length)}\n`);
  console.log(renderProfile(summarizeProfile(JSON.parse(await readFile(target, 'utf8'))), 25));
} finally {
  await mock.stop();
  await redis.stop();
}
