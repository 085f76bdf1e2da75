/**
 * The GA load (issue #29, docs/ga-gate.md): GA_USERS virtual users (default 1,000), each a loop
 * of think time (exponential, mean GA_THINK_MS, default 3,000 ms) then one action drawn from
 * the mix (sync 60 %, stream 25 %, stream resumed mid-way 10 %, batch submit+poll 5 %), for
 * GA_LOAD_S seconds (default 300), against the full pipeline (`ours-full`: auth, safety, budget
 * guard with Redis, audit receipts, prompts) on the mock upstream with GA_UPSTREAM_MS of
 * latency before each answer's first byte plus up to GA_UPSTREAM_JITTER_MS more (defaults 40
 * and 40: a fast hosted model's time to first token).
 *
 *   node bench/ga-load.ts        (make ga-load)    GA_LOAD_OUT=<file> also writes the JSON there
 *
 * Closed-loop users, as people are: a slow server slows its users, so the latency figures are
 * per request, from its send, and the offered rate is reported beside them. Memory: the
 * dataplane's RSS after the warm-up (the first 20 % of the run, at most 60 s) and at the end;
 * the soak bound is end ≤ 1.5 × warm (bench-soak levelled off at 1.30 × its first load's RSS,
 * docs/benchmarks.md; 1.5 × leaves room for where the collector happens to be). Loopback only.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { startSystem } from './gateway/systems.ts';
import { ACTIONS, type ActionName, type Surfaces } from './ga-load/actions.ts';
import {
  CORE_LOAD,
  pinSelf,
  readyPort,
  rssBytes,
  sampleRss,
  spawnPinned,
} from './support/processes.ts';
import { startRedis } from './support/redis.ts';
import { machineLine, summarize } from './stats.ts';

const repo = fileURLToPath(new URL('../', import.meta.url));
const env = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
};
const USERS = env('GA_USERS', 1000);
const LOAD_S = env('GA_LOAD_S', 300);
const THINK_MS = env('GA_THINK_MS', 3000);
const UPSTREAM_MS = env('GA_UPSTREAM_MS', 40);
const UPSTREAM_JITTER_MS = env('GA_UPSTREAM_JITTER_MS', 40);
const TIMEOUT_MS = 10_000;
const WARM_S = Math.min(60, LOAD_S * 0.2);
/** End RSS over warm RSS above this fails the soak bound (see the header). */
export const RSS_BOUND = 1.5;
const MIX: readonly [ActionName, number][] = [
  ['sync', 0.6],
  ['stream', 0.25],
  ['resume', 0.1],
  ['batch', 0.05],
];

// A load shape, not a secret: Math.random is fine for think times and the mix.
const think = () => -Math.log(1 - Math.random()) * THINK_MS;
const draw = (): ActionName => {
  let x = Math.random();
  for (const [name, weight] of MIX) {
    if ((x -= weight) < 0) return name;
  }
  return 'sync';
};

pinSelf(CORE_LOAD);
console.log(await machineLine());
console.log(
  `method: ${USERS} users, think exp(mean ${THINK_MS} ms), mix ${MIX.map(([n, w]) => `${n} ${w * 100} %`).join(', ')}, ` +
    `${LOAD_S} s (warm-up ${WARM_S.toFixed(0)} s not recorded), ours-full on core 1 with Redis, ` +
    `mock upstream +${UPSTREAM_MS}..${UPSTREAM_MS + UPSTREAM_JITTER_MS} ms before the first byte; per-request timeout ${TIMEOUT_MS} ms.`,
);
await mkdir(`${repo}bench/results`, { recursive: true });
const mock = spawnPinned(
  'mock-upstream',
  'node',
  [
    `${repo}bench/mock-upstream.ts`,
    `--latency-ms=${UPSTREAM_MS}`,
    `--jitter-ms=${UPSTREAM_JITTER_MS}`,
  ],
  { core: CORE_LOAD },
);
const mockOrigin = `http://127.0.0.1:${await readyPort(mock)}`;
const redis = await startRedis(CORE_LOAD);

interface Tally {
  ok: number;
  errors: number;
  ms: number[];
}
const tallies = Object.fromEntries(
  MIX.map(([name]): [ActionName, Tally] => [name, { ok: 0, errors: 0, ms: [] }]),
) as Record<ActionName, Tally>;
const errorSamples = new Map<string, number>();
const rss = { warm: Number.NaN, end: Number.NaN, max: Number.NaN, start: Number.NaN };

try {
  const running = await startSystem('ours-full', {
    mock: mockOrigin,
    redisUrl: redis.url,
    repo,
    logFile: `${repo}bench/results/dataplane-ga-load.log`,
    // GA_CPU_PROF=<dir>: the dataplane runs under `node --cpu-prof` and writes its profile there.
    nodeFlags: process.env.GA_CPU_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.GA_CPU_PROF}`]
      : [],
  });
  const pid = running.process?.pid;
  const native = running.extras.find((extra) => extra.name === 'native');
  if (pid === undefined || native?.stream === undefined)
    throw new Error('ours-full without a native stream');
  const pool = new Pool(running.json.origin, { connections: Math.max(64, USERS), pipelining: 1 });
  const surfaces: Surfaces = {
    pool,
    sync: running.json,
    stream: native.stream.spec,
    nativeHeaders: native.json.headers,
    batchHeaders: running.json.headers,
    timeoutMs: TIMEOUT_MS,
  };
  try {
    rss.start = rssBytes(pid);
    const sampler = sampleRss(pid, 1000);
    const startedAt = performance.now();
    const recordFrom = startedAt + WARM_S * 1000;
    const endAt = startedAt + LOAD_S * 1000;
    const user = async () => {
      // Users arrive spread over one think time, not all at once.
      await sleep(Math.random() * THINK_MS);
      while (performance.now() < endAt) {
        const name = draw();
        const recorded = performance.now() >= recordFrom;
        try {
          const { ms } = await ACTIONS[name](surfaces);
          if (recorded) {
            tallies[name].ok++;
            tallies[name].ms.push(ms);
          }
        } catch (error) {
          if (recorded) {
            tallies[name].errors++;
            const reason = error instanceof Error ? error.message : String(error);
            const key = `${name}: ${reason.slice(0, 120)}`;
            errorSamples.set(key, (errorSamples.get(key) ?? 0) + 1);
          }
        }
        await sleep(Math.min(think(), Math.max(0, endAt - performance.now())));
      }
    };
    const warmTimer = setTimeout(() => {
      rss.warm = rssBytes(pid);
    }, WARM_S * 1000);
    const progress = setInterval(() => {
      const done = Object.values(tallies).reduce((sum, t) => sum + t.ok + t.errors, 0);
      console.error(`  ${((performance.now() - startedAt) / 1000).toFixed(0)} s: ${done} recorded`);
    }, 30_000);
    await Promise.all(Array.from({ length: USERS }, user));
    clearTimeout(warmTimer);
    clearInterval(progress);
    rss.end = rssBytes(pid);
    rss.max = sampler.stop();
  } finally {
    await pool.destroy();
    await running.stop();
  }
} finally {
  await mock.stop();
  await redis.stop();
}

const recordedS = LOAD_S - WARM_S;
const all = Object.values(tallies);
const total = all.reduce((sum, t) => sum + t.ok + t.errors, 0);
const errors = all.reduce((sum, t) => sum + t.errors, 0);
const syncStats = summarize(tallies.sync.ms);
const ttft = summarize(tallies.stream.ms);
const resumeStats = summarize(tallies.resume.ms);
const batchStats = summarize(tallies.batch.ms);
const resumeTotal = tallies.resume.ok + tallies.resume.errors;
const figures = {
  users: USERS,
  loadS: LOAD_S,
  warmS: WARM_S,
  thinkMs: THINK_MS,
  upstreamMs: [UPSTREAM_MS, UPSTREAM_MS + UPSTREAM_JITTER_MS],
  requests: total,
  ratePerS: total / Math.max(1, recordedS),
  errorRate: total === 0 ? 1 : errors / total,
  sync: { n: syncStats.n, p50Ms: syncStats.p50, p99Ms: syncStats.p99, errors: tallies.sync.errors },
  stream: { n: ttft.n, ttftP50Ms: ttft.p50, ttftP99Ms: ttft.p99, errors: tallies.stream.errors },
  resume: {
    n: resumeTotal,
    success: resumeTotal === 0 ? Number.NaN : tallies.resume.ok / resumeTotal,
    firstEventP99Ms: resumeStats.p99,
  },
  batch: { n: batchStats.n, completionP50Ms: batchStats.p50, errors: tallies.batch.errors },
  rss: { ...rss, bound: RSS_BOUND, growth: rss.end / rss.warm },
  errorSamples: Object.fromEntries(errorSamples),
};
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const ms = (value: number) => `${value.toFixed(1)} ms`;
console.log(
  [
    '',
    '| figure | value |',
    '| --- | --- |',
    `| recorded | ${total} requests in ${recordedS.toFixed(0)} s (${figures.ratePerS.toFixed(1)}/s) |`,
    `| sync p50 / p99 | ${ms(syncStats.p50)} / ${ms(syncStats.p99)} (n ${syncStats.n}) |`,
    `| stream TTFT p50 / p99 | ${ms(ttft.p50)} / ${ms(ttft.p99)} (n ${ttft.n}) |`,
    `| resume success | ${tallies.resume.ok} / ${resumeTotal}; first event after resume p99 ${ms(resumeStats.p99)} |`,
    `| batch completion p50 | ${ms(batchStats.p50)} (n ${batchStats.n}, poll every 500 ms) |`,
    `| errors | ${errors} / ${total} (${(figures.errorRate * 100).toFixed(2)} %) |`,
    `| RSS start / warm / end / max | ${mib(rss.start)} / ${mib(rss.warm)} / ${mib(rss.end)} / ${mib(rss.max)} (end ${figures.rss.growth.toFixed(2)} × warm; bound ${RSS_BOUND} ×) |`,
  ].join('\n'),
);
for (const [sample, count] of errorSamples) console.log(`  error ×${count}: ${sample}`);
const file = `${repo}bench/results/ga-load-${new Date().toISOString().replaceAll(':', '-')}.json`;
await writeFile(file, JSON.stringify(figures, null, 2));
if (process.env['GA_LOAD_OUT'] !== undefined) {
  await writeFile(process.env['GA_LOAD_OUT'], JSON.stringify(figures, null, 2));
}
console.log(`\nraw figures: ${file.slice(repo.length)}`);
process.exit(0);
