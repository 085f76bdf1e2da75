/**
 * make bench-tls: what TLS and mTLS cost the dataplane, against plain HTTP, on the same
 * pipeline (chat completions on the in-process mock provider, audit off) in the same run.
 * Each variant's dataplane runs in a process of its own and reports its own CPU only (the
 * load generator, with its share of the TLS work, runs in this process). Per variant and
 * shuffled round: BENCH_REQUESTS requests over keep-alive connections (BENCH_CONCURRENCY at a
 * time) for CPU per request and p50/p99, then BENCH_HANDSHAKES new connections (one request
 * each, no session resumption) for handshakes per second and CPU per connection. The
 * dataplane is pinned to core 1 and this process to core 0 when `taskset` exists (make
 * bench-tls); raw figures go to bench/results/tls-<time>.json.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createInterface } from 'node:readline';
import { buildApp } from '../dataplane/src/app.ts';
import { makeConfigDir } from '../tests/support/config-dir.ts';
import { createCa, issue, type Issued } from '../tests/support/x509.ts';

type Variant = 'http' | 'tls' | 'mtls';
const VARIANTS: readonly Variant[] = ['http', 'tls', 'mtls'];
const requests = Number(process.env['BENCH_REQUESTS'] ?? 3000);
const handshakes = Number(process.env['BENCH_HANDSHAKES'] ?? 300);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 8);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SERVER_NAME = 'gateway.bench';

interface Setup {
  port: number;
  token: string;
  ca: string;
  client: { cert: string; key: string };
}

/** The server side: a dataplane for `variant`; prints its setup, then CPU on each `cpu` line. */
async function serve(variant: Variant): Promise<void> {
  const ca = createCa('bench-ca');
  const serving = issue(ca, { commonName: 'gw', dns: [SERVER_NAME], usages: ['serverAuth'] });
  const client = issue(ca, { commonName: 'bench', uris: ['spiffe://bench/client'] });
  const tls =
    variant === 'http'
      ? {}
      : { tls: { enabled: true, clientCertificates: variant === 'mtls' ? 'required' : 'off' } };
  const config = await makeConfigDir({
    gateway: {
      defaultModel: 'chat',
      streams: { heartbeatMs: 60_000 },
      audit: { enabled: false },
      ...tls,
    },
    prompts: false,
  });
  if (variant !== 'http') {
    await config.write('tls/tls.crt', serving.cert);
    await config.write('tls/tls.key', serving.key);
    await config.write('tls/ca.crt', ca.cert);
  }
  const app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const setup: Setup = { port, token: await config.token(), ca: ca.cert, client: pick(client) };
  process.stdout.write(`${JSON.stringify(setup)}\n`);
  let mark = process.cpuUsage();
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'mark') mark = process.cpuUsage();
    if (line === 'cpu') {
      const used = process.cpuUsage(mark);
      process.stdout.write(`${JSON.stringify({ cpuUs: used.user + used.system })}\n`);
    }
  }
  await app.close();
  await config.cleanup();
}

const pick = (issued: Issued) => ({ cert: issued.cert, key: issued.key });

/** A dataplane child and a line-by-line conversation with it. */
async function startServer(variant: Variant) {
  const args = [import.meta.filename, variant];
  const proc: ChildProcess = TASKSET
    ? spawn('taskset', ['-c', '1', process.execPath, ...args], {
        stdio: ['pipe', 'pipe', 'inherit'],
      })
    : spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(String((await lines.next()).value)) as unknown;
  const setup = (await next()) as Setup;
  return {
    setup,
    ask: async (command: 'mark' | 'cpu') => {
      proc.stdin!.write(`${command}\n`);
      return command === 'cpu' ? ((await next()) as { cpuUs: number }).cpuUs : 0;
    },
    stop: () => {
      proc.stdin!.end();
    },
  };
}

async function measure(variant: Variant) {
  const server = await startServer(variant);
  const { setup } = server;
  const body = JSON.stringify({
    model: 'chat',
    messages: [{ role: 'user', content: 'hello there' }],
  });
  const tlsOptions = {
    ca: setup.ca,
    servername: SERVER_NAME,
    ...(variant === 'mtls' ? setup.client : {}),
  };
  const one = (agent: HttpAgent | false): Promise<number> =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const options = {
        host: '127.0.0.1',
        port: setup.port,
        method: 'POST',
        path: '/v1/chat/completions',
        agent,
        headers: { authorization: `Bearer ${setup.token}`, 'content-type': 'application/json' },
        ...(variant === 'http' ? {} : tlsOptions),
      };
      const done = (response: IncomingMessage) => {
        if (response.statusCode !== 200) reject(new Error(`status ${response.statusCode}`));
        response.resume().on('end', () => {
          resolve(performance.now() - started);
        });
      };
      const req = variant === 'http' ? httpRequest(options, done) : httpsRequest(options, done);
      req.on('error', reject).end(body);
    });
  const run = async (count: number, agent: HttpAgent | false, width: number) => {
    const latencies: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: width }, async () => {
        while (next++ < count) latencies.push(await one(agent));
      }),
    );
    return latencies.sort((a, b) => a - b);
  };
  const keepAlive =
    variant === 'http'
      ? new HttpAgent({ keepAlive: true, maxSockets: concurrency })
      : new HttpsAgent({ keepAlive: true, maxSockets: concurrency, ...tlsOptions });
  await run(500, keepAlive, concurrency);
  await server.ask('mark');
  const latencies = await run(requests, keepAlive, concurrency);
  const cpuUs = await server.ask('cpu');
  keepAlive.destroy();

  await server.ask('mark');
  const started = performance.now();
  await run(handshakes, false, 4);
  const seconds = (performance.now() - started) / 1000;
  const handshakeCpuUs = await server.ask('cpu');
  server.stop();
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    variant,
    cpuUsPerRequest: cpuUs / requests,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    connectionsPerS: handshakes / seconds,
    cpuUsPerConnection: handshakeCpuUs / handshakes,
  };
}

const TASKSET = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const only = process.argv[2] as Variant | undefined;
if (only !== undefined) {
  await serve(only);
} else {
  type Result = Awaited<ReturnType<typeof measure>>;
  const results = new Map<Variant, Result[]>(VARIANTS.map((v) => [v, []]));
  for (let round = 0; round < rounds; round++) {
    for (const variant of [...VARIANTS].sort(() => Math.random() - 0.5))
      results.get(variant)?.push(await measure(variant));
  }
  const median = (values: number[]) =>
    values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const of = (variant: Variant, field: keyof Omit<Result, 'variant'>) =>
    median((results.get(variant) ?? []).map((r) => r[field]));
  const machine = `machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}${TASKSET ? ', dataplane on core 1' : ''}`;
  console.log(machine);
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/tls-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(
    file,
    JSON.stringify(
      { machine, requests, handshakes, concurrency, rounds, results: Object.fromEntries(results) },
      null,
      2,
    ),
  );
  console.log(`raw: ${file}`);
  console.log(
    `${requests} keep-alive requests (concurrency ${concurrency}) and ${handshakes} new connections (4 at a time) x ${rounds} rounds; medians over rounds; server CPU only`,
  );
  console.log(
    'variant  CPU us/req  +CPU us   p50 ms  +p50 ms   p99 ms  +p99 ms  conn/s  CPU us/conn',
  );
  for (const variant of VARIANTS) {
    const cells = [
      variant.padEnd(7),
      of(variant, 'cpuUsPerRequest').toFixed(0).padStart(11),
      (of(variant, 'cpuUsPerRequest') - of('http', 'cpuUsPerRequest')).toFixed(0).padStart(8),
      of(variant, 'p50Ms').toFixed(2).padStart(8),
      (of(variant, 'p50Ms') - of('http', 'p50Ms')).toFixed(2).padStart(8),
      of(variant, 'p99Ms').toFixed(2).padStart(8),
      (of(variant, 'p99Ms') - of('http', 'p99Ms')).toFixed(2).padStart(8),
      of(variant, 'connectionsPerS').toFixed(0).padStart(7),
      of(variant, 'cpuUsPerConnection').toFixed(0).padStart(12),
    ];
    console.log(cells.join(' '));
  }
}
