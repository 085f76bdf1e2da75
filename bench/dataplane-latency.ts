/**
 * Added latency of the dataplane at one connection, against a bare fastify server that answers
 * the same JSON, in the same process and run (BENCHMARKS.md): rounds alternate the systems so
 * drift hits both. Also warm prompt resolve+render latency.
 *
 *   node bench/dataplane-latency.ts [requests-per-round=2000] [rounds=3]
 */
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import { buildApp } from '../dataplane/src/app.ts';
import { createPromptResolver } from '../dataplane/src/prompts/resolver.ts';
import { render } from '../dataplane/src/prompts/render.ts';
import { makeConfigDir } from '../tests/support/config-dir.ts';
import { fmt, machineLine, summarize } from './stats.ts';

const perRound = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 3);

console.log(await machineLine());
console.log(
  `method: ${rounds} shuffled rounds x ${perRound} sequential requests, 1 connection, loopback, mock provider, ` +
    'all three servers in this one process; then 100,000 warm resolve+render calls of prompt summarize',
);

const routes = {
  routes: [
    {
      alias: 'chat',
      targets: [{ name: 'm', provider: 'mock', model: 'fixed?text=Hello+from+the+mock+provider' }],
    },
  ],
};
const minimalConfig = await makeConfigDir({
  routes,
  gateway: { safety: { sanitize: false, pii: 'off', piiOutput: 'off' } },
});
const fullConfig = await makeConfigDir({ routes });
const token = await minimalConfig.token();
const fullToken = await fullConfig.token();

const baseline = Fastify();
baseline.post('/api/v1/inference', () => ({
  id: 'x',
  model: 'chat',
  output: { role: 'assistant', content: 'Hello from the mock provider' },
  finish_reason: 'stop',
  usage: { input_tokens: 3, output_tokens: 5, cached_tokens: 0 },
}));
const minimal = await buildApp({
  configDirs: [minimalConfig.dir],
  watch: false,
  defaultMetrics: false,
});
const full = await buildApp({ configDirs: [fullConfig.dir], watch: false, defaultMetrics: false });

const systems = [
  {
    name: 'bare fastify (baseline)',
    url: await baseline.listen({ port: 0, host: '127.0.0.1' }),
    token,
  },
  {
    name: 'dataplane, minimal pipeline',
    url: await minimal.listen({ port: 0, host: '127.0.0.1' }),
    token,
  },
  {
    name: 'dataplane, safety on',
    url: await full.listen({ port: 0, host: '127.0.0.1' }),
    token: fullToken,
  },
];
const agent = new Agent({ connections: 1, pipelining: 1 });
const body = JSON.stringify({
  model: 'chat',
  messages: [{ role: 'user', content: 'Hi, my email is a@b.io; what is new?' }],
});

async function once(url: string, bearer: string): Promise<number> {
  const started = performance.now();
  const response = await request(`${url}/api/v1/inference`, {
    method: 'POST',
    dispatcher: agent,
    headers: {
      authorization: `Bearer ${bearer}`,
      'x-request-id': 'bench',
      'content-type': 'application/json',
    },
    body,
  });
  await response.body.text();
  if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
  return performance.now() - started;
}

const samples = new Map(systems.map((system) => [system.name, [] as number[]]));
for (const system of systems) for (let i = 0; i < 500; i++) await once(system.url, system.token); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const system of [...systems].sort(() => Math.random() - 0.5)) {
    for (let i = 0; i < perRound; i++)
      samples.get(system.name)!.push(await once(system.url, system.token));
  }
}

const base = summarize(samples.get(systems[0]!.name)!);
console.log('| system | p50 | p99 | added p50 | added p99 |');
console.log('| --- | --- | --- | --- | --- |');
for (const system of systems) {
  const s = summarize(samples.get(system.name)!);
  console.log(
    `| ${system.name} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.p50 - base.p50)} | ${fmt(s.p99 - base.p99)} |`,
  );
}

// Warm prompt resolution and rendering, in process: a prompt of the repository with variables
// that fit its schema, so every call renders (a call that throws would measure the throw).
const snapshot = minimal.services.snapshot();
const resolver = createPromptResolver({ manifests: () => snapshot.prompts });
const id = 'summarize';
const variables = {
  text: 'The Q3 migration finished on 14 October, two weeks late. Error rates fell from 0.8 % to 0.1 %.',
  audience: 'executive',
  maxWords: 60,
};
const resolveMs: number[] = [];
for (let i = 0; i < 100_000; i++) {
  const started = performance.now();
  render(resolver.resolve(id), variables);
  resolveMs.push(performance.now() - started);
}
const r = summarize(resolveMs.slice(1000));
console.log(
  `\nwarm prompt resolve+render (${id}): p50 ${fmt(r.p50)}, p99 ${fmt(r.p99)} over ${r.n} calls`,
);

await Promise.all([baseline.close(), minimal.close(), full.close(), agent.close()]);
await Promise.all([minimalConfig.cleanup(), fullConfig.cleanup()]);
