/**
 * Idle streams (docs/benchmarks.md): how many concurrent SSE streams with heartbeats one
 * dataplane process holds, memory per stream, and resume latency on the same replica and on
 * another one (through Redis), against a fresh stream's first event measured alongside.
 *
 *   make bench-streams    or   node bench/streams.ts
 *     BENCH_STREAMS=10000            streams to open
 *     BENCH_STREAMS_UPSTREAM=builtin the in-process mock provider (no upstream connection per
 *                                    stream); `mock`: the mock upstream over openai-compatible
 *     BENCH_HEARTBEAT_MS=5000        heartbeat period; the hold lasts 2.2 periods
 *
 * The dataplane runs the full pipeline with Redis, pinned to core 1, its open-files limit
 * raised for itself; this client, the mock and Redis share core 0. Raw figures go to
 * bench/results/streams-<time>.json.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeConfigDir, type ConfigDir } from '../tests/support/config-dir.ts';
import { ANSWER_WORDS } from './mock-upstream.ts';
import { openStream, type HeldStream } from './streams/sse-client.ts';
import {
  CORE_LOAD,
  CORE_SUT,
  freePort,
  pinSelf,
  readyPort,
  rssBytes,
  sampleRss,
  spawnPinned,
  waitHttp,
  type Pinned,
} from './support/processes.ts';
import { startRedis } from './support/redis.ts';
import { fmt, machineLine, summarize } from './stats.ts';

const repo = fileURLToPath(new URL('../', import.meta.url));
const target = Number(process.env['BENCH_STREAMS'] ?? 10_000);
const upstream = process.env['BENCH_STREAMS_UPSTREAM'] === 'mock' ? 'mock' : 'builtin';
const heartbeatMs = Number(process.env['BENCH_HEARTBEAT_MS'] ?? 5000);
const OPEN_FILES = 20_000;
const RAMP_CONCURRENCY = 100;
const RAMP_LIMIT_MS = 180_000;
const RESUMES = 200;

// This process holds one socket per stream: re-run under a raised open-files limit if needed.
const softLimit = Number(
  /^Max open files\s+(\d+)/m.exec(await readFile('/proc/self/limits', 'utf8'))?.[1] ?? 0,
);
if (softLimit < target + 1000 && process.env['BENCH_ULIMIT_RAISED'] !== '1') {
  const child = spawn(
    'bash',
    [
      '-c',
      `ulimit -n ${OPEN_FILES} && exec "$@"`,
      'bench',
      process.execPath,
      ...process.argv.slice(1),
    ],
    { stdio: 'inherit', env: { ...process.env, BENCH_ULIMIT_RAISED: '1' } },
  );
  child.on('exit', (code) => process.exit(code ?? 1));
  await new Promise(() => undefined);
}

pinSelf(CORE_LOAD);
const machine = await machineLine();
console.log(machine);
console.log(
  `method: one dataplane (full pipeline, Redis stream store, ${upstream === 'builtin' ? 'in-process mock provider' : 'mock upstream over openai-compatible'}) on core ${CORE_SUT}; ` +
    `${target} streams opened ${RAMP_CONCURRENCY} at a time on POST /api/v1/inference:stream, each answering one chunk and then ` +
    `nothing for 10 minutes; heartbeat every ${heartbeatMs} ms, held for ${(2.2 * heartbeatMs) / 1000} s; ` +
    `then ${RESUMES} resumes (Last-Event-ID: 0) on the same replica and on a second one, interleaved with fresh streams as the baseline. ` +
    `RSS from /proc/<pid>/status, heap from /metrics, Redis from INFO memory.`,
);

const results = `${repo}bench/results/`;
await mkdir(results, { recursive: true });
const redis = await startRedis(CORE_LOAD);
const mock =
  upstream === 'mock'
    ? spawnPinned('mock-upstream', 'node', [`${repo}bench/mock-upstream.ts`], { core: CORE_LOAD })
    : undefined;
const mockOrigin = mock === undefined ? '' : `http://127.0.0.1:${await readyPort(mock)}`;
const config = await streamsConfig(mockOrigin);
const token = await config.token({ ttlS: 3600 });
const headers = {
  'content-type': 'application/json',
  authorization: `Bearer ${token}`,
  'x-request-id': 'bench-stream',
};
const body = JSON.stringify({ model: 'idle', messages: [{ role: 'user', content: 'Hola 👋' }] });
const held: HeldStream[] = [];
const replicas: Pinned[] = [];

try {
  const a = await startReplica('replica-a');
  replicas.push(a.process);
  const open = (port: number) =>
    openStream({
      port,
      path: '/api/v1/inference:stream',
      headers,
      body,
      until: 'data',
      timeoutMs: 30_000,
    });

  // Warm-up, then the baseline memory.
  for (const { stream } of await Promise.all(Array.from({ length: 50 }, () => open(a.port))))
    stream.close();
  await sleep(2000);
  const before = await memory(a);

  // Ramp.
  const checkpoints = [1000, 2500, 5000, 10_000, 20_000].filter((n) => n < target).concat(target);
  const ramp: { streams: number; seconds: number; rss: number }[] = [];
  const firstEventMs: number[] = [];
  let errors = 0;
  const rampStarted = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < target && performance.now() - rampStarted < RAMP_LIMIT_MS) {
      if (errors > target * 0.01) return;
      next++;
      try {
        const { stream, firstMs } = await open(a.port);
        held.push(stream);
        firstEventMs.push(firstMs);
        if (held.length === checkpoints[ramp.length]) {
          ramp.push({
            streams: held.length,
            seconds: (performance.now() - rampStarted) / 1000,
            rss: rssBytes(a.process.pid),
          });
          console.error(`  ${held.length} streams open, RSS ${mib(ramp.at(-1)!.rss)}`);
        }
      } catch (error) {
        errors++;
        if (errors <= 3) console.error(`  open failed: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: RAMP_CONCURRENCY }, worker));
  const rampSeconds = (performance.now() - rampStarted) / 1000;
  await sleep(2000);
  const opened = await memory(a);

  // Hold: every stream must see heartbeats.
  for (const stream of held) stream.heartbeats = 0;
  const holdSampler = sampleRss(a.process.pid, 250);
  await sleep(2.2 * heartbeatMs);
  const holdRss = holdSampler.stop();
  const alive = held.filter((stream) => !stream.closed);
  const heartbeating = alive.filter((stream) => stream.heartbeats >= 2).length;
  console.error(`  held ${alive.length} open, ${heartbeating} with 2+ heartbeats in the hold`);

  // Resume on the same replica, interleaved with fresh streams (the baseline).
  const resumeBody = (stream: HeldStream) => JSON.stringify({ resume_token: stream.resumeToken });
  const resume = async (port: number, stream: HeldStream) => {
    const { stream: resumed, firstMs } = await openStream({
      port,
      path: '/api/v1/inference:resume',
      headers: { ...headers, 'last-event-id': '0' },
      body: resumeBody(stream),
      until: 'data',
      timeoutMs: 10_000,
    });
    resumed.close();
    return firstMs;
  };
  const sample = alive.filter((stream) => stream.resumeToken !== undefined).slice(0, RESUMES);
  const fresh: number[] = [];
  const sameReplica: number[] = [];
  let resumeErrors = 0;
  for (const stream of sample) {
    try {
      const { stream: extra, firstMs } = await open(a.port);
      extra.close();
      fresh.push(firstMs);
      sameReplica.push(await resume(a.port, stream));
    } catch {
      resumeErrors++;
    }
  }
  // Another replica has no local copy: it reads the stream from Redis.
  const b = await startReplica('replica-b');
  replicas.push(b.process);
  const otherReplica: number[] = [];
  const freshB: number[] = [];
  for (const stream of sample) {
    try {
      const { stream: extra, firstMs } = await open(b.port);
      extra.close();
      freshB.push(firstMs);
      otherReplica.push(await resume(b.port, stream));
    } catch {
      resumeErrors++;
    }
  }

  const perStream = (x: number, y: number) => (y - x) / Math.max(1, held.length);
  const figures = {
    target,
    upstream,
    heartbeatMs,
    opened: held.length,
    openErrors: errors,
    rampSeconds,
    openRate: held.length / rampSeconds,
    firstEvent: summarize(firstEventMs),
    ramp,
    memory: { before, opened, holdRss },
    perStream: {
      rss: perStream(before.rss, opened.rss),
      heapUsed: perStream(before.heapUsed, opened.heapUsed),
      external: perStream(before.external, opened.external),
      redis: perStream(before.redis, opened.redis),
    },
    held: { open: alive.length, heartbeating },
    resume: {
      fresh: summarize(fresh),
      sameReplica: summarize(sameReplica),
      freshOtherReplica: summarize(freshB),
      otherReplica: summarize(otherReplica),
      errors: resumeErrors,
    },
  };
  console.log(`\n${render(figures)}`);
  const file = `${results}streams-${new Date().toISOString().replaceAll(':', '-')}.json`;
  await writeFile(file, JSON.stringify({ machine, figures }, null, 2));
  console.log(`\nraw figures: ${file.slice(repo.length)}`);
} finally {
  for (const stream of held) stream.close();
  for (const replica of replicas.reverse()) await replica.stop();
  await mock?.stop();
  await redis.stop();
  await config.cleanup();
}

async function startReplica(name: string): Promise<{ process: Pinned; port: number }> {
  const port = await freePort();
  const dataplane = spawnPinned(name, 'node', [`${repo}dataplane/src/main.ts`], {
    core: CORE_SUT,
    openFiles: OPEN_FILES,
    env: {
      CONFIG_DIR: config.dir,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      REDIS_URL: redis.url,
    },
    logFile: `${results}dataplane-streams-${name}.log`,
  });
  await waitHttp(dataplane, `http://127.0.0.1:${port}/readyz`, 30_000, (status) => status === 200);
  return { process: dataplane, port };
}

/** A config where alias `idle` answers one chunk at once and the next after 10 minutes. */
async function streamsConfig(mockOrigin: string): Promise<ConfigDir> {
  const idle = 'chunks=2&gapMs=600000';
  const targetConfig =
    upstream === 'builtin'
      ? {
          name: 'idle',
          provider: 'mock',
          model: `fixed?text=${encodeURIComponent(ANSWER_WORDS.slice(0, 2).join(' '))}&${idle}`,
          timeoutMs: 600_000,
        }
      : {
          name: 'idle',
          provider: 'openai-compatible',
          model: `bench?${idle}`,
          baseURL: `${mockOrigin}/v1`,
          credentials: { secretKeyRef: { name: 'bench', key: 'api-key' } },
          timeoutMs: 600_000,
        };
  const dir = await makeConfigDir({
    gateway: {
      auth: { issuer: 'https://issuer.test', audience: 'inference-service' },
      defaultModel: 'idle',
      // Every open stream holds a concurrency slot until it ends.
      limits: { maxConcurrent: target + 1000, queueTimeoutMs: 1000, requestTimeoutMs: 3_600_000 },
      streams: { heartbeatMs, resumeTtlS: 900 },
    },
    routes: { routes: [{ alias: 'idle', targets: [targetConfig] }] },
  });
  await dir.write('credentials/bench__api-key', 'sk-bench');
  return dir;
}

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  redis: number;
}

async function memory(replica: { process: Pinned; port: number }): Promise<Memory> {
  const metrics = await (await fetch(`http://127.0.0.1:${replica.port}/metrics`)).text();
  const gauge = (name: string) =>
    Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1] ?? Number.NaN);
  return {
    rss: rssBytes(replica.process.pid),
    heapUsed: gauge('nodejs_heap_size_used_bytes'),
    external: gauge('nodejs_external_memory_bytes'),
    redis: await redis.usedMemory(),
  };
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function render(f: {
  target: number;
  opened: number;
  openErrors: number;
  rampSeconds: number;
  openRate: number;
  firstEvent: ReturnType<typeof summarize>;
  memory: { before: Memory; opened: Memory; holdRss: number };
  perStream: { rss: number; heapUsed: number; external: number; redis: number };
  held: { open: number; heartbeating: number };
  resume: Record<
    'fresh' | 'sameReplica' | 'freshOtherReplica' | 'otherReplica',
    ReturnType<typeof summarize>
  > & {
    errors: number;
  };
}): string {
  const r = f.resume;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  return [
    '| figure | value |',
    '| --- | --- |',
    `| streams opened (of ${f.target}) | ${f.opened} (${f.openErrors} failed) in ${f.rampSeconds.toFixed(1)} s, ${f.openRate.toFixed(0)} streams/s |`,
    `| held through the hold with 2+ heartbeats | ${f.held.heartbeating} of ${f.held.open} open |`,
    `| first event while ramping, p50 / p99 | ${fmt(f.firstEvent.p50)} / ${fmt(f.firstEvent.p99)} |`,
    `| RSS before / with the streams / largest in the hold | ${mib(f.memory.before.rss)} / ${mib(f.memory.opened.rss)} / ${mib(f.memory.holdRss)} |`,
    `| per stream: RSS / V8 heap / external | ${kib(f.perStream.rss)} / ${kib(f.perStream.heapUsed)} / ${kib(f.perStream.external)} |`,
    `| per stream in Redis | ${kib(f.perStream.redis)} |`,
    `| fresh stream, first event p50 / p99 (baseline) | ${fmt(r.fresh.p50)} / ${fmt(r.fresh.p99)} |`,
    `| resume, same replica, first event p50 / p99 | ${fmt(r.sameReplica.p50)} / ${fmt(r.sameReplica.p99)} (${ratio(r.sameReplica.p50, r.fresh.p50)} the fresh p50) |`,
    `| resume, other replica (Redis), first event p50 / p99 | ${fmt(r.otherReplica.p50)} / ${fmt(r.otherReplica.p99)} (${ratio(r.otherReplica.p50, r.freshOtherReplica.p50)} that replica's fresh p50 of ${fmt(r.freshOtherReplica.p50)}) |`,
    `| resume errors | ${r.errors} |`,
  ].join('\n');
}
