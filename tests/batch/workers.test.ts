/**
 * Batches executed by real worker processes (`node dataplane/src/worker.ts`) on a real Redis:
 * exactly-once results under concurrency, a worker killed mid-job, a graceful stop, and
 * fairness between tenants. Items are submitted through a gateway built in this process.
 */
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import type { BatchStore } from '../../dataplane/src/engine/batch/store.ts';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import {
  batchRoutes,
  chatItems,
  fastBatch,
  startWorkerProcess,
  waitFor,
  type WorkerProcess,
} from './support.ts';

let server: RedisServer;
let config: ConfigDir;
let redis: Redis;
let app: FastifyInstance;
let store: BatchStore;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  server = await startRedis();
  config = await makeConfigDir({
    routes: batchRoutes,
    prompts: false,
    gateway: {
      batch: { ...fastBatch, tenants: { bulk: { maxRunning: 1000 }, crash: { maxRunning: 100 } } },
    },
  });
  redis = new Redis(server.url);
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false, redis });
  store = app.services.batch!.store;
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop('SIGKILL')));
});

afterAll(async () => {
  await app.close();
  await redis.quit();
  await server.stop();
  await config.cleanup();
});

async function spawnWorkers(count: number, concurrency: number): Promise<WorkerProcess[]> {
  const started = await Promise.all(
    Array.from({ length: count }, () =>
      startWorkerProcess({ configDir: config.dir, redisUrl: server.url, concurrency }),
    ),
  );
  workers.push(...started);
  return started;
}

async function submit(tenant: string, body: object): Promise<{ id: string }> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/batches',
    headers: { authorization: `Bearer ${await config.token({ tenant })}`, 'x-request-id': 'w' },
    payload: body,
  });
  expect(response.statusCode, response.body).toBe(202);
  return response.json();
}

async function whenFinished(id: string, timeoutMs = 30_000) {
  return waitFor(
    `batch ${id} to finish`,
    async () => {
      const batch = await store.batch(id);
      return batch?.status === 'completed' || batch?.status === 'cancelled' ? batch : undefined;
    },
    timeoutMs,
  );
}

/** Every result of a batch, in item order. */
async function results(id: string) {
  const batch = await store.batch(id);
  return store.results(batch!, 0, batch!.total);
}

async function doneCount(worker: WorkerProcess, tenant: string): Promise<number> {
  const text = await (await fetch(`${worker.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((entry) =>
      entry.startsWith(`inference_batch_items_total{tenant="${tenant}",result="done"}`),
    );
  return Number(line?.split(' ')[1] ?? 0);
}

describe('worker processes', () => {
  it('complete 1,000 concurrent items exactly once', { timeout: 60_000 }, async () => {
    const started = await spawnWorkers(3, 8);
    const batch = await submit('bulk', { task_id: 'thousand', items: chatItems(1000) });
    const finished = await whenFinished(batch.id);
    expect(finished).toMatchObject({ status: 'completed', done: 1000, failed: 0, cancelled: 0 });

    const all = await results(batch.id);
    expect(all).toHaveLength(1000);
    all.forEach(({ index, result }) => {
      expect(result).toMatchObject({
        status: 'succeeded',
        attempts: 1,
        response: { output: { content: `Echo: item ${index}` } },
      });
    });
    // Executed once each: every item's execution counter is 1 ...
    const executions = await store.executions(batch.id);
    expect(executions.size).toBe(1000);
    expect([...executions.values()].every((count) => count === 1)).toBe(true);
    // ... and recorded once: the workers' own counts add up to exactly 1,000, shared by all three.
    const counts = await Promise.all(started.map((worker) => doneCount(worker, 'bulk')));
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(1000);
    expect(counts.every((count) => count > 0)).toBe(true);
    expect(await store.stats('bulk')).toMatchObject({ queued: 0, running: 0, done: 1000 });
    const jobs = await app.services.batch!.queue.getJobCounts();
    expect(Object.values(jobs).every((count) => count === 0)).toBe(true);
  });

  it('lose and duplicate nothing when one is killed mid-job', { timeout: 60_000 }, async () => {
    const [victim] = await spawnWorkers(2, 4);
    const batch = await submit('crash', { task_id: 'kill-9', model: 'slow', items: chatItems(48) });
    // Both workers are busy: eight items are active at once (four slots each).
    const queue = app.services.batch!.queue;
    await waitFor('both workers to be busy', async () =>
      (await queue.getJobCounts('active')).active === 8 ? true : undefined,
    );
    await victim!.stop('SIGKILL');
    const finished = await whenFinished(batch.id, 40_000);
    expect(finished).toMatchObject({ status: 'completed', done: 48, failed: 0 });

    const all = await results(batch.id);
    expect(all.map(({ result }) => result.status)).toEqual(
      Array.from({ length: 48 }, () => 'succeeded'),
    );
    all.forEach(({ index, result }) => {
      expect(result).toMatchObject({ response: { output: { content: `Echo: item ${index}` } } });
    });
    // The killed worker's items ran again elsewhere (at-least-once execution) ...
    const executions = [...(await store.executions(batch.id)).values()];
    expect(executions).toHaveLength(48);
    expect(executions.filter((count) => count > 1).length).toBeGreaterThan(0);
    // ... but each result was recorded once: the counters moved once per item.
    expect(await store.stats('crash')).toMatchObject({ queued: 0, running: 0, done: 48 });
  });

  it('finish their running items on SIGTERM and exit 0', { timeout: 60_000 }, async () => {
    const [worker] = await spawnWorkers(1, 4);
    const batch = await submit('graceful', {
      task_id: 'term',
      model: 'slow',
      items: chatItems(12),
    });
    await waitFor('four items to start', async () =>
      (await store.executions(batch.id)).size >= 4 ? true : undefined,
    );
    expect(await worker!.stop('SIGTERM')).toBe(0);
    expect(worker!.output()).toContain('Stopping batch worker');
    // What it had started, it finished; nothing is left running.
    const started = [...(await store.executions(batch.id)).values()].filter((n) => n > 0).length;
    const stopped = await store.batch(batch.id);
    expect(stopped!.done).toBe(started);
    expect((await app.services.batch!.queue.getJobCounts('active')).active).toBe(0);
    // Another worker takes the rest; every item ran exactly once.
    await spawnWorkers(1, 4);
    expect(await whenFinished(batch.id)).toMatchObject({ done: 12 });
    expect([...(await store.executions(batch.id)).values()]).toEqual(
      Array.from({ length: 12 }, () => 1),
    );
  });

  it("keep one tenant's 10,000 items from delaying another's 10", { timeout: 60_000 }, async () => {
    await spawnWorkers(2, 8);
    const big = await submit('big', { task_id: 'ten-thousand', items: chatItems(10_000) });
    let maxRunning = 0;
    const sampling = new AbortController();
    const sampler = (async () => {
      while (!sampling.signal.aborted) {
        maxRunning = Math.max(maxRunning, (await store.stats('big')).running);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      await waitFor('the big batch to start', async () =>
        ((await store.batch(big.id))?.done ?? 0) > 100 ? true : undefined,
      );
      const small = await submit('little', { task_id: 'ten', items: chatItems(10) });
      await whenFinished(small.id, 20_000);
      const bigNow = await store.batch(big.id);
      // The small batch did not wait for the big one to drain: most of it is still pending.
      expect(bigNow!.done + bigNow!.failed).toBeLessThan(5_000);
      expect((await store.batch(small.id))!.done).toBe(10);
    } finally {
      sampling.abort();
      await sampler;
    }
    // The big tenant never had more than its running limit (maxRunningPerTenant: 16) in flight.
    expect(maxRunning).toBeGreaterThan(0);
    expect(maxRunning).toBeLessThanOrEqual(16);
    const cancelled = await store.cancel('big', big.id);
    expect(cancelled).toMatch(/^cancell/);
  });
});
