/** The Groq adapter (groq-sdk) against the OpenAI fake in Groq's dialect, under /openai/v1. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGroqProvider } from '../../dataplane/src/providers/groq/groq.ts';
import {
  groqWaitMs,
  parseGroqDuration,
  RateLimitEscalation,
} from '../../dataplane/src/providers/groq/rate-limit.ts';
import type { FakeServer } from '../fakes/fake-server.ts';
import { chatStream, createOpenAIFake, OPENAI_ERRORS } from '../fakes/openai-fake.ts';
import { collectStream, failure } from './collect.ts';

let fake: FakeServer;
const CHAT = '/openai/v1/chat/completions';
// The model id is whatever the route names; nothing in the adapter knows Groq's catalogue.
const request = {
  model: 'configured-model-id',
  messages: [{ role: 'user' as const, content: 'hi groq' }],
};

beforeAll(async () => {
  fake = await createOpenAIFake({ name: 'groq', prefix: '/openai/v1', groq: true });
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.reset();
});

describe('the Groq adapter', () => {
  it('streams with the configured model id and reads usage from x_groq', async () => {
    const groq = createGroqProvider({ baseURL: fake.url, apiKey: 'gsk_test' });
    fake.script(
      CHAT,
      chatStream(['Fast', ' answer'], { groq: true, usage: { prompt: 11, completion: 2 } }),
    );
    const { text, done } = await collectStream(groq, { ...request, maxTokens: 9 });
    expect(text).toBe('Fast answer');
    expect(done.usage).toEqual({ inputTokens: 11, outputTokens: 2, cachedTokens: 0 });
    const [seen] = fake.seen(CHAT);
    expect(seen?.headers.authorization).toBe('Bearer gsk_test');
    expect(seen?.body).toMatchObject({ model: 'configured-model-id', max_tokens: 9, stream: true });
  });

  it('backs off harder on each consecutive rate limit, and starts over after a success', async () => {
    const groq = createGroqProvider({
      baseURL: fake.url,
      apiKey: 'k',
      escalation: new RateLimitEscalation(100, 1000),
    });
    fake.script(
      CHAT,
      OPENAI_ERRORS.rateLimited({}),
      OPENAI_ERRORS.rateLimited({}),
      OPENAI_ERRORS.rateLimited({ 'retry-after': '2' }),
      chatStream(['ok'], { groq: true }),
      OPENAI_ERRORS.rateLimited({}),
    );
    expect(await failure(groq, request)).toMatchObject({
      code: 'UPSTREAM_RATE_LIMITED',
      retryAfterMs: 100,
    });
    expect(await failure(groq, request)).toMatchObject({ retryAfterMs: 200 });
    expect(await failure(groq, request)).toMatchObject({ retryAfterMs: 2000 });
    await collectStream(groq, request);
    expect(await failure(groq, request)).toMatchObject({ retryAfterMs: 100 });
  });

  it('maps its other errors like OpenAI', async () => {
    const groq = createGroqProvider({ baseURL: fake.url, apiKey: 'k' });
    fake.script(CHAT, OPENAI_ERRORS.invalidKey, OPENAI_ERRORS.overloaded);
    expect(await failure(groq, request)).toMatchObject({
      code: 'UPSTREAM_AUTH',
      details: { provider: 'groq' },
    });
    expect(await failure(groq, request)).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
  });
});

describe("Groq's rate-limit headers", () => {
  it('parse durations as Groq writes them', () => {
    expect(parseGroqDuration('2m59.56s')).toBeCloseTo(179_560);
    expect(parseGroqDuration('7.66s')).toBeCloseTo(7660);
    expect(parseGroqDuration('1h2m3s')).toBe(3_723_000);
    expect(parseGroqDuration('250ms')).toBe(250);
    expect(parseGroqDuration('soon')).toBeUndefined();
    expect(parseGroqDuration(null)).toBeUndefined();
  });

  it('wait for retry-after first, otherwise for the reset of the exhausted limit', () => {
    expect(groqWaitMs(new Headers({ 'retry-after': '4', 'x-ratelimit-reset-tokens': '9s' }))).toBe(
      4000,
    );
    const exhausted = new Headers({
      'x-ratelimit-remaining-requests': '12',
      'x-ratelimit-reset-requests': '1m',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '7.5s',
    });
    expect(groqWaitMs(exhausted)).toBe(7500);
    expect(groqWaitMs(new Headers())).toBeUndefined();
    expect(groqWaitMs(undefined)).toBeUndefined();
  });
});
