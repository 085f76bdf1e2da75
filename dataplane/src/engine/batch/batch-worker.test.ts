import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type Redis as RedisServer } from '../../../../tests/cluster/harness.ts';
import { makeConfigDir, type ConfigDir } from '../../../../tests/support/config-dir.ts';
import { batchRoutes, chatItems, waitFor } from '../../../../tests/batch/support.ts';
import { createServices, type Services } from '../services.ts';
import { startWorker, startWorkerFromEnv } from '../../worker.ts';
import { EXTRA_EXECUTIONS } from './batch-worker.ts';
import { jobIdOf } from './types.ts';

let server: RedisServer;
let config: ConfigDir;
const opened: { services: Services; redis: Redis }[] = [];

const routes = {
  routes: [
    ...batchRoutes.routes,
    {
      alias: 'long',
      targets: [{ name: 'long', provider: 'mock', model: 'echo?firstMs=4000', timeoutMs: 30_000 }],
    },
    {
      alias: 'limited',
      targets: [{ name: 'limited', provider: 'mock', model: 'fail?code=UPSTREAM_RATE_LIMITED' }],
      retry: { maxAttempts: 1 },
    },
  ],
};

beforeAll(async () => {
  server = await startRedis();
  config = await makeConfigDir({
    routes,
    prompts: false,
    gateway: {
      batch: {
        attempts: 2,
        backoffMs: 20,
        workers: { inGateway: 0, lockMs: 1500, shutdownGraceMs: 100 },
      },
    },
  });
});

afterEach(async () => {
  for (const { services, redis } of opened.splice(0)) {
    await services.close();
    await redis.quit();
  }
  const redis = new Redis(server.url);
  await redis.flushall();
  await redis.quit();
});

afterAll(async () => {
  await server.stop();
  await config.cleanup();
});

/** A process's services (a gateway or a worker) on the test Redis. */
async function process_(): Promise<Services> {
  const redis = new Redis(server.url);
  const services = await createServices({
    configDirs: [config.dir],
    redis,
    watch: false,
    defaultMetrics: false,
    batchWorkers: 0,
  });
  opened.push({ services, redis });
  return services;
}

async function submit(services: Services, model: string, count: number) {
  const { batch } = await services.batch!.submit('acme', `task-${model}-${count}`, {
    items: chatItems(count, model),
  });
  await services.batch!.dispatcher.settled();
  return batch.id;
}

describe('the batch worker', () => {
  it('gives running items back to the queue when its shutdown grace runs out', async () => {
    const first = await process_();
    const id = await submit(first, 'long', 2);
    const worker = first.batch!.startWorker(2);
    await waitFor('both items to start', async () =>
      (await first.batch!.store.executions(id)).size === 2 ? true : undefined,
    );
    const started = Date.now();
    await worker.close(100);
    // Well before the items' 4 s answers: the worker did not wait for them (the margin is for a
    // loaded CI machine, where closing the queue's connections alone has taken over a second).
    expect(Date.now() - started).toBeLessThan(3000);
    // Given back unrecorded: not counted as executions, waiting for another worker.
    expect([...(await first.batch!.store.executions(id)).values()]).toEqual([0, 0]);
    expect(await first.batch!.queue.getJobCounts('wait', 'active')).toEqual({ wait: 2, active: 0 });

    const second = await process_();
    second.batch!.startWorker(2);
    await waitFor('the batch to complete', async () =>
      (await second.batch!.store.batch(id))?.status === 'completed' ? true : undefined,
    );
    expect([...(await second.batch!.store.executions(id)).values()]).toEqual([1, 1]);
  });

  it('puts an in-flight item whose job was lost back in the queue', async () => {
    const services = await process_();
    const id = await submit(services, 'chat', 1);
    const jobId = jobIdOf(`${id}:0`);
    await services.batch!.queue.remove(jobId);
    const worker = services.batch!.startWorker(1);
    await worker.close(0);
    // A job in the queue is only touched; a lost one is added again.
    expect(await worker.sweep(0)).toBe(1);
    expect(await services.batch!.queue.getJobState(jobId)).toBe('waiting');
    expect(await worker.sweep(0)).toBe(0);
  });

  it('dead-letters an item that keeps crashing its workers', async () => {
    const services = await process_();
    const id = await submit(services, 'chat', 1);
    const attempts = services.batch!.settings().attempts;
    await services.redis!.hset(`inference:batch:b:${id}:state`, 'e:0', attempts + EXTRA_EXECUTIONS);
    services.batch!.startWorker(1);
    const batch = await waitFor('the item to be dead-lettered', async () => {
      const current = await services.batch!.store.batch(id);
      return current?.status === 'completed' ? current : undefined;
    });
    expect(batch).toMatchObject({ failed: 1, deadLetters: 1 });
    const [entry] = (await services.batch!.store.deadLetters(0, 1)).entries;
    expect(entry?.error).toMatchObject({ code: 'INTERNAL' });
    expect(entry?.error.message).toContain('started 4 times without finishing');
  });

  it("waits at least the provider's Retry-After before a retry", async () => {
    const services = await process_();
    const started = Date.now();
    const id = await submit(services, 'limited', 1);
    services.batch!.startWorker(1);
    const batch = await waitFor('the item to fail twice', async () => {
      const current = await services.batch!.store.batch(id);
      return current?.status === 'completed' ? current : undefined;
    });
    expect(batch).toMatchObject({ failed: 1 });
    // backoffMs is 20, but the mock's rate limit says Retry-After: 1.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    const [result] = await services.batch!.store.results(batch, 0, 1);
    expect(result?.result).toMatchObject({ attempts: 2, error: { code: 'UPSTREAM_RATE_LIMITED' } });
  });
});

describe('the worker mode', () => {
  it('serves health, readiness and metrics, and stops gracefully', async () => {
    const redis = new Redis(server.url);
    const running = await startWorker({
      configDirs: [config.dir],
      redis,
      port: 0,
      concurrency: 3,
      watch: false,
      defaultMetrics: false,
    });
    try {
      expect(running.concurrency).toBe(3);
      const ready = (await (await fetch(`${running.url}/readyz`)).json()) as object;
      expect(ready).toMatchObject({
        status: 'ready',
        mode: 'worker',
        batch_concurrency: 3,
        redis: 'up',
      });
      const id = await submit(running.services, 'chat', 2);
      await waitFor('the batch to complete', async () =>
        (await running.services.batch!.store.batch(id))?.status === 'completed' ? true : undefined,
      );
      const metrics = await (await fetch(`${running.url}/metrics`)).text();
      expect(metrics).toContain('inference_batch_items_total{tenant="acme",result="done"} 2');
    } finally {
      await running.close();
      await redis.quit();
    }
  });

  it('reads its configuration from the environment, and refuses a wrong one', async () => {
    await expect(startWorkerFromEnv({})).rejects.toThrow(/set REDIS_URL/);
    await expect(
      startWorkerFromEnv({ REDIS_URL: server.url, BATCH_CONCURRENCY: 'many' }),
    ).rejects.toThrow(/BATCH_CONCURRENCY must be a positive integer, not many/);
    const { running, redis } = await startWorkerFromEnv({
      REDIS_URL: server.url,
      CONFIG_DIR: config.dir,
      PORT: '0',
      BATCH_CONCURRENCY: '2',
      LOG_LEVEL: 'silent',
    });
    try {
      expect(running.concurrency).toBe(2);
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await running.close();
      await redis.quit();
    }
  });
});
