/**
 * The budget guard through the gateway (buildApp), on a real redis-server: exact admission
 * under concurrency (one gateway and two sharing Redis), one charge per request id, what a
 * cancelled or failed call is charged, rate limits with their headers, the store down, prices
 * missing, and Degrade.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { periodAt, spendKey } from '../../crds/budget-period.ts';
import { pricingChecksum } from '../../crds/pricing.ts';
import { waitFor } from '../batch/support.ts';
import { readSse } from '../support/sse.ts';
import {
  ask,
  budgetSuite,
  ESTIMATE_NANO,
  gateway,
  listen,
  messages,
  nano,
  prices,
  startDataplane,
  usage,
} from './support.ts';

const suite = budgetSuite();

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
    const token = await suite.config().token({ tenant: 'processes' });
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
    const reader = new Redis(suite.redisUrl());
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
        authorization: `Bearer ${await suite.config().token({ tenant: 'cancels' })}`,
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
    const app = await gateway(suite.redisUrl(), 2);
    const submitted = await app.inject({
      method: 'POST',
      url: '/api/v1/batches',
      headers: {
        authorization: `Bearer ${await suite.config().token({ tenant: 'batches' })}`,
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
    const token = await suite.config().token({ tenant: 'streams' });
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
