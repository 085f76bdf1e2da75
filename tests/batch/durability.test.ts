/**
 * A Redis with AOF (`appendfsync always`) killed and restarted under a running batch: every
 * accepted batch, its idempotency record and its queue survive, and it completes exactly once.
 */
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import {
  batchRoutes,
  chatItems,
  fastBatch,
  startAofRedis,
  startWorkerProcess,
  waitFor,
  type AofRedis,
  type WorkerProcess,
} from './support.ts';

let server: AofRedis;
let config: ConfigDir;
let redis: Redis;
let app: FastifyInstance;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  server = await startAofRedis();
  config = await makeConfigDir({
    routes: batchRoutes,
    prompts: false,
    gateway: { batch: fastBatch },
  });
  redis = new Redis(server.url);
  // The restart below breaks the connection on purpose; ioredis reconnects by itself.
  redis.on('error', () => undefined);
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false, redis });
});

afterAll(async () => {
  await worker?.stop('SIGKILL');
  await app.close();
  redis.disconnect();
  await server.stop();
  await config.cleanup();
});

describe('a Redis restart with AOF on', () => {
  it('loses no accepted batch', { timeout: 60_000 }, async () => {
    const token = await config.token({ tenant: 'durable' });
    const submit = (body: object) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/batches',
        headers: { authorization: `Bearer ${token}`, 'x-request-id': 'aof' },
        payload: body,
      });
    const slow = { task_id: 'aof-slow', model: 'slow', items: chatItems(40) };
    const quick = { task_id: 'aof-quick', items: chatItems(10, undefined, 'quick') };
    const first = await submit(slow);
    const second = await submit(quick);
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    const ids = [first.json<{ id: string }>().id, second.json<{ id: string }>().id];
    const store = app.services.batch!.store;

    worker = await startWorkerProcess({
      configDir: config.dir,
      redisUrl: server.url,
      concurrency: 4,
    });
    await waitFor('a few items to finish', async () =>
      ((await store.batch(ids[0]!))?.done ?? 0) >= 4 ? true : undefined,
    );
    await server.kill();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.restart();

    // The idempotency record survived: the same task_id still names the same batch.
    const again = await waitFor('the gateway to reconnect', async () => {
      const response = await submit(slow).catch(() => undefined);
      return response?.statusCode === 200 ? response : undefined;
    });
    expect(again.json<{ id: string }>().id).toBe(ids[0]);

    for (const [id, total, prefix] of [
      [ids[0]!, 40, 'item'],
      [ids[1]!, 10, 'quick'],
    ] as const) {
      const batch = await waitFor(
        `batch ${id} to complete`,
        async () => {
          const current = await store.batch(id).catch(() => undefined);
          return current?.status === 'completed' ? current : undefined;
        },
        40_000,
      );
      expect(batch).toMatchObject({ total, done: total, failed: 0, cancelled: 0 });
      const results = await store.results(batch, 0, total);
      expect(results).toHaveLength(total);
      results.forEach(({ index, result }) => {
        expect(result).toMatchObject({
          status: 'succeeded',
          response: { output: { content: `Echo: ${prefix} ${index}` } },
        });
      });
    }
    expect(await store.stats('durable')).toMatchObject({ queued: 0, running: 0, done: 50 });
  });
});
