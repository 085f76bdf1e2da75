/**
 * The XR benchmark (docs/benchmarks.md, "XR"):
 * `node bench/xr.ts [hz=30] [seconds=300] [sessions=100] [utterEvery=15] [resumeTtlS=300]`
 * (seconds; utterEvery 0: none).
 *
 * The dataplane as its own process (one process, memory stores, a mock LLM); this process
 * plays `sessions` XR clients, each streaming a head-and-hand pose frame and a gaze frame at
 * `hz` (staggered over the period, stamped with the send time), an utterance every
 * `utterEvery` s (each a new answer the resume buffer keeps for `resumeTtlS`, the gateway's
 * `streams.resumeTtlS`), and
 * keeps 5 `xr:stream` SSE answers open whose chunks are 2.5 s apart. It prints:
 * - the server's frame jitter p99 (|D| of RFC 3550: the change in transit time between a
 *   stream's consecutive frames, measured at arrival; from inference_xr_frame_jitter_seconds,
 *   interpolated within its buckets as histogram_quantile does) and its processing time p99
 *   (message event to frame taken), both over the measured seconds after the sessions opened
 *   and a 10 s warm-up (the bucket counts then subtracted), and the jitter over the whole run;
 * - frames dropped out of order and stale (inference_xr_frames_dropped_total);
 * - the longest silence of any socket's downlink and of any SSE stream;
 * - the server's RSS and V8 heap in use (nodejs_heap_size_used_bytes) after the sessions opened
 *   and a 10 s warm-up, every minute, and at the end; and each minute's heap floor, the least
 *   heap in use of samples 2 s apart (what survived the garbage collector: the live set);
 * - the server's event-loop delay: prom-client's p99 of each 2 s between samples (it resets its
 *   histogram at every scrape) less the 10 ms timer it measures with, the median and the worst
 *   of those windows: how long a frame can wait in the server before its message event.
 *
 * The dataplane runs on core 1 and this process on core 0 (as the other benchmarks), so that the
 * clients' work is not the server's wait. `XR_SERVER_FLAGS` adds Node flags to the dataplane's
 * command (`--trace-gc`), `XR_SERVER_LOG` a file its stdout is copied to.
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeConfigDir } from '../tests/support/config-dir.ts';
import { readSse } from '../tests/support/sse.ts';
import { ANCHORS, HEAD, lookAlong, toward, XrClient } from '../tests/xr/support.ts';
import type { Vec3 } from '../dataplane/src/engine/xr/geometry.ts';
import { machineLine } from './stats.ts';
import { CORE_LOAD, CORE_SUT, pinSelf } from './support/processes.ts';

const hz = Number(process.argv[2] ?? 30);
const seconds = Number(process.argv[3] ?? 300);
const sessions = Number(process.argv[4] ?? 100);
const utterEvery = Number(process.argv[5] ?? 15);
const resumeTtlS = Number(process.argv[6] ?? 300);
const SSE_STREAMS = 5;
const ROOT = join(import.meta.dirname, '..');
const now = () => performance.timeOrigin + performance.now();

pinSelf(CORE_LOAD);
console.log(await machineLine());
console.log(
  `xr: ${sessions} sessions at ${hz} Hz (2 frames a tick) for ${seconds} s, an utterance every ${utterEvery > 0 ? `${utterEvery} s` : 'never'}, ${SSE_STREAMS} SSE streams, answers kept ${resumeTtlS} s`,
);
const config = await makeConfigDir({
  routes: {
    routes: [
      {
        alias: 'chat',
        targets: [{ name: 'slow', provider: 'mock', model: 'echo?chunks=1000&gapMs=2500' }],
      },
    ],
  },
  // The test config's streams settings (config-dir.ts), with the window asked for.
  gateway: { streams: { heartbeatMs: 60_000, resumeTtlS } },
});
const token = await config.token();

const env: NodeJS.ProcessEnv = {
  ...process.env,
  CONFIG_DIR: config.dir,
  PORT: '0',
  LOG_LEVEL: 'info',
};
delete env['REDIS_URL'];
const serverLog = process.env['XR_SERVER_LOG'] || undefined;
const serverFlags = (process.env['XR_SERVER_FLAGS'] ?? '').split(' ').filter((flag) => flag !== '');
const child = spawn(
  'taskset',
  ['-c', CORE_SUT, process.execPath, ...serverFlags, 'dataplane/src/main.ts'],
  {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const http = await new Promise<string>((resolve, reject) => {
  let output = '';
  child.once('exit', (code) => {
    reject(new Error(`dataplane exited ${code}: ${output}`));
  });
  child.stdout.on('data', (chunk: Buffer) => {
    if (serverLog !== undefined) appendFileSync(serverLog, chunk);
    output += chunk.toString();
    const match = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (match?.[1] !== undefined) resolve(match[1]);
  });
});
const rssMiB = async () => {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]) / 1024;
};

/** One histogram's cumulative bucket counts by upper bound, summed across its label sets. */
type Buckets = Map<number, number>;

async function histogram(name: string): Promise<Buckets> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const buckets: Buckets = new Map();
  for (const match of text.matchAll(new RegExp(`^${name}_bucket\\{([^}]*)\\} (\\d+)$`, 'gm'))) {
    const le = /le="([^"]+)"/.exec(match[1] ?? '')?.[1] ?? '+Inf';
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(match[2]));
  }
  return buckets;
}

/**
 * histogram_quantile over the observations between two readings of one histogram (`since`
 * omitted: all of them), interpolated within the bucket as Prometheus does.
 */
function quantile(
  buckets: Buckets,
  q: number,
  since: Buckets = new Map(),
): { value: number; count: number } {
  const sorted = [...buckets]
    .map(([bound, cumulative]) => [bound, cumulative - (since.get(bound) ?? 0)] as const)
    .sort((a, b) => a[0] - b[0]);
  const count = sorted.at(-1)?.[1] ?? 0;
  const rank = q * count;
  let [lower, below] = [0, 0];
  for (const [bound, cumulative] of sorted) {
    if (cumulative >= rank) {
      if (!Number.isFinite(bound)) return { value: lower, count };
      const inBucket = cumulative - below;
      return {
        value: lower + (bound - lower) * (inBucket === 0 ? 0 : (rank - below) / inBucket),
        count,
      };
    }
    [lower, below] = [bound, cumulative];
  }
  return { value: Number.NaN, count };
}

/** prom-client samples the event loop's delay with a 10 ms timer and records whole intervals. */
const LAG_TIMER_S = 0.01;

/** The server's heap in use, and its event loop's p99 delay since the last scrape. */
async function sample(): Promise<{ heapMiB: number; lagP99S: number }> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return {
    heapMiB: gauge('nodejs_heap_size_used_bytes') / 2 ** 20,
    lagP99S: Math.max(0, gauge('nodejs_eventloop_lag_p99_seconds') - LAG_TIMER_S),
  };
}
const heapMiB = async () => (await sample()).heapMiB;

async function counter(name: string, label: string): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const match = new RegExp(`^${name}\\{reason="${label}"\\} (\\d+)$`, 'm').exec(text);
  return Number(match?.[1] ?? 0);
}

const clients: XrClient[] = [];
const silence = { ws: 0, sse: 0 };
for (let i = 0; i < sessions; i++) {
  const client = new XrClient(`${http.replace(/^http/, 'ws')}/api/v1/xr/ws`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await client.opened;
  let last = performance.now();
  client.socket.on('message', () => {
    const at = performance.now();
    silence.ws = Math.max(silence.ws, at - last);
    last = at;
  });
  client.frame('anchors', { upsert: ANCHORS }, now());
  clients.push(client);
}

let running = true;
const periodMs = 1000 / hz;
const hand = {
  position: [0.2, 0.9, -0.3] as Vec3,
  orientation: lookAlong(toward([0.5, 1, -2], [0.2, 0.9, -0.3])),
};
let sent = 0;
function stream(client: XrClient, index: number): void {
  const start = performance.now() + (index / sessions) * periodMs;
  let tick = 0;
  const next = () => {
    if (!running) return;
    const ts = now();
    const x = Math.sin(ts / 1000) * 0.5;
    client.frame('pose', { head: HEAD, right_hand: hand }, ts);
    client.frame('gaze', { origin: HEAD.position, direction: toward([x, 1, -2]) }, ts);
    sent += 2;
    const every = Math.round(hz * utterEvery);
    if (every > 0 && tick % every === Math.round((index / sessions) * every) % every) {
      client.frame('voice_vad', { state: 'start' }, ts + 0.1);
      client.frame('voice_vad', { state: 'end', text: 'what is this' }, ts + 0.2);
    }
    tick++;
    setTimeout(next, Math.max(0, start + tick * periodMs - performance.now()));
  };
  setTimeout(next, Math.max(0, start - performance.now()));
}
clients.forEach(stream);

const sse = new AbortController();
async function sseLoop(): Promise<void> {
  while (running) {
    const response = await fetch(`${http}/api/v1/xr:stream`, {
      method: 'POST',
      signal: sse.signal,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-id': crypto.randomUUID(),
      },
      body: JSON.stringify({
        anchors: ANCHORS,
        frames: [
          { type: 'gaze', data: { origin: HEAD.position, direction: toward([0, 1, -2]) }, ts: 0 },
        ],
        utterance: { text: 'tell me about this vase', start_ts: 0 },
      }),
    }).catch(() => undefined);
    if (response?.body == null) return;
    let last = performance.now();
    try {
      for await (const event of readSse(response.body)) {
        if (event.event === '') continue;
        const at = performance.now();
        silence.sse = Math.max(silence.sse, at - last);
        last = at;
      }
    } catch {
      return;
    }
  }
}
const sseDone = Promise.all(Array.from({ length: SSE_STREAMS }, () => sseLoop()));

await new Promise((resolve) => setTimeout(resolve, 10_000));
silence.ws = 0;
silence.sse = 0;
const JITTER = 'inference_xr_frame_jitter_seconds';
const PROCESSING = 'inference_xr_frame_processing_seconds';
const warmUp = { jitter: await histogram(JITTER), processing: await histogram(PROCESSING) };
const rssStart = await rssMiB();
const rss = [rssStart];
const heap = [await heapMiB()];
const heapFloor: number[] = [];
const lagP99s: number[] = [];
const started = performance.now();
const sentAtStart = sent;
const elapsed = () => performance.now() - started;
while (elapsed() < seconds * 1000) {
  const minuteEnds = Math.min(elapsed() + 60_000, seconds * 1000);
  let floor = Number.POSITIVE_INFINITY;
  while (elapsed() < minuteEnds) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(2000, minuteEnds - elapsed())));
    const reading = await sample();
    floor = Math.min(floor, reading.heapMiB);
    lagP99s.push(reading.lagP99S);
  }
  rss.push(await rssMiB());
  heap.push(await heapMiB());
  heapFloor.push(floor);
}
const rate = (sent - sentAtStart) / ((performance.now() - started) / 1000);
running = false;
const end = { jitter: await histogram(JITTER), processing: await histogram(PROCESSING) };
const jitter = quantile(end.jitter, 0.99, warmUp.jitter);
const processing = quantile(end.processing, 0.99, warmUp.processing);
const jitterWhole = quantile(end.jitter, 0.99);
const outOfOrder = await counter('inference_xr_frames_dropped_total', 'out_of_order');
const stale = await counter('inference_xr_frames_dropped_total', 'stale');
const rssEnd = await rssMiB();
sse.abort();
for (const client of clients) client.close();
await sseDone;
child.kill('SIGTERM');
await config.cleanup();

const ms = (s: number) => `${(s * 1000).toFixed(2)} ms`;
console.log(
  `frames sent: ${rate.toFixed(0)}/s (asked ${sessions * hz * 2}/s); counted by the server after the warm-up: ${jitter.count} (whole run: ${jitterWhole.count})`,
);
console.log(
  `server jitter |D| p99: ${ms(jitter.value)} (whole run, the first 10 s included: ${ms(jitterWhole.value)}); processing p99: ${ms(processing.value)}`,
);
console.log(`dropped: out of order ${outOfOrder}, stale ${stale}`);
console.log(
  `longest silence: sockets ${silence.ws.toFixed(0)} ms, SSE ${silence.sse.toFixed(0)} ms`,
);
console.log(
  `server RSS: start ${rssStart.toFixed(0)} MiB, end ${rssEnd.toFixed(0)} MiB; per minute ${rss.map((r) => r.toFixed(0)).join(', ')}`,
);
console.log(`server heap in use, per minute: ${heap.map((h) => h.toFixed(0)).join(', ')} MiB`);
lagP99s.sort((a, b) => a - b);
console.log(
  `server event-loop delay p99 per 2 s window: median ${ms(lagP99s[Math.floor(lagP99s.length / 2)] ?? Number.NaN)}, worst ${ms(lagP99s.at(-1) ?? Number.NaN)} (${lagP99s.length} windows)`,
);
console.log(
  `server heap floor (least in use, sampled every 2 s), per minute: ${heapFloor.map((h) => h.toFixed(0)).join(', ')} MiB`,
);
process.exit(0);
