import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { startRedis } from '../cluster/harness.ts';
import { fastBatch } from './support.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

let config: ConfigDir;

beforeAll(async () => {
  config = await makeConfigDir({ prompts: false, gateway: { batch: fastBatch } });
});

afterAll(async () => {
  await config.cleanup();
});

describe('a gateway whose Redis is gone', () => {
  it('still shuts down, within its grace and a few seconds', async () => {
    const server = await startRedis();
    const redis = new Redis(server.url);
    redis.on('error', () => undefined);
    const app = await buildApp({
      configDirs: [config.dir],
      watch: false,
      defaultMetrics: false,
      redis,
    });
    await app.services.batch?.queue.waitUntilReady();
    await server.stop();
    const started = Date.now();
    await app.close();
    redis.disconnect();
    expect(Date.now() - started).toBeLessThan(fastBatch.workers.shutdownGraceMs + 10_000);
  }, 30_000);
});
