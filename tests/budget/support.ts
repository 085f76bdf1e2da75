/**
 * The budget tests' gateway: a Redis, a contract with routes, budgets and prices, and the
 * helpers that call it (tests/budget/guard.test.ts, failures.test.ts).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { pricingChecksum, type Price } from '../../crds/pricing.ts';
import { buildApp } from '../../dataplane/src/app.ts';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';
import { waitFor } from '../batch/support.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { spawnDataplane } from '../support/dataplane-process.ts';

/** Slow enough that a burst of requests is decided before the first of them settles (under load too). */
export const SLOW = 'echo?firstMs=1500';
export const STREAM = 'echo?gapMs=30&chunks=200';
const priced = (model: string, input = '1', output = '2'): Price => ({
  provider: 'mock',
  model,
  effectiveFrom: '2026-01-01T00:00:00Z',
  input,
  output,
});
export const prices = [
  priced('echo'),
  priced(SLOW),
  priced(STREAM),
  priced('fail?code=UPSTREAM_UNAVAILABLE'),
  priced('echo?cheap=1', '0', '0'),
];

const routes = {
  routes: [
    { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
    { alias: 'slow', targets: [{ name: 'slow', provider: 'mock', model: SLOW }] },
    { alias: 'stream', targets: [{ name: 'stream', provider: 'mock', model: STREAM }] },
    {
      alias: 'down',
      targets: [{ name: 'down', provider: 'mock', model: 'fail?code=UPSTREAM_UNAVAILABLE' }],
      retry: { maxAttempts: 1 },
    },
    { alias: 'cheap', targets: [{ name: 'cheap', provider: 'mock', model: 'echo?cheap=1' }] },
    { alias: 'unpriced', targets: [{ name: 'free', provider: 'mock', model: 'echo?unpriced=1' }] },
  ],
};

/**
 * "hello there" is 15 bytes with its role overhead: 5 estimated input tokens; with max_tokens
 * 10 a reservation holds 5 × 1,000 + 10 × 2,000 = 25,000 nano-USD. Seven of them fit 0.000175.
 */
export const messages = [{ role: 'user', content: 'hello there' }];
export const ESTIMATE_NANO = 25_000;

const budgets = {
  budgets: [
    { tenant: 'seven', limits: { costUSD: '0.000175' } },
    { tenant: 'shared', limits: { costUSD: '0.000175' } },
    { tenant: 'processes', limits: { costUSD: '0.000175' } },
    { tenant: 'retries', limits: { costUSD: '1' } },
    { tenant: 'cancels', limits: { costUSD: '1' } },
    { tenant: 'fails', limits: { costUSD: '1' } },
    { tenant: 'rpm', limits: { requestsPerMinute: 2 } },
    { tenant: 'streams', limits: { concurrentStreams: 1 } },
    { tenant: 'priced-only', limits: { costUSD: '1' } },
    { tenant: 'rate-only', limits: { requestsPerMinute: 100 } },
    { tenant: 'strict', limits: { costUSD: '1' } },
    { tenant: 'restarts', limits: { costUSD: '1' } },
    { tenant: 'embeds', limits: { costUSD: '1' } },
    { tenant: 'batches', limits: { costUSD: '1' } },
    { tenant: 'tokens', limits: { tokens: 20 } },
    { tenant: 'open', limits: { costUSD: '1' }, failOpen: true },
    {
      tenant: 'degrades',
      limits: { costUSD: '0.00001' },
      onExceed: { action: 'Degrade', degradeTo: 'cheap' },
    },
  ],
};

let server: RedisServer;
let config: ConfigDir;

/** What a test opened, closed after it, last first. */
export const opened: (() => Promise<unknown>)[] = [];

/** Starts the suite's Redis and contract for the calling test file, and closes what it opens. */
export function budgetSuite(): { redisUrl: () => string; config: () => ConfigDir } {
  beforeAll(async () => {
    server = await startRedis();
    config = await makeConfigDir({ routes, prompts: false });
    await config.write('budgets.yaml', budgets);
    await config.write('pricing.yaml', { checksum: pricingChecksum(prices), prices });
  });

  afterAll(async () => {
    await server.stop();
    await config.cleanup();
  });

  afterEach(async () => {
    for (const close of opened.splice(0).reverse()) await close();
  });
  return { redisUrl: () => server.url, config: () => config };
}

/**
 * A gateway on `redisUrl`. A command fails at the first reconnection that fails (the store-down
 * tests stop Redis under it and expect a prompt 503, not a queue); connection errors are what
 * those tests cause, so they are not logged.
 */
export async function gateway(
  redisUrl = server.url,
  batchWorkers?: number,
): Promise<FastifyInstance> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined);
  const app = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    redis,
    ...(batchWorkers === undefined ? {} : { batchWorkers }),
  });
  opened.push(
    () => redis.quit().catch(() => undefined),
    () => app.close(),
  );
  await waitFor('the gateway to reach Redis', () =>
    redis
      .ping()
      .then(() => true)
      .catch(() => undefined),
  );
  // The batch queue's own connection is up too: closing it half-open leaves rejections behind.
  await app.services.batch?.queue.waitUntilReady();
  return app;
}

export async function ask(
  app: FastifyInstance,
  tenant: string,
  body: object,
  id = `${tenant}-${Math.random()}`,
  url = '/api/v1/inference',
) {
  return app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${await config.token({ tenant })}`, 'x-request-id': id },
    payload: body,
  });
}

export async function usage(app: FastifyInstance, tenant: string) {
  const response = await app.inject({
    method: 'GET',
    url: `/api/v1/tenants/${tenant}/usage`,
    headers: { authorization: `Bearer ${await config.token({ tenant })}`, 'x-request-id': 'usage' },
  });
  expect(response.statusCode).toBe(200);
  return response.json<{
    spent: { cost_usd: string; tokens: number };
    reserved: { cost_usd: string; tokens: number };
    remaining: { cost_usd?: string };
    limits: Record<string, unknown>;
  }>();
}

export const nano = (usd: string) => Math.round(Number(usd) * 1e9);

export async function startDataplane(): Promise<{ url: string }> {
  const dataplane = await spawnDataplane(config.dir, server.url);
  const exited = once(dataplane.child, 'exit');
  opened.push(async () => {
    const { child } = dataplane;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  return { url: dataplane.url };
}

export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}
