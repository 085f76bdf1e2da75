/**
 * The budget guard through the gateway (buildApp), on a real redis-server: exact admission
 * under concurrency (one gateway and two sharing Redis), one charge per request id, what a
 * cancelled or failed call is charged, rate limits with their headers, the store down, prices
 * missing, and Degrade.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { periodAt, spendKey } from '../../crds/budget-period.ts';
import { pricingChecksum, type Price } from '../../crds/pricing.ts';
import { buildApp } from '../../dataplane/src/app.ts';
import { budgetGuard } from '../../dataplane/src/budget/guard.ts';
import { RedisBudgetStore } from '../../dataplane/src/budget/redis-store.ts';
import { Pipeline } from '../../dataplane/src/engine/pipeline/pipeline.ts';
import { createPromptSource } from '../../dataplane/src/engine/prompt-source.ts';
import { Semaphore } from '../../dataplane/src/engine/routing/semaphore.ts';
import { createSafety } from '../../dataplane/src/engine/safety.ts';
import { createServices } from '../../dataplane/src/engine/services.ts';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';
import { startAofRedis, waitFor } from '../batch/support.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { readSse } from '../support/sse.ts';

const SLOW = 'echo?firstMs=300';
const STREAM = 'echo?gapMs=30&chunks=200';
const priced = (model: string, input = '1', output = '2'): Price => ({
  provider: 'mock',
  model,
  effectiveFrom: '2026-01-01T00:00:00Z',
  input,
  output,
});
const prices = [
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
const messages = [{ role: 'user', content: 'hello there' }];
const ESTIMATE_NANO = 25_000;

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

const opened: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

/**
 * A gateway on `redisUrl`. A command fails at the first reconnection that fails (the store-down
 * tests stop Redis under it and expect a prompt 503, not a queue); connection errors are what
 * those tests cause, so they are not logged.
 */
async function gateway(redisUrl = server.url, batchWorkers?: number): Promise<FastifyInstance> {
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

async function ask(
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

async function usage(app: FastifyInstance, tenant: string) {
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

const nano = (usd: string) => Math.round(Number(usd) * 1e9);

describe('a cost limit under concurrency', () => {
  it('serves exactly as many of 200 concurrent requests as the budget admits, and spends no more than it', async () => {
    const app = await gateway();
    const answers = await Promise.all(
      Array.from({ length: 200 }, () =>
        ask(app, 'seven', { model: 'slow', messages, parameters: { max_tokens: 10 } }),
      ),
    );
    const served = answers.filter((answer) => answer.statusCode === 200);
    const refused = answers.filter((answer) => answer.statusCode === 402);
    expect(served).toHaveLength(7);
    expect(refused).toHaveLength(193);
    expect(refused[0]?.json()).toMatchObject({
      error: { code: 'BUDGET_EXCEEDED', details: { limit: 'cost' } },
    });
    expect(Number(refused[0]?.headers['retry-after'])).toBeGreaterThan(0);
    const after = await usage(app, 'seven');
    expect(nano(after.spent.cost_usd)).toBeGreaterThan(0);
    expect(nano(after.spent.cost_usd)).toBeLessThanOrEqual(7 * ESTIMATE_NANO);
    expect(after.reserved).toEqual({ cost_usd: '0', tokens: 0 });
  });

  it('admits the same total through two dataplane processes sharing one Redis', async () => {
    const processes = await Promise.all([startDataplane(), startDataplane()]);
    const token = await config.token({ tenant: 'processes' });
    const body = JSON.stringify({ model: 'slow', messages, parameters: { max_tokens: 10 } });
    const statuses = await Promise.all(
      Array.from({ length: 200 }, async (_, index) => {
        const response = await fetch(`${processes[index % 2]!.url}/api/v1/inference`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'x-request-id': `process-${index}`,
          },
          body,
        });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(7);
    expect(statuses.filter((status) => status === 402)).toHaveLength(193);
    const reader = new Redis(server.url);
    const spend = await reader.hgetall(spendKey('', 'processes', periodAt('monthly', Date.now())));
    await reader.quit();
    expect(Number(spend['cost'])).toBeGreaterThan(0);
    expect(Number(spend['cost'])).toBeLessThanOrEqual(7 * ESTIMATE_NANO);
    expect(Number(spend['held_cost'])).toBe(0);
  });

  it('admits the same total through two gateways in one process sharing one Redis', async () => {
    const [a, b] = [await gateway(), await gateway()];
    const body = { model: 'slow', messages, parameters: { max_tokens: 10 } };
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, index) => ask(index % 2 === 0 ? a : b, 'shared', body)),
    );
    expect(answers.filter((answer) => answer.statusCode === 200)).toHaveLength(7);
    expect(nano((await usage(b, 'shared')).spent.cost_usd)).toBeLessThanOrEqual(7 * ESTIMATE_NANO);
  });
});

describe('one request id', () => {
  it('is charged once over three retries, which get the same answer', async () => {
    const app = await gateway();
    const body = { model: 'chat', messages };
    const first = await ask(app, 'retries', body, 'same-id');
    const once = await usage(app, 'retries');
    const retries = [
      await ask(app, 'retries', body, 'same-id'),
      await ask(app, 'retries', body, 'same-id'),
      await ask(app, 'retries', body, 'same-id'),
    ];
    expect(first.statusCode).toBe(200);
    for (const retry of retries) {
      expect(retry.statusCode).toBe(200);
      expect(retry.json()).toEqual(first.json());
    }
    expect(nano(once.spent.cost_usd)).toBeGreaterThan(0);
    expect(await usage(app, 'retries')).toEqual(once);
  });
});

describe('what a call is charged', () => {
  it('charges a stream cancelled mid-way what it produced, once', async () => {
    const app = await gateway();
    const origin = await listen(app);
    const client = new AbortController();
    const response = await fetch(`${origin}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await config.token({ tenant: 'cancels' })}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ model: 'stream', messages, stream: true }),
      signal: client.signal,
    });
    const events = readSse(response.body!)[Symbol.asyncIterator]();
    for (let read = 0; read < 4; read++) await events.next();
    client.abort();
    const charged = await waitFor('the cancelled stream to be settled', async () => {
      const now = await usage(app, 'cancels');
      return now.reserved.tokens === 0 && now.spent.tokens > 0 ? now : undefined;
    });
    // Five input tokens and a few output tokens, far from the 200-chunk answer.
    expect(charged.spent.tokens).toBeGreaterThan(5);
    expect(charged.spent.tokens).toBeLessThan(60);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await usage(app, 'cancels')).toEqual(charged);
  });

  it('charges nothing for a call the provider failed', async () => {
    const app = await gateway();
    const response = await ask(app, 'fails', { model: 'down', messages });
    expect(response.statusCode).toBe(502);
    expect((await usage(app, 'fails')).spent).toEqual({ cost_usd: '0', tokens: 0 });
    expect((await usage(app, 'fails')).reserved).toEqual({ cost_usd: '0', tokens: 0 });
  });
});

describe('every surface', () => {
  it('charges embeddings for their input', async () => {
    const app = await gateway();
    const response = await ask(
      app,
      'embeds',
      { model: 'chat', input: 'hello there' },
      undefined,
      '/v1/embeddings',
    );
    expect(response.statusCode).toBe(200);
    const spent = (await usage(app, 'embeds')).spent;
    expect(spent.tokens).toBeGreaterThan(0);
    expect(nano(spent.cost_usd)).toBe(spent.tokens * 1000);
  });

  it('charges a batch item, under its own id', async () => {
    const app = await gateway(server.url, 2);
    const submitted = await app.inject({
      method: 'POST',
      url: '/api/v1/batches',
      headers: {
        authorization: `Bearer ${await config.token({ tenant: 'batches' })}`,
        'x-request-id': 'batch-submit',
      },
      payload: { task_id: 'charged', model: 'chat', items: [{ messages }] },
    });
    expect(submitted.statusCode).toBe(202);
    const id = submitted.json<{ id: string }>().id;
    const spent = await waitFor('the batch item to be charged', async () => {
      const now = (await usage(app, 'batches')).spent;
      return now.tokens > 0 ? now : undefined;
    });
    expect(nano(spent.cost_usd)).toBeGreaterThan(0);
    const record = await app.services.redis!.hget(`budget:{batches}:req:${id}-0`, 'state');
    expect(record).toBe('settled');
  });
});

describe('rate limits', () => {
  it('refuses past the token limit with 402 and the token headers', async () => {
    const app = await gateway();
    const body = { model: 'chat', messages, parameters: { max_tokens: 10 } };
    const first = await ask(app, 'tokens', body);
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-ratelimit-limit-tokens']).toBe('20');
    expect(first.headers['ratelimit-policy']).toMatch(/^"tokens";q=20;w=\d+$/);
    const answers = [
      await ask(app, 'tokens', body),
      await ask(app, 'tokens', body),
      await ask(app, 'tokens', body),
    ];
    const refused = answers.find((answer) => answer.statusCode === 402);
    expect(refused?.json()).toMatchObject({
      error: { code: 'BUDGET_EXCEEDED', details: { limit: 'tokens' } },
    });
  });

  it('refuses the third request of a minute with 429, Retry-After and the rate-limit headers', async () => {
    const app = await gateway();
    const first = await ask(app, 'rpm', { model: 'chat', messages });
    const second = await ask(app, 'rpm', { model: 'chat', messages });
    const third = await ask(app, 'rpm', { model: 'chat', messages });
    expect([first.statusCode, second.statusCode, third.statusCode]).toEqual([200, 200, 429]);
    expect(first.headers['ratelimit-policy']).toBe('"requests";q=2;w=60');
    expect(first.headers['ratelimit']).toMatch(/^"requests";r=1;t=\d+$/);
    expect(first.headers['x-ratelimit-limit-requests']).toBe('2');
    expect(first.headers['x-ratelimit-remaining-requests']).toBe('1');
    expect(second.headers['x-ratelimit-remaining-requests']).toBe('0');
    expect(third.json()).toMatchObject({
      error: { code: 'RATE_LIMITED', details: { limit: 'requests' } },
    });
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    expect(third.headers['x-ratelimit-remaining-requests']).toBe('0');
  });

  it('holds one concurrent stream and refuses a second until the first ends', async () => {
    const app = await gateway();
    const origin = await listen(app);
    const token = await config.token({ tenant: 'streams' });
    const open = (signal?: AbortSignal) =>
      fetch(`${origin}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'stream', messages, stream: true }),
        ...(signal === undefined ? {} : { signal }),
      });
    const holder = new AbortController();
    const first = await open(holder.signal);
    expect(first.status).toBe(200);
    const second = await open();
    expect(second.status).toBe(429);
    expect(await second.json()).toMatchObject({ error: { details: { limit: 'streams' } } });
    holder.abort();
    await waitFor('the stream to be released', async () => {
      const again = await ask(app, 'streams', { model: 'chat', messages });
      return again.statusCode === 200 ? true : undefined;
    });
  });
});

describe('prices', () => {
  it('refuses a model without a price for a tenant with a cost limit', async () => {
    const app = await gateway();
    const response = await ask(app, 'priced-only', { model: 'unpriced', messages });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.message).toContain('has no price');
  });

  it('serves it where the tenant has no cost limit, saying the cost is unknown', async () => {
    const app = await gateway();
    const response = await ask(app, 'rate-only', { model: 'unpriced', messages });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-inference-cost-usd']).toBe('unknown');
  });

  it('says what a priced answer cost', async () => {
    const app = await gateway();
    const response = await ask(app, 'priced-only', { model: 'chat', messages });
    expect(Number(response.headers['x-inference-cost-usd'])).toBeGreaterThan(0);
  });

  it('keeps the pricing checksum with the charge', async () => {
    const app = await gateway();
    await ask(app, 'priced-only', { model: 'chat', messages }, 'priced-charge');
    const record = await app.services.redis!.hgetall('budget:{priced-only}:req:priced-charge');
    expect(record).toMatchObject({ state: 'settled', pricing: pricingChecksum(prices) });
    expect(Number(record['charged'])).toBeGreaterThan(0);
  });
});

describe('the store down', () => {
  /**
   * The pipeline with the guard on a Redis that cannot be reached (a closed port), and the
   * gateway's own prompt, safety and routing: a gateway process with its Redis gone would need
   * its batch queue to close, which waits for Redis (noticed, not the guard's doing).
   */
  async function pipelineWithRedisDown() {
    const services = await createServices({
      configDirs: [config.dir],
      watch: false,
      defaultMetrics: false,
    });
    opened.push(() => services.close());
    const dead = new Redis('redis://127.0.0.1:1', {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    dead.on('error', () => undefined);
    opened.push(async () => {
      dead.disconnect();
    });
    const snapshot = () => services.snapshot();
    return new Pipeline({
      snapshot,
      router: services.router,
      semaphore: new Semaphore({ limit: 4, queueTimeoutMs: 0 }),
      prompts: createPromptSource(services.prompts),
      safety: createSafety(() => services.snapshot().gateway.safety),
      stages: [budgetGuard({ store: new RedisBudgetStore(dead), snapshot })],
    });
  }
  const context = (tenant: string) => ({
    requestId: `down-${tenant}`,
    tenant,
    surface: 'inference' as const,
    signal: new AbortController().signal,
    deadlineMs: 10_000,
  });

  it('refuses with BUDGET_UNAVAILABLE (503), never a free pass', async () => {
    const pipeline = await pipelineWithRedisDown();
    const refusal = pipeline.complete(context('strict'), {
      model: 'chat',
      messages: [{ role: 'user', content: 'hello there' }],
    });
    await expect(refusal).rejects.toMatchObject({
      code: 'BUDGET_UNAVAILABLE',
      status: 503,
      retryAfterS: 1,
    });
  });

  it('serves a tenant whose budget says failOpen', async () => {
    const pipeline = await pipelineWithRedisDown();
    const answer = await pipeline.complete(context('open'), {
      model: 'chat',
      messages: [{ role: 'user', content: 'hello there' }],
    });
    expect(answer.text).toBe('Echo: hello there');
  });
});

describe('Degrade', () => {
  it('serves a request past the limit from the cheaper alias, and says so', async () => {
    const app = await gateway();
    const response = await ask(app, 'degrades', {
      model: 'chat',
      messages,
      parameters: { max_tokens: 10 },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ model: 'cheap' });
    expect(response.headers['x-budget-degraded']).toBe('chat -> cheap');
  });

  it('says so in the done event of a native stream', async () => {
    const app = await gateway();
    const response = await ask(
      app,
      'degrades',
      { model: 'chat', messages, parameters: { max_tokens: 10 } },
      'degraded-stream',
      '/api/v1/inference:stream',
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-budget-degraded']).toBe('chat -> cheap');
    const done = response.body.split('\n\n').find((frame) => frame.includes('event: done'));
    expect(done).toContain('"degraded_from":"chat"');
  });
});

/** `node dataplane/src/main.ts` on the test's contract and Redis, stopped by its PID. */
async function startDataplane(): Promise<{ url: string }> {
  const child = spawn(process.execPath, ['dataplane/src/main.ts'], {
    cwd: join(import.meta.dirname, '../..'),
    env: {
      ...process.env,
      CONFIG_DIR: config.dir,
      REDIS_URL: server.url,
      PORT: '0',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  opened.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await waitFor('the dataplane to listen', () => {
    if (child.exitCode !== null) throw new Error(`The dataplane exited early:\n${output}`);
    return /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  });
  return { url };
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

describe('Redis restarted mid-load', () => {
  it('settles the calls in flight once Redis is back, charging each once, and refuses new ones meanwhile', async () => {
    const aof = await startAofRedis();
    opened.push(() => aof.stop());
    const app = await gateway(aof.url);
    const body = { model: 'slow', messages, parameters: { max_tokens: 10 } };
    const inFlight = Array.from({ length: 5 }, (_, index) =>
      ask(app, 'restarts', body, `restart-${index}`),
    );
    await waitFor('the five reservations', async () =>
      (await usage(app, 'restarts')).reserved.tokens === 5 * 15 ? true : undefined,
    );
    await aof.kill();
    const meanwhile = await ask(app, 'restarts', body, 'while-down');
    expect(meanwhile.statusCode).toBe(503);
    expect(meanwhile.json()).toMatchObject({ error: { code: 'BUDGET_UNAVAILABLE' } });
    const answers = await Promise.all(inFlight);
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200, 200, 200]);
    await aof.restart();
    const settled = await waitFor('the five settlements after the restart', async () => {
      const now = await usage(app, 'restarts').catch(() => undefined);
      return now !== undefined && now.reserved.tokens === 0 && now.spent.tokens > 0
        ? now
        : undefined;
    });
    // Each answer cost the same (the mock is deterministic): five of them, no more.
    const one = nano(answers[0]!.headers['x-inference-cost-usd'] as string);
    expect(nano(settled.spent.cost_usd)).toBe(5 * one);
    await sleep(1500);
    expect(await usage(app, 'restarts')).toEqual(settled);
  }, 30_000);
});
