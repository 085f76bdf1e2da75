/**
 * Batch throughput (docs/batch.md, docs/benchmarks.md): N mock items submitted as one batch and
 * drained through Redis and BullMQ by worker processes, and by a worker in the gateway process,
 * against a baseline in the same run: the same items straight through the inference engine at
 * the same concurrency, with no queue. Rounds alternate the systems so drift hits all of them.
 *
 *   node bench/batch.ts [items=10000] [worker-processes=2] [concurrency-per-worker=16] [rounds=2]
 *
 * Each system's best round is reported (the machine may be shared).
 */
import { Redis } from 'ioredis';
import { buildApp } from '../dataplane/src/app.ts';
import { createServices } from '../dataplane/src/engine/services.ts';
import { startWorkerProcess, type WorkerProcess } from '../tests/batch/support.ts';
import { startRedis } from '../tests/cluster/harness.ts';
import { makeConfigDir } from '../tests/support/config-dir.ts';
import { machineLine } from './stats.ts';

const items = Number(process.argv[2] ?? 10_000);
const processes = Number(process.argv[3] ?? 2);
const perWorker = Number(process.argv[4] ?? 16);
const rounds = Number(process.argv[5] ?? 2);
const concurrency = processes * perWorker;

const config = await makeConfigDir({
  prompts: false,
  routes: {
    routes: [
      {
        alias: 'chat',
        targets: [{ name: 'm', provider: 'mock', model: 'fixed?text=Hello+from+the+mock' }],
      },
    ],
  },
  gateway: {
    // The tenant limit is not what is measured here: it keeps a backlog in the queue for every
    // worker slot (a limit equal to the slots makes each completion wait on a dispatch).
    batch: {
      maxRunningPerTenant: 8 * concurrency,
      workers: { inGateway: 0, concurrency: perWorker },
    },
  },
});
const redisServer = await startRedis();
const token = await config.token({ tenant: 'bench' });
const batchItems = Array.from({ length: items }, (_, index) => ({
  messages: [{ role: 'user' as const, content: `item ${index}` }],
}));

interface Result {
  system: string;
  acceptMs: number;
  drainMs: number;
}

/** The same items through the engine directly, `concurrency` at a time: no Redis, no queue. */
async function baseline(): Promise<Result> {
  const services = await createServices({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
  });
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items) {
        const index = next++;
        const context = {
          requestId: `bench-${index}`,
          tenant: 'bench',
          principal: 'bench',
          surface: 'batch' as const,
          signal: new AbortController().signal,
          deadlineMs: 60_000,
        };
        await services.pipeline.complete(context, batchItems[index]!);
      }
    }),
  );
  const drainMs = performance.now() - started;
  await services.close();
  return { system: `pipeline only, ${concurrency} at a time (baseline)`, acceptMs: 0, drainMs };
}

/** One batch of all items through Redis and BullMQ, executed by `workers`. */
async function throughQueue(
  system: string,
  round: number,
  workers: { processes: number } | { inGateway: number },
): Promise<Result> {
  const redis = new Redis(redisServer.url);
  await redis.flushall();
  const app = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    redis,
    batchWorkers: 'inGateway' in workers ? workers.inGateway : 0,
  });
  const started: WorkerProcess[] = [];
  try {
    if ('processes' in workers) {
      started.push(
        ...(await Promise.all(
          Array.from({ length: workers.processes }, () =>
            startWorkerProcess({
              configDir: config.dir,
              redisUrl: redisServer.url,
              concurrency: perWorker,
            }),
          ),
        )),
      );
    }
    const store = app.services.batch!.store;
    const submittedAt = performance.now();
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/batches',
      headers: { authorization: `Bearer ${token}`, 'x-request-id': `bench-${round}` },
      payload: { task_id: `bench-${round}-${system.replace(/\W+/g, '-')}`, items: batchItems },
    });
    const acceptMs = performance.now() - submittedAt;
    if (response.statusCode !== 202)
      throw new Error(`submit answered ${response.statusCode}: ${response.body}`);
    const id = response.json<{ id: string }>().id;
    for (;;) {
      const batch = await store.batch(id);
      if (batch?.status === 'completed') {
        if (batch.done !== items) throw new Error(`${batch.done} of ${items} items succeeded`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const drainMs = performance.now() - submittedAt;
    const executions = [...(await store.executions(id)).values()];
    if (executions.length !== items || executions.some((count) => count !== 1)) {
      throw new Error('an item ran more than once');
    }
    return { system, acceptMs, drainMs };
  } finally {
    await Promise.all(started.map((worker) => worker.stop('SIGTERM')));
    await app.close();
    await redis.quit();
  }
}

const systems = [
  () => baseline(),
  (round: number) =>
    throughQueue(`${processes} worker processes x ${perWorker}`, round, { processes }),
  (round: number) =>
    throughQueue(`worker in the gateway process x ${concurrency}`, round, {
      inGateway: concurrency,
    }),
];

console.log(await machineLine());
console.log(`${items} mock items per batch, ${rounds} round(s)\n`);
const results: Result[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    for (const run of systems) results.push(await run(round));
  }
} finally {
  await redisServer.stop();
  await config.cleanup();
}

const bySystem = new Map<string, Result[]>();
for (const result of results)
  bySystem.set(result.system, [...(bySystem.get(result.system) ?? []), result]);
const rate = (result: Result) => items / (result.drainMs / 1000);
const base = Math.max(...(bySystem.values().next().value ?? []).map(rate));
console.log('| system | accept (ms) | drain (s) | items/s | vs baseline |');
console.log('| --- | --- | --- | --- | --- |');
for (const [system, runs] of bySystem) {
  const best = runs.reduce((a, b) => (rate(a) >= rate(b) ? a : b));
  console.log(
    `| ${system} | ${best.acceptMs.toFixed(0)} | ${(best.drainMs / 1000).toFixed(2)} | ${rate(best).toFixed(0)} | ${(rate(best) / base).toFixed(2)} |`,
  );
}
