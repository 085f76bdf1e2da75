/**
 * `logprobs` and `top_logprobs` on Chat Completions, end to end with the official `openai`
 * client: an OpenAI-format target gets them and its tokens' log-probabilities come back as it
 * sent them, whole, per chunk in a stream, and per choice with `n`; a target that cannot return
 * them (Anthropic, Groq, a server that ignores the parameter) refuses them by name, so a chain
 * goes on to one that can; a gateway that filters answers refuses them before any call.
 */
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { createAnthropicFake } from '../fakes/anthropic-fake.ts';
import type { FakeServer } from '../fakes/fake-server.ts';
import { chatStream, createOpenAIFake, fakeLogprob } from '../fakes/openai-fake.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

const CHAT = '/v1/chat/completions';
let openai: FakeServer;
let anthropic: FakeServer;
let config: ConfigDir;
let app: FastifyInstance;
let client: OpenAI;

const credentials = { secretKeyRef: { name: 'keys', key: 'k' } };
const gpt = () => ({
  name: 'gpt',
  provider: 'openai',
  model: 'gpt-fake',
  baseURL: `${openai.url}/v1`,
  credentials,
});
const claude = () => ({
  name: 'claude',
  provider: 'anthropic',
  model: 'claude-fake',
  baseURL: anthropic.url,
  credentials,
});

beforeAll(async () => {
  [openai, anthropic] = await Promise.all([createOpenAIFake(), createAnthropicFake()]);
  config = await makeConfigDir({
    gateway: { defaultModel: 'gpt', safety: { sanitize: false, pii: 'off', piiOutput: 'off' } },
    routes: {
      routes: [
        { alias: 'gpt', targets: [gpt()], retry: { maxAttempts: 1 } },
        { alias: 'claude', targets: [claude()], retry: { maxAttempts: 1 } },
        { alias: 'claude-then-gpt', targets: [claude(), gpt()], retry: { maxAttempts: 1 } },
        { alias: 'echo', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
        {
          alias: 'continued',
          targets: [
            { name: 'breaks', provider: 'mock', model: 'echo?failAfter=2' },
            { name: 'echo', provider: 'mock', model: 'echo' },
          ],
          retry: { maxAttempts: 1 },
          midStreamFailure: 'Continue',
        },
      ],
    },
  });
  await config.write('credentials/keys__k', 'key-test');
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: await config.token(), maxRetries: 0 });
});

afterAll(async () => {
  await app.close();
  await Promise.all([openai.stop(), anthropic.stop(), config.cleanup()]);
});

beforeEach(() => {
  openai.reset();
  anthropic.reset();
});

const messages = [{ role: 'user' as const, content: 'tell me' }];
/** The fake answers "openai: tell me", a token a word. */
const WORDS = ['openai:', ' tell', ' me'];
const expected = (top: number) => WORDS.map((word, index) => fakeLogprob(word, index, top));

describe('logprobs through an OpenAI-format target', () => {
  it('passes them on and returns the whole answer’s tokens as the target sent them', async () => {
    const answer = await client.chat.completions.create({
      model: 'gpt',
      messages,
      logprobs: true,
      top_logprobs: 2,
    });
    expect(openai.seen(CHAT)[0]?.body).toMatchObject({ logprobs: true, top_logprobs: 2 });
    expect(answer.choices[0]?.logprobs).toEqual({ content: expected(2), refusal: null });
  });

  it('returns each chunk’s tokens in a stream, which the client joins into the answer’s', async () => {
    const stream = client.chat.completions.stream({
      model: 'gpt',
      messages,
      logprobs: true,
      top_logprobs: 1,
    });
    const perChunk: unknown[][] = [];
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.logprobs?.content;
      if (content != null && content.length > 0) perChunk.push(content);
    }
    expect(perChunk).toEqual(expected(1).map((token) => [token]));
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.logprobs?.content).toEqual(expected(1));
  });

  it('gives each of n choices its own tokens, whole and streamed', async () => {
    const whole = await client.chat.completions.create({
      model: 'gpt',
      messages,
      n: 2,
      logprobs: true,
    });
    expect(whole.choices.map((choice) => choice.logprobs?.content)).toEqual([
      expected(0),
      expected(0),
    ]);
    const stream = await client.chat.completions.create({
      model: 'gpt',
      messages,
      n: 2,
      logprobs: true,
      stream: true,
    });
    const byChoice: unknown[][] = [[], []];
    for await (const chunk of stream) {
      for (const choice of chunk.choices)
        byChoice[choice.index]?.push(...(choice.logprobs?.content ?? []));
    }
    expect(byChoice).toEqual([expected(0), expected(0)]);
  });

  it('answers logprobs: null when none are asked for', async () => {
    const answer = await client.chat.completions.create({ model: 'gpt', messages });
    expect(answer.choices[0]?.logprobs).toBeNull();
    expect(openai.seen(CHAT)[0]?.body).not.toHaveProperty('logprobs');
  });

  it('refuses them by name when the server answers without them (it ignored the parameter)', async () => {
    openai.script(CHAT, chatStream(WORDS));
    const failure = await client.chat.completions
      .create({ model: 'gpt', messages, logprobs: true, stream: true })
      .then(async (stream) => {
        for await (const chunk of stream) expect(chunk).toBeDefined();
      })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      status: 400,
      error: { code: 'UPSTREAM_BAD_REQUEST', param: 'logprobs' },
    });
  });
});

describe('a target that cannot return logprobs', () => {
  it('refuses them by name, before any call', async () => {
    const failure = await client.chat.completions
      .create({ model: 'claude', messages, logprobs: true })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      status: 400,
      error: { code: 'UPSTREAM_BAD_REQUEST', param: 'logprobs' },
    });
    expect(anthropic.seen('/v1/messages')).toHaveLength(0);
  });

  it('is skipped by a chain, which answers from the next target that can', async () => {
    const answer = await client.chat.completions.create({
      model: 'claude-then-gpt',
      messages,
      logprobs: true,
    });
    expect(answer.choices[0]?.logprobs?.content).toEqual(expected(0));
    expect(anthropic.seen('/v1/messages')).toHaveLength(0);
    expect(openai.seen(CHAT)).toHaveLength(1);
    const plain = await client.chat.completions.create({ model: 'claude-then-gpt', messages });
    expect(plain.choices[0]?.message.content).toMatch(/^anthropic/);
  });
});

describe('the mock provider', () => {
  it('is certain of each word: log-probability 0, its only alternative itself', async () => {
    const answer = await client.chat.completions.create({
      model: 'echo',
      messages: [{ role: 'user', content: 'hi' }],
      logprobs: true,
      top_logprobs: 3,
    });
    const token = (text: string) => ({
      token: text,
      logprob: 0,
      bytes: [...Buffer.from(text, 'utf8')],
    });
    expect(answer.choices[0]?.logprobs?.content).toEqual([
      { ...token('Echo:'), top_logprobs: [token('Echo:')] },
      { ...token(' hi'), top_logprobs: [token(' hi')] },
    ]);
  });

  it('returns the tokens of every target of an answer continued after a mid-stream failure', async () => {
    const ask = {
      model: 'continued',
      messages: [{ role: 'user' as const, content: 'one two three' }],
      logprobs: true,
    };
    const whole = await client.chat.completions.create(ask);
    const tokens = whole.choices[0]?.logprobs?.content?.map((token) => token.token);
    expect(tokens).toEqual(['Echo:', ' one', ' two', ' three']);
    expect(tokens?.join('')).toBe(whole.choices[0]?.message.content);
    const stream = client.chat.completions.stream({ ...ask, stream: true });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.logprobs?.content?.map((token) => token.token)).toEqual(tokens);
  });
});

describe('logprobs asked for wrongly', () => {
  it.each([
    ['top_logprobs without logprobs', { top_logprobs: 2 }, 'top_logprobs'],
    ['top_logprobs with logprobs: false', { logprobs: false, top_logprobs: 2 }, 'top_logprobs'],
    ['top_logprobs above 20', { logprobs: true, top_logprobs: 21 }, 'top_logprobs'],
  ])('refuses %s naming it', async (_what, extra, param) => {
    const response = await app.inject({
      method: 'POST',
      url: CHAT,
      headers: { authorization: `Bearer ${await config.token()}` },
      payload: { model: 'gpt', messages, ...extra },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'BAD_REQUEST', param } });
    expect(openai.seen(CHAT)).toHaveLength(0);
  });

  it('takes logprobs: false and top_logprobs: 0 as asking for nothing', async () => {
    const answer = await client.chat.completions.create({
      model: 'gpt',
      messages,
      logprobs: false,
      top_logprobs: 0,
    });
    expect(answer.choices[0]?.logprobs).toBeNull();
  });
});

describe('a gateway that filters answers (safety.piiOutput: redact)', () => {
  let filtered: FastifyInstance;
  let filteredConfig: ConfigDir;

  beforeAll(async () => {
    filteredConfig = await makeConfigDir({
      gateway: {
        defaultModel: 'gpt',
        safety: { sanitize: false, pii: 'off', piiOutput: 'redact' },
      },
      routes: { routes: [{ alias: 'gpt', targets: [gpt()], retry: { maxAttempts: 1 } }] },
    });
    await filteredConfig.write('credentials/keys__k', 'key-test');
    filtered = await buildApp({
      configDirs: [filteredConfig.dir],
      watch: false,
      defaultMetrics: false,
    });
  });

  afterAll(async () => {
    await filtered.close();
    await filteredConfig.cleanup();
  });

  it('refuses logprobs before any call (its tokens would carry the unredacted text)', async () => {
    const ask = async (extra: object) =>
      filtered.inject({
        method: 'POST',
        url: CHAT,
        headers: { authorization: `Bearer ${await filteredConfig.token()}` },
        payload: { model: 'gpt', messages, ...extra },
      });
    for (const stream of [false, true]) {
      const refused = await ask({ logprobs: true, stream });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ error: { code: 'BAD_REQUEST', param: 'logprobs' } });
    }
    expect(openai.seen(CHAT)).toHaveLength(0);
    const plain = await ask({});
    expect(plain.statusCode).toBe(200);
    expect(plain.json().choices[0].logprobs).toBeNull();
  });
});
