/**
 * make bench-tracing: what tracing costs the dataplane. Three variants, each in its own process
 * (tracing's context manager is process-wide), in shuffled rounds: `off` (no collector named),
 * `ratio-1` and `ratio-0.1` (gateway.yaml tracing to a local OTLP/HTTP sink that answers 200).
 * Each serves BENCH_REQUESTS chat completions on the in-process mock provider over loopback
 * HTTP, BENCH_CONCURRENCY at a time, after a warm-up; it reports the process CPU per request
 * (user + system, the load generator's share included and equal across variants) and p50/p99.
 * Not part of `make test`.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../dataplane/src/app.ts';
import { makeConfigDir } from '../tests/support/config-dir.ts';

type Variant = 'off' | 'ratio-1' | 'ratio-0.1';
const VARIANTS: readonly Variant[] = ['off', 'ratio-1', 'ratio-0.1'];
const requests = Number(process.env['BENCH_REQUESTS'] ?? 3000);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 8);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);

interface Result {
  variant: Variant;
  cpuUsPerRequest: number;
  p50Ms: number;
  p99Ms: number;
  exportedBytes: number;
}

async function measure(variant: Variant): Promise<Result> {
  let exportedBytes = 0;
  const sink = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (exportedBytes += chunk.length));
    request.on('end', () =>
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
    );
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const ratio = variant === 'ratio-0.1' ? 0.1 : 1;
  const config = await makeConfigDir({
    gateway: {
      defaultModel: 'chat',
      streams: { heartbeatMs: 60_000 },
      audit: { enabled: false },
      ...(variant === 'off' ? {} : { tracing: { endpoint: sinkUrl, ratio } }),
    },
  });
  const app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const token = await config.token();
  const body = JSON.stringify({
    model: 'chat',
    messages: [{ role: 'user', content: 'hello there' }],
  });
  const one = async (): Promise<number> => {
    const started = performance.now();
    const response = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    if (response.status !== 200) throw new Error(`status ${response.status}`);
    await response.arrayBuffer();
    return performance.now() - started;
  };
  const run = async (count: number): Promise<number[]> => {
    const latencies: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < count) latencies.push(await one());
      }),
    );
    return latencies;
  };
  await run(500);
  const cpu = process.cpuUsage();
  const latencies = (await run(requests)).sort((a, b) => a - b);
  await app.services.tracing?.forceFlush();
  const used = process.cpuUsage(cpu);
  await app.close();
  sink.close();
  await config.cleanup();
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    variant,
    cpuUsPerRequest: (used.user + used.system) / requests,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    exportedBytes,
  };
}

function child(variant: Variant): Promise<Result> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [import.meta.filename, variant], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    let out = '';
    proc.stdout.on('data', (data: Buffer) => (out += data.toString()));
    proc.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as Result);
      else reject(new Error(`${variant} exited ${code}`));
    });
  });
}

const only = process.argv[2] as Variant | undefined;
if (only !== undefined) {
  process.stdout.write(JSON.stringify(await measure(only)));
} else {
  const results = new Map<Variant, Result[]>(VARIANTS.map((v) => [v, []]));
  for (let round = 0; round < rounds; round++) {
    const order = [...VARIANTS].sort(() => Math.random() - 0.5);
    for (const variant of order) results.get(variant)?.push(await child(variant));
  }
  const median = (values: number[]) =>
    values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const off = results.get('off') ?? [];
  const offCpu = median(off.map((r) => r.cpuUsPerRequest));
  const offP99 = median(off.map((r) => r.p99Ms));
  console.log(
    `${requests} requests x ${rounds} rounds, concurrency ${concurrency}; medians over rounds`,
  );
  console.log('variant     CPU us/req  +CPU us  p50 ms  p99 ms  +p99 ms  exported KiB');
  for (const [variant, runs] of results) {
    const cpu = median(runs.map((r) => r.cpuUsPerRequest));
    const p99 = median(runs.map((r) => r.p99Ms));
    console.log(
      [
        variant.padEnd(10),
        cpu.toFixed(0).padStart(11),
        (cpu - offCpu).toFixed(0).padStart(8),
        median(runs.map((r) => r.p50Ms))
          .toFixed(2)
          .padStart(7),
        p99.toFixed(2).padStart(7),
        (p99 - offP99).toFixed(2).padStart(8),
        (median(runs.map((r) => r.exportedBytes)) / 1024).toFixed(0).padStart(13),
      ].join(' '),
    );
  }
}
