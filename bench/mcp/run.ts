/**
 * Added latency per MCP tool call through the gateway (docs/benchmarks.md, "MCP gateway"):
 * the SDK's client calls a tool of a real SDK server directly, and through the gateway (its
 * sessions in memory, and in a real Redis), in the same run, in rounds of a shuffled order.
 * Each system gets one session (initialize once) and then `calls` sequential `tools/call`s of
 * `echo`; the figure is the p50 (and p99) per call, and the gateway's difference to direct.
 * Everything runs in this one process on loopback, so the gateway's own CPU (auth, session
 * lookup, budget, safety of the result, the receipt, its upstream session) lands in its
 * latency as it would on a core of its own.
 *
 *   make bench-mcp    or   node bench/mcp/run.ts [rounds=5] [calls=300]
 *
 * Raw figures go to bench/results/mcp-<time>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Redis } from 'ioredis';
import { buildApp } from '../../dataplane/src/app.ts';
import { startRedis } from '../../tests/cluster/harness.ts';
import { startUpstream } from '../../tests/mcp/upstream-server.ts';
import { makeConfigDir } from '../../tests/support/config-dir.ts';
import { fmt, machineLine, summarize } from '../stats.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const rounds = Number(process.argv[2] ?? 5);
const calls = Number(process.argv[3] ?? 300);
const WARMUP = 50;

console.log(await machineLine());
console.log(
  `method: ${rounds} rounds x ${calls} sequential tools/call of echo per system (after ${WARMUP} warm-up calls), one session each, shuffled order per round; p50/p99 per call`,
);

const [upstream, redisServer, config] = await Promise.all([
  startUpstream('bench'),
  startRedis(),
  makeConfigDir(),
]);
await config.write('mcp.yaml', {
  enabled: true,
  gateways: [
    {
      name: 'tools',
      spec: {
        enabled: true,
        servers: [{ name: 'bench', url: upstream.url, allowedTools: ['echo'] }],
      },
    },
  ],
});
const redis = new Redis(redisServer.url);
const options = { configDirs: [config.dir], watch: false, defaultMetrics: false, logger: false };
const memoryApp = await buildApp(options);
const redisApp = await buildApp({ ...options, redis });
const memoryBase = await memoryApp.listen({ host: '127.0.0.1', port: 0 });
const redisBase = await redisApp.listen({ host: '127.0.0.1', port: 0 });
const token = await config.token({ scopes: ['mcp:invoke'] });

const systems: Record<string, { url: string; tool: string; headers: Record<string, string> }> = {
  direct: { url: upstream.url, tool: 'echo', headers: {} },
  'gateway (sessions in memory)': {
    url: `${memoryBase}/mcp/tools`,
    tool: 'bench__echo',
    headers: { authorization: `Bearer ${token}` },
  },
  'gateway (sessions in Redis)': {
    url: `${redisBase}/mcp/tools`,
    tool: 'bench__echo',
    headers: { authorization: `Bearer ${token}` },
  },
};

async function measure(name: string): Promise<number[]> {
  const system = systems[name]!;
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(system.url), {
      requestInit: { headers: system.headers },
    }),
  );
  const call = () => client.callTool({ name: system.tool, arguments: { text: 'benchmark' } });
  for (let i = 0; i < WARMUP; i++) await call();
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await call();
    samples.push(performance.now() - started);
  }
  await client.close();
  return samples;
}

const samples: Record<string, number[][]> = Object.fromEntries(
  Object.keys(systems).map((name) => [name, []]),
);
for (let round = 0; round < rounds; round++) {
  const order = Object.keys(systems).sort(() => Math.random() - 0.5);
  for (const name of order) samples[name]!.push(await measure(name));
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rows = Object.entries(samples).map(([name, perRound]) => {
  const stats = perRound.map((s) => summarize(s));
  return { name, p50: median(stats.map((s) => s.p50)), p99: median(stats.map((s) => s.p99)) };
});
const direct = rows.find((r) => r.name === 'direct')!;
console.log('| system | p50 per call | p99 per call | added p50 vs direct |');
console.log('| --- | --- | --- | --- |');
for (const row of rows) {
  const added = row.name === 'direct' ? '' : `+${fmt(row.p50 - direct.p50)}`;
  console.log(`| ${row.name} | ${fmt(row.p50)} | ${fmt(row.p99)} | ${added} |`);
}

await mkdir(`${repo}bench/results`, { recursive: true });
const out = `${repo}bench/results/mcp-${new Date().toISOString().replaceAll(':', '-')}.json`;
await writeFile(out, JSON.stringify({ rounds, calls, rows, samples }, null, 2));
console.log(`raw: ${out}`);

await memoryApp.close();
await redisApp.close();
redis.disconnect();
await Promise.all([upstream.close(), redisServer.stop(), config.cleanup()]);
