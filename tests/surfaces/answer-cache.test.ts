/**
 * The exact answer cache of a route, in memory (the embedded mode) and in Redis (shared by
 * replicas): an equal request of the same tenant gets the earlier answer without a provider
 * call and at no cost, whole or replayed as a stream; sampled requests, requests for logprobs,
 * Cache-Control and other tenants bypass it; every answer says which (`x-cache`). A store that
 * Redis refuses is a miss or an answer not kept, never a failed request, and is counted.
 */
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';
import type { FakeServer } from '../fakes/fake-server.ts';
import { createOpenAIFake } from '../fakes/openai-fake.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

const CHAT = '/v1/chat/completions';
let fake: FakeServer;
let config: ConfigDir;
let server: RedisServer;
let redis: Redis;

const target = () => ({
  name: 'gpt',
  provider: 'openai',
  model: 'gpt-fake',
  baseURL: `${fake.url}/v1`,
  credentials: { secretKeyRef: { name: 'openai', key: 'api-key' } },
});

beforeAll(async () => {
  [fake, server] = await Promise.all([createOpenAIFake(), startRedis()]);
  redis = new Redis(server.url);
  config = await makeConfigDir({
    gateway: {
      defaultModel: 'cached',
      safety: { sanitize: false, pii: 'off', piiOutput: 'off' },
      // An agent whose profile bounds max_tokens: what reaches the provider is not what was sent.
      agents: { profiles: { support: { models: ['cached'], maxOutputTokens: 16 } } },
    },
    routes: {
      routes: [
        { alias: 'cached', targets: [target()], cache: { ttlS: 60 }, retry: { maxAttempts: 1 } },
        { alias: 'sampled', targets: [target()], cache: { ttlS: 60, sampled: true } },
        { alias: 'plain', targets: [target()] },
      ],
    },
  });
  await config.write('credentials/openai__api-key', 'sk-test');
});

afterAll(async () => {
  redis.disconnect();
  await Promise.all([fake.stop(), server.stop(), config.cleanup()]);
});

beforeEach(() => {
  fake.reset();
});

describe.each([
  ['in memory', () => ({})],
  ['in Redis', () => ({ redis })],
] as const)('the answer cache %s', (_where, store) => {
  let app: FastifyInstance;
  let tenant: string;
  let token: string;

  beforeAll(async () => {
    app = await buildApp({
      configDirs: [config.dir],
      watch: false,
      defaultMetrics: false,
      ...store(),
    });
    tenant = `t-${Math.random()}`;
    token = await config.token({ tenant });
  });

  afterAll(() => app.close());

  const ask = (body: object, headers: Record<string, string> = {}, bearer = token) =>
    app.inject({
      method: 'POST',
      url: CHAT,
      headers: { authorization: `Bearer ${bearer}`, ...headers },
      payload: {
        model: 'cached',
        temperature: 0,
        messages: [{ role: 'user', content: 'tides' }],
        ...body,
      },
    });

  it('answers an equal request from the cache, at no cost, whole and as a stream', async () => {
    const first = await ask({ messages: [{ role: 'user', content: 'first question' }] });
    const again = await ask({ messages: [{ role: 'user', content: 'first question' }] });
    expect(first.headers['x-cache']).toBe('MISS');
    expect(again.headers['x-cache']).toBe('HIT');
    expect(fake.seen(CHAT)).toHaveLength(1);
    type Completion = {
      choices: { message: { content: string } }[];
      usage: {
        prompt_tokens: number;
        completion_tokens: number;
        prompt_tokens_details: { cached_tokens: number };
      };
    };
    const [miss, hit] = [first.json<Completion>(), again.json<Completion>()];
    expect(hit.choices[0]?.message.content).toBe(miss.choices[0]?.message.content);
    expect(hit.usage.prompt_tokens_details.cached_tokens).toBe(hit.usage.prompt_tokens);
    const streamed = await ask({
      stream: true,
      messages: [{ role: 'user', content: 'first question' }],
    });
    expect(streamed.headers['x-cache']).toBe('HIT');
    const text = streamed.body
      .split('\n\n')
      .filter((frame) => frame.startsWith('data: {'))
      .map((frame) => JSON.parse(frame.slice(6)) as { choices: { delta: { content?: string } }[] })
      .map((chunk) => chunk.choices[0]?.delta.content ?? '')
      .join('');
    expect(text).toBe(miss.choices[0]?.message.content);
    expect(fake.seen(CHAT)).toHaveLength(1);
    const counted = await app.services.metrics.registry.getSingleMetricAsString(
      'inference_answer_cache_total',
    );
    expect(counted).toContain('route="cached",result="HIT"} 2');
    // Only the miss spent tokens: the hits called no provider.
    const spent = await app.services.metrics.registry
      .getSingleMetric('inference_budget_tokens_total')
      ?.get();
    const total = spent?.values.reduce((sum, { value }) => sum + value, 0);
    expect(total).toBe(miss.usage.prompt_tokens + miss.usage.completion_tokens);
  });

  it("keeps an agent's answer apart from a plain caller's, since its profile shapes the request", async () => {
    const agent = await config.token({ tenant, extra: { agent_type: 'support' } });
    const question = { max_tokens: 200, messages: [{ role: 'user', content: 'shaped question' }] };
    const plain = await ask(question);
    const asAgent = await ask(question, {}, agent);
    const agentAgain = await ask(question, {}, agent);
    expect([plain, asAgent, agentAgain].map((r) => r.headers['x-cache'])).toEqual([
      'MISS',
      'MISS',
      'HIT',
    ]);
    const sent = fake.seen(CHAT).map((request) => request.body as Record<string, unknown>);
    expect(sent.map((body) => body['max_completion_tokens'] ?? body['max_tokens'])).toEqual([
      200, 16,
    ]);
  });

  it('keeps the answer of a streamed miss for a whole request', async () => {
    const streamed = await ask({
      stream: true,
      messages: [{ role: 'user', content: 'streamed first' }],
    });
    expect(streamed.headers['x-cache']).toBe('MISS');
    const whole = await ask({ messages: [{ role: 'user', content: 'streamed first' }] });
    expect(whole.headers['x-cache']).toBe('HIT');
    expect(whole.json().choices[0].message.content).toBe('openai: streamed first');
    expect(fake.seen(CHAT)).toHaveLength(1);
  });

  it('bypasses sampled answers unless the route opts in, and what the client asks to skip', async () => {
    const sampled = await ask({
      temperature: 0.7,
      messages: [{ role: 'user', content: 'a poem' }],
    });
    const unnamed = await ask({
      temperature: undefined,
      messages: [{ role: 'user', content: 'a poem' }],
    });
    expect([sampled.headers['x-cache'], unnamed.headers['x-cache']]).toEqual(['BYPASS', 'BYPASS']);
    const optedIn = ['MISS', 'HIT'];
    for (const expected of optedIn) {
      const answer = await ask({
        model: 'sampled',
        temperature: 0.7,
        messages: [{ role: 'user', content: 'a poem' }],
      });
      expect(answer.headers['x-cache']).toBe(expected);
    }
    const noCache = await ask(
      { model: 'sampled', temperature: 0.7, messages: [{ role: 'user', content: 'a poem' }] },
      { 'cache-control': 'no-cache' },
    );
    expect(noCache.headers['x-cache']).toBe('BYPASS');
    const noStore = await ask(
      { messages: [{ role: 'user', content: 'secret' }] },
      { 'cache-control': 'no-store' },
    );
    const after = await ask({ messages: [{ role: 'user', content: 'secret' }] });
    expect([noStore.headers['x-cache'], after.headers['x-cache']]).toEqual(['BYPASS', 'MISS']);
    expect(fake.seen(CHAT)).toHaveLength(6);
  });

  it('bypasses a request for logprobs: a kept answer holds no tokens', async () => {
    const content = 'how likely';
    type Answer = { choices: { logprobs: { content: unknown[] } | null }[] };
    const asked = [];
    for (let i = 0; i < 2; i++) {
      const answer = await ask({ messages: [{ role: 'user', content }], logprobs: true });
      expect(answer.headers['x-cache']).toBe('BYPASS');
      asked.push(answer.json<Answer>().choices[0]?.logprobs?.content);
    }
    expect(asked[0]).toHaveLength(3);
    expect(asked[1]).toEqual(asked[0]);
    const plain = [];
    for (let i = 0; i < 2; i++) {
      const answer = await ask({ messages: [{ role: 'user', content }] });
      plain.push([answer.headers['x-cache'], answer.json<Answer>().choices[0]?.logprobs]);
    }
    expect(plain).toEqual([
      ['MISS', null],
      ['HIT', null],
    ]);
    // The cached answer (without tokens) is not a logprobs request's answer.
    const after = await ask({
      messages: [{ role: 'user', content }],
      logprobs: true,
      stream: true,
    });
    expect(after.headers['x-cache']).toBe('BYPASS');
    expect(after.body).toContain('"top_logprobs":[]');
    expect(fake.seen(CHAT)).toHaveLength(4);
  });

  it("never gives one tenant another's answer, and says nothing on a route without a cache", async () => {
    await ask({ messages: [{ role: 'user', content: 'shared words' }] });
    const other = await config.token({ tenant: `other-${Math.random()}` });
    const theirs = await ask({ messages: [{ role: 'user', content: 'shared words' }] }, {}, other);
    expect(theirs.headers['x-cache']).toBe('MISS');
    const plain = await ask({ model: 'plain' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['x-cache']).toBeUndefined();
  });
});

describe('the answer cache in Redis, when Redis refuses', () => {
  let app: FastifyInstance;
  let token: string;

  beforeAll(async () => {
    app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false, redis });
    token = await config.token({ tenant: `errors-${Math.random()}` });
  });

  afterAll(() => app.close());

  const ask = (content: string) =>
    app.inject({
      method: 'POST',
      url: CHAT,
      headers: { authorization: `Bearer ${token}` },
      payload: { model: 'cached', temperature: 0, messages: [{ role: 'user', content }] },
    });
  const errors = async (op: string) =>
    (
      await app.services.metrics.registry
        .getSingleMetric('inference_answer_cache_errors_total')
        ?.get()
    )?.values.find((value) => value.labels['op'] === op)?.value ?? 0;

  it('answers a lookup that failed as a miss, and counts it (op get)', async () => {
    await ask('kept then broken');
    const keys = await eventuallyKeys();
    // The kept answer becomes a list: Redis refuses GET on it (WRONGTYPE).
    for (const key of keys) await redis.del(key);
    await Promise.all(keys.map((key) => redis.lpush(key, 'not an answer')));
    const answer = await ask('kept then broken');
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['x-cache']).toBe('MISS');
    expect(await errors('get')).toBe(1);
    await Promise.all(keys.map((key) => redis.del(key)));
  });

  it('answers when the answer cannot be kept, and counts it (op set)', async () => {
    // Redis refuses SET (NOPERM), the command the cache keeps answers with, and only it.
    const admin = new Redis(server.url);
    await admin.call('ACL', 'SETUSER', 'default', '-set');
    try {
      const answer = await ask('too much to keep');
      expect(answer.statusCode).toBe(200);
      expect(answer.headers['x-cache']).toBe('MISS');
      await expect.poll(() => errors('set')).toBe(1);
    } finally {
      await admin.call('ACL', 'SETUSER', 'default', '+set');
      admin.disconnect();
    }
  });

  /** The keys of this tenant's kept answers, once the background write has landed. */
  async function eventuallyKeys(): Promise<string[]> {
    let keys: string[] = [];
    await expect
      .poll(async () => {
        keys = (await redis.keys('*cache:*')).filter((key) => key.includes('{errors-'));
        return keys.length;
      })
      .toBeGreaterThan(0);
    return keys;
  }
});
