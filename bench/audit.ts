/**
 * What the audit receipt costs (docs/audit.md, docs/benchmarks.md#audit-receipts), two parts:
 *
 * 1. The pipeline with and without the receipt, in one process, in the same run: the same chat
 *    request through `app.inject` (no HTTP, no upstream: the mock provider) for a metered and an
 *    unmetered tenant, on one Redis; rounds alternate the two so drift hits both. Per request:
 *    p50 and p99 latency, CPU (process.cpuUsage).
 * 2. Receipts per second one Redis sustains:
 *    writers append receipts the size of a real one through the audit writer (group commit,
 * compare-and-append) as fast as they can, and Redis's own CPU time (INFO cpu) says how many
 * receipts one Redis core-second takes. Two cases, in the same run:
 *
 * - `spread`: 64 tenants, one writer (a replica) per process: the group commit's best case;
 * - `contended`: one tenant, two writers racing on its head (two replicas): every conflict is a
 *   relink and a retry.
 *
 *   node bench/audit.ts [receipts=20000] [in-flight=256] [requests=2000] [rounds=3]
 *
 * The writers run in this process on a core of their own; Redis on another.
 */
import { Redis } from 'ioredis';
import { pricingChecksum } from '../crds/pricing.ts';
import { buildApp } from '../dataplane/src/app.ts';
import { RedisAuditStore } from '../dataplane/src/audit/redis-store.ts';
import { AuditWriter } from '../dataplane/src/audit/writer.ts';
import { startRedis } from '../tests/cluster/harness.ts';
import { makeConfigDir } from '../tests/support/config-dir.ts';
import { fmt, machineLine, summarize } from './stats.ts';

const total = Number(process.argv[2] ?? 20_000);
const inFlight = Number(process.argv[3] ?? 256);
const requests = Number(process.argv[4] ?? 2000);
const rounds = Number(process.argv[5] ?? 3);

/** One pipeline (audit on or off) on `redisUrl`: p50, p99 and CPU per request, per tenant. */
async function pipelineRun(redisUrl: string, audit: boolean) {
  const prices = [
    {
      provider: 'mock',
      model: 'echo',
      effectiveFrom: '2026-01-01T00:00:00Z',
      input: '1',
      output: '2',
    },
  ];
  const config = await makeConfigDir({ gateway: { audit: { enabled: audit } }, prompts: false });
  await config.write('pricing.yaml', { checksum: pricingChecksum(prices), prices });
  await config.write('budgets.yaml', {
    budgets: [{ tenant: 'metered', limits: { costUSD: '1000000' } }],
  });
  const redis = new Redis(redisUrl);
  const app = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    redis,
  });
  const result: Record<string, { p50: number; p99: number; cpuUs: number }> = {};
  for (const tenant of ['metered', 'unmetered']) {
    const headers = { authorization: `Bearer ${await config.token({ tenant })}` };
    const payload = { model: 'chat', messages: [{ role: 'user', content: 'hello there' }] };
    const samples: number[] = [];
    for (let index = 0; index < requests / 5; index++) {
      await app.inject({ method: 'POST', url: '/v1/chat/completions', headers, payload });
    }
    const cpu = process.cpuUsage();
    for (let index = 0; index < requests; index++) {
      const started = performance.now();
      const response = await app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers,
        payload,
      });
      samples.push(performance.now() - started);
      if (response.statusCode !== 200) throw new Error(response.body);
    }
    const used = process.cpuUsage(cpu);
    const { p50, p99 } = summarize(samples);
    result[tenant] = { p50, p99, cpuUs: (used.user + used.system) / requests };
  }
  await app.close();
  await redis.quit();
  await config.cleanup();
  return result;
}

const signed = (ms: number) => `${ms < 0 ? '−' : '+'}${fmt(Math.abs(ms))}`;

/** The median of the rounds' figures. */
function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** A receipt as large as a served request's (about 900 bytes of canonical JSON). */
function receipt(index: number): Record<string, unknown> {
  return {
    v: 1,
    kind: 'request',
    at: new Date().toISOString(),
    tenant: 'bench',
    principal: 'user-1',
    request_id: `bench-${index}-${Math.random().toString(36).slice(2)}`,
    surface: 'chat-completions',
    outcome: 'served',
    model: 'chat',
    attempts: [
      { target: 'primary', provider: 'openai', model: 'gpt-4o-mini-2024-07-18', outcome: 'ok' },
    ],
    served: { target: 'primary', provider: 'openai', model: 'gpt-4o-mini-2024-07-18' },
    config: `sha256:${'c'.repeat(64)}`,
    pricing: `sha256:${'p'.repeat(64)}`,
    usage: { input_tokens: 120, output_tokens: 48, cached_tokens: 0 },
    cost_usd: '0.000046',
    findings: {},
    pii: { input: 'redact', output: 'redact' },
    content_sha: { input: 'a'.repeat(64), output: 'b'.repeat(64) },
    streamed: false,
    duration_ms: 12,
  };
}

async function redisCpu(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

async function run(name: string, writers: number, tenants: number) {
  const server = await startRedis();
  const clients = Array.from({ length: writers }, () => new Redis(server.url));
  const probe = new Redis(server.url);
  const appenders = clients.map(
    (client) =>
      new AuditWriter({
        store: new RedisAuditStore(client),
        signer: () => undefined,
        checkpointEvery: () => 1000,
      }),
  );
  let next = 0;
  const cpuBefore = await redisCpu(probe);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let index = next++; index < total; index = next++) {
        const writer = appenders[index % writers]!;
        await writer.append(`tenant-${index % tenants}`, receipt(index));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = (await redisCpu(probe)) - cpuBefore;
  for (const client of [...clients, probe]) await client.quit();
  await server.stop();
  return {
    name,
    receiptsPerS: total / seconds,
    redisCpuPer1k: (cpu / total) * 1000,
    perRedisCore: total / cpu,
  };
}

console.log(await machineLine());
const pipelineRedis = await startRedis();
const runs: Record<string, Awaited<ReturnType<typeof pipelineRun>>[]> = { on: [], off: [] };
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
  for (const mode of order) runs[mode]!.push(await pipelineRun(pipelineRedis.url, mode === 'on'));
}
await pipelineRedis.stop();
console.log(
  `\nThe pipeline with and without the receipt (in process, ${requests} requests, median of ${rounds} rounds)\n`,
);
console.log('| tenant | receipt | p50 | p99 | CPU per request | added p50 | added CPU |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const tenant of ['metered', 'unmetered']) {
  const figure = (mode: string, key: 'p50' | 'p99' | 'cpuUs') =>
    medianOf(runs[mode]!.map((run) => run[tenant]![key]));
  for (const mode of ['off', 'on']) {
    const added = mode === 'on';
    console.log(
      `| ${tenant} | ${mode} | ${fmt(figure(mode, 'p50'))} | ${fmt(figure(mode, 'p99'))} | ${Math.round(figure(mode, 'cpuUs'))} µs | ${added ? signed(figure('on', 'p50') - figure('off', 'p50')) : ''} | ${added ? signed((figure('on', 'cpuUs') - figure('off', 'cpuUs')) / 1000) : ''} |`,
    );
  }
}
console.log(
  `\nReceipts per second one Redis sustains (${total} receipts, ${inFlight} in flight)\n`,
);
const results = [
  await run('spread (64 tenants, 1 writer)', 1, 64),
  await run('contended (1 tenant, 2 writers)', 2, 1),
];
console.log('| case | receipts/s | Redis CPU-s / 1k receipts | receipts per Redis core-second |');
console.log('| --- | --- | --- | --- |');
for (const result of results) {
  console.log(
    `| ${result.name} | ${Math.round(result.receiptsPerS)} | ${result.redisCpuPer1k.toFixed(3)} | ${Math.round(result.perRedisCore)} |`,
  );
}
