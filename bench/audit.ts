/**
 * Receipts per second one Redis sustains (docs/audit.md, docs/benchmarks.md#audit-receipts):
 * writers append receipts the size of a real one through the audit writer (group commit,
 * compare-and-append) as fast as they can, and Redis's own CPU time (INFO cpu) says how many
 * receipts one Redis core-second takes. Two cases, in the same run:
 *
 * - `spread`: 64 tenants, one writer (a replica) per process: the group commit's best case;
 * - `contended`: one tenant, two writers racing on its head (two replicas): every conflict is a
 *   relink and a retry.
 *
 *   node bench/audit.ts [receipts=20000] [in-flight=256]
 *
 * The writers run in this process on a core of their own; Redis on another.
 */
import { Redis } from 'ioredis';
import { RedisAuditStore } from '../dataplane/src/audit/redis-store.ts';
import { AuditWriter } from '../dataplane/src/audit/writer.ts';
import { startRedis } from '../tests/cluster/harness.ts';
import { machineLine } from './stats.ts';

const total = Number(process.argv[2] ?? 20_000);
const inFlight = Number(process.argv[3] ?? 256);

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

console.log(machineLine());
console.log(`${total} receipts, ${inFlight} in flight\n`);
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
