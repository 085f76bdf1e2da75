/**
 * End to end: clients call the gateway over HTTP, SSE and the official openai client; the
 * gateway calls the provider fakes. Each test asserts what the client received and what each
 * fake saw: fallback, retries honouring Retry-After, circuit breakers, stalls, mid-stream
 * failures (Error and Continue), credentials, tools, images, embeddings and the local model.
 */
import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { ANTHROPIC_ERRORS, createAnthropicFake, messageStream } from '../fakes/anthropic-fake.ts';
import type { FakeServer } from '../fakes/fake-server.ts';
import {
  chatChunks,
  chatCompletion,
  chatStream,
  createOpenAIFake,
  OPENAI_ERRORS,
} from '../fakes/openai-fake.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { readSse, type SseEvent } from '../support/sse.ts';

let openaiFake: FakeServer;
let anthropicFake: FakeServer;
let groqFake: FakeServer;
let config: ConfigDir;
let app: FastifyInstance;
let base: string;
let token: string;
let client: OpenAI;
const CHAT = '/v1/chat/completions';
const MESSAGES = '/v1/messages';

beforeAll(async () => {
  [openaiFake, anthropicFake, groqFake] = await Promise.all([
    createOpenAIFake(),
    createAnthropicFake(),
    createOpenAIFake({ name: 'groq', prefix: '/openai/v1', groq: true }),
  ]);
  const openai = (name: string, extra: object = {}) => ({
    name,
    provider: 'openai',
    model: 'gpt-fake',
    baseURL: `${openaiFake.url}/v1`,
    credentials: { secretKeyRef: { name: 'openai', key: 'api-key' } },
    ...extra,
  });
  const anthropic = {
    name: 'claude',
    provider: 'anthropic',
    model: 'claude-fake',
    baseURL: anthropicFake.url,
    credentials: { secretKeyRef: { name: 'anthropic', key: 'api-key' } },
  };
  const once = { maxAttempts: 1 };
  config = await makeConfigDir({
    gateway: {
      defaultModel: 'chat',
      streams: { heartbeatMs: 60_000 },
      safety: { sanitize: false, pii: 'off', piiOutput: 'off' },
    },
    routes: {
      routes: [
        { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
        { alias: 'fallback', targets: [openai('gpt'), anthropic], retry: once },
        {
          alias: 'retrying',
          targets: [openai('gpt')],
          retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2000 },
        },
        {
          alias: 'breaker',
          targets: [openai('gpt'), anthropic],
          retry: once,
          circuitBreaker: { failureThreshold: 2, openMs: 60_000 },
        },
        { alias: 'stalling', targets: [openai('gpt', { timeoutMs: 300 }), anthropic], retry: once },
        { alias: 'midstream-error', targets: [openai('gpt'), anthropic], retry: once },
        {
          alias: 'midstream-continue',
          targets: [openai('gpt'), anthropic],
          retry: once,
          midStreamFailure: 'Continue',
        },
        { alias: 'claude', targets: [anthropic], retry: once },
        {
          alias: 'groq',
          targets: [
            {
              name: 'groq',
              provider: 'groq',
              modelFrom: { env: 'GROQ_TEST_MODEL' },
              baseURL: groqFake.url,
              credentials: { secretKeyRef: { name: 'groq', key: 'api-key' } },
            },
          ],
          retry: once,
        },
        { alias: 'embed', targets: [{ ...openai('embedder'), model: 'text-embedding-fake' }] },
        { alias: 'tiny', targets: [{ name: 'tiny', provider: 'local', model: 'tiny' }] },
      ],
    },
  });
  await config.write('credentials/openai__api-key', 'sk-from-secret\n');
  await config.write('credentials/anthropic__api-key', 'sk-ant-from-secret');
  await config.write('credentials/groq__api-key', 'gsk-from-secret');
  app = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    env: { GROQ_TEST_MODEL: 'model-from-helm-values' },
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  token = await config.token();
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: token, maxRetries: 0 });
});

afterAll(async () => {
  await app.close();
  await Promise.all([openaiFake.stop(), anthropicFake.stop(), groqFake.stop(), config.cleanup()]);
});

beforeEach(() => {
  openaiFake.reset();
  anthropicFake.reset();
  groqFake.reset();
});

const ask = (model: string, content = 'hello gateway') =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content }] });

async function nativeStream(model: string, content: string): Promise<SseEvent[]> {
  const response = await fetch(`${base}/api/v1/inference:stream`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'x-request-id': 'e2e',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
  });
  expect(response.status).toBe(200);
  const events: SseEvent[] = [];
  for await (const event of readSse(response.body!)) {
    events.push(event);
    if (event.event === 'done' || event.event === 'error') break;
  }
  return events;
}

const dataText = (events: SseEvent[]) =>
  events
    .filter((event) => event.event === 'data')
    .map((event) => (JSON.parse(event.data) as { text: string }).text)
    .join('');

describe('fallback and retries through the gateway', () => {
  it('serves from the first target with the credential from the config contract', async () => {
    const completion = await ask('fallback');
    expect(completion.choices[0]?.message.content).toBe('openai: hello gateway');
    expect(openaiFake.seen(CHAT)[0]?.headers.authorization).toBe('Bearer sk-from-secret');
    expect(anthropicFake.requests).toHaveLength(0);
  });

  it('asks for the whole answer in one call on a synchronous request, and for chunks on a streamed one', async () => {
    const completion = await ask('fallback', 'whole please');
    expect(completion.choices[0]?.message.content).toBe('openai: whole please');
    const stream = await client.chat.completions.create({
      model: 'fallback',
      messages: [{ role: 'user', content: 'chunks please' }],
      stream: true,
    });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
    expect(streamed).toBe('openai: chunks please');
    expect(openaiFake.seen(CHAT).map((request) => request.body)).toMatchObject([
      { stream: false },
      { stream: true, stream_options: { include_usage: true } },
    ]);
    expect(openaiFake.seen(CHAT)[0]?.body).not.toHaveProperty('stream_options');
  });

  it('falls through to the next provider when the first fails before its first token, invisibly', async () => {
    openaiFake.script(CHAT, OPENAI_ERRORS.overloaded);
    const completion = await ask('fallback');
    expect(completion.choices[0]?.message.content).toBe('anthropic: hello gateway');
    expect(openaiFake.seen(CHAT)).toHaveLength(1);
    expect(anthropicFake.seen(MESSAGES)).toHaveLength(1);
  });

  it('does not fall through on an error of the request itself, and says what the provider said', async () => {
    openaiFake.script(CHAT, OPENAI_ERRORS.badRequest);
    const failure = ask('fallback');
    await expect(failure).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(failure).rejects.toMatchObject({ error: { code: 'UPSTREAM_BAD_REQUEST' } });
    expect(anthropicFake.requests).toHaveLength(0);
  });

  it('retries a rate-limited target after its Retry-After, then answers', async () => {
    openaiFake.script(CHAT, OPENAI_ERRORS.rateLimited({ 'retry-after-ms': '150' }));
    const started = performance.now();
    const completion = await ask('retrying');
    expect(completion.choices[0]?.message.content).toBe('openai: hello gateway');
    expect(openaiFake.seen(CHAT)).toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('answers 429 with Retry-After when every target stays rate limited', async () => {
    const brief = OPENAI_ERRORS.rateLimited({ 'retry-after-ms': '20' });
    openaiFake.script(CHAT, brief, brief, OPENAI_ERRORS.rateLimited({ 'retry-after': '1' }));
    const response = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'retrying', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toMatchObject({
      error: { code: 'UPSTREAM_RATE_LIMITED', retryable: true },
    });
    expect(openaiFake.seen(CHAT)).toHaveLength(3);
  });

  it("opens a target's circuit after repeated failures and stops calling it", async () => {
    openaiFake.script(CHAT, OPENAI_ERRORS.serverError, OPENAI_ERRORS.serverError);
    for (let request = 0; request < 4; request++) {
      const completion = await ask('breaker');
      expect(completion.choices[0]?.message.content).toBe('anthropic: hello gateway');
    }
    expect(openaiFake.seen(CHAT)).toHaveLength(2);
    expect(anthropicFake.seen(MESSAGES)).toHaveLength(4);
    expect(app.services.router.circuitStates().get('breaker/gpt')).toBe('open');
  });

  it('times out a target that stalls before its first token and moves on', async () => {
    openaiFake.script(CHAT, { kind: 'stall' });
    const completion = await ask('stalling');
    expect(completion.choices[0]?.message.content).toBe('anthropic: hello gateway');
  });

  it('answers 502 when every target fails, naming the last error', async () => {
    openaiFake.script(CHAT, OPENAI_ERRORS.serverError);
    anthropicFake.script(MESSAGES, ANTHROPIC_ERRORS.overloaded);
    const failure = ask('fallback');
    await expect(failure).rejects.toMatchObject({
      status: 502,
      error: { code: 'UPSTREAM_UNAVAILABLE' },
    });
  });
});

describe('a failure after the first token', () => {
  const cut = () => ({
    kind: 'sse' as const,
    frames: chatChunks(['The', ' first', ' half', ' and', ' more']),
    after: { frames: 3, then: 'drop' as const },
  });

  it('ends the native stream with an error event marked partial, never switching models (Error)', async () => {
    openaiFake.script(CHAT, cut());
    const events = await nativeStream('midstream-error', 'tell me');
    expect(dataText(events)).toBe('The first');
    const last = events.at(-1)!;
    expect(last.event).toBe('error');
    expect(JSON.parse(last.data)).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      retryable: true,
      details: { partial: true, target: 'gpt' },
    });
    expect(anthropicFake.requests).toHaveLength(0);
  });

  it('ends an OpenAI-format stream with an error the openai client raises', async () => {
    openaiFake.script(CHAT, cut());
    const stream = await client.chat.completions.create({
      model: 'midstream-error',
      messages: [{ role: 'user', content: 'tell me' }],
      stream: true,
    });
    let text = '';
    const reading = (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })();
    await expect(reading).rejects.toMatchObject({
      error: { code: 'UPSTREAM_UNAVAILABLE', details: { partial: true } },
    });
    expect(text).toBe('The first');
  });

  it('continues on the next target with the partial answer as prefix (Continue)', async () => {
    openaiFake.script(CHAT, cut());
    anthropicFake.script(MESSAGES, messageStream([' half', ' and', ' more']));
    const events = await nativeStream('midstream-continue', 'tell me');
    expect(dataText(events)).toBe('The first half and more');
    expect(events.at(-1)?.event).toBe('done');
    const continued = anthropicFake.seen(MESSAGES)[0]?.body as { messages: unknown[] };
    expect(continued.messages).toEqual([
      { role: 'user', content: 'tell me' },
      { role: 'assistant', content: 'The first' },
    ]);
  });
});

describe('tools, images and systems through the OpenAI-compatible API', () => {
  it('returns the tool calls of the provider to the openai client, streamed and not', async () => {
    const toolCalls = [{ id: 'call_9', name: 'lookup', arguments: ['{"q":', '"tides"}'] }];
    // The synchronous call is answered whole (`stream: false`), the streamed one as chunks.
    openaiFake.script(CHAT, chatCompletion([], { toolCalls }), chatStream([], { toolCalls }));
    const tools = [
      { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object' } } },
    ];
    const completion = await client.chat.completions.create({
      model: 'fallback',
      messages: [{ role: 'user', content: 'tides?' }],
      tools,
    });
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(completion.choices[0]?.message).toMatchObject({
      content: null,
      tool_calls: [
        {
          id: 'call_9',
          type: 'function',
          function: { name: 'lookup', arguments: '{"q":"tides"}' },
        },
      ],
    });
    const stream = client.chat.completions.stream({
      model: 'fallback',
      messages: [{ role: 'user', content: 'tides?' }],
      tools,
    });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.message.tool_calls?.[0]).toMatchObject({
      id: 'call_9',
      function: { arguments: '{"q":"tides"}' },
    });
    expect((openaiFake.seen(CHAT)[0]?.body as { tools: unknown }).tools).toEqual([
      { type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } },
    ]);
  });

  it('carries a tool result and an image to Anthropic, and the system prompt into `system`', async () => {
    await client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'You are terse.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in it?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'toolu_1', type: 'function', function: { name: 'zoom', arguments: '{"x":2}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'a cat' },
      ],
      tools: [{ type: 'function', function: { name: 'zoom', parameters: { type: 'object' } } }],
    });
    const body = anthropicFake.seen(MESSAGES)[0]?.body as { system: string; messages: unknown[] };
    expect(body.system).toBe('You are terse.');
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in it?' },
          {
            type: 'image',
            source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
          },
        ],
      },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'toolu_1', name: 'zoom', input: { x: 2 } }],
      },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'a cat' }],
      },
    ]);
  });

  it('refuses a tool_choice that names no tool', async () => {
    const failure = client.chat.completions.create({
      model: 'fallback',
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ type: 'function', function: { name: 'a' } }],
      tool_choice: { type: 'function', function: { name: 'b' } },
    });
    await expect(failure).rejects.toMatchObject({ status: 400 });
  });
});

describe('Groq, embeddings and the local model through the gateway', () => {
  it('calls Groq with the model id from the environment (Helm values)', async () => {
    const completion = await ask('groq');
    expect(completion.choices[0]?.message.content).toBe('groq: hello gateway');
    expect(groqFake.seen('/openai/v1/chat/completions')[0]?.body).toMatchObject({
      model: 'model-from-helm-values',
    });
    expect(groqFake.seen('/openai/v1/chat/completions')[0]?.headers.authorization).toBe(
      'Bearer gsk-from-secret',
    );
  });

  it('serves embeddings to the openai client (base64 by default) and as floats', async () => {
    const embeddings = await client.embeddings.create({ model: 'embed', input: ['abc', 'hello'] });
    expect(embeddings.data.map((item) => item.embedding)).toEqual([
      [0.03, 0.5, -0.25, 0.125].map((value) => Math.fround(value)),
      [0.05, 0.5, -0.25, 0.125].map((value) => Math.fround(value)),
    ]);
    expect(embeddings.usage).toEqual({ prompt_tokens: 6, total_tokens: 6 });
    const floats = await client.embeddings.create({
      model: 'embed',
      input: 'abc',
      encoding_format: 'float',
    });
    expect(floats.data[0]?.embedding).toEqual([0.03, 0.5, -0.25, 0.125]);
    expect(openaiFake.seen('/v1/embeddings')[0]?.body).toMatchObject({
      model: 'text-embedding-fake',
      input: ['abc', 'hello'],
    });
  });

  it('refuses embeddings from a route whose provider has none', async () => {
    await expect(client.embeddings.create({ model: 'claude', input: 'x' })).rejects.toMatchObject({
      status: 400,
    });
    await expect(client.embeddings.create({ model: 'nope', input: 'x' })).rejects.toMatchObject({
      status: 404,
    });
  });

  it('answers from the tiny local ONNX model, streamed token by token', async () => {
    const stream = await client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'who are you?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const pieces: string[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content;
      if (piece) pieces.push(piece);
      usage = chunk.usage ?? usage;
    }
    expect(pieces.join('')).toBe(
      'Hello! I am a tiny local model, running on ONNX Runtime inside the gateway.',
    );
    expect(pieces.length).toBeGreaterThan(10);
    expect(usage?.completion_tokens).toBe(18);
  });
});
