/** The OpenAI adapter (and the openai-compatible configuration of it) against the OpenAI fake. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createOpenAIProvider,
  OPENAI_FORMAT,
} from '../../dataplane/src/providers/openai/openai.ts';
import { createOpenAICompatibleProvider } from '../../dataplane/src/providers/openai-compatible/openai-compatible.ts';
import { CONTINUE_INSTRUCTION } from '../../dataplane/src/providers/openai/request.ts';
import type { Provider } from '../../dataplane/src/providers/provider.ts';
import type { ProviderError } from '../../dataplane/src/providers/upstream-error.ts';
import type { FakeServer } from '../fakes/fake-server.ts';
import {
  chatChunks,
  chatStream,
  createOpenAIFake,
  OPENAI_ERRORS,
  streamErrorFrame,
} from '../fakes/openai-fake.ts';
import { collectStream, failure } from './collect.ts';

let fake: FakeServer;
let openai: Provider;
const CHAT = '/v1/chat/completions';
const hello = { model: 'gpt-fake', messages: [{ role: 'user' as const, content: 'hello there' }] };

beforeAll(async () => {
  fake = await createOpenAIFake();
  openai = createOpenAIProvider({
    format: OPENAI_FORMAT,
    baseURL: `${fake.url}/v1`,
    apiKey: 'sk-test',
  });
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.reset();
});

describe('the OpenAI adapter', () => {
  it('streams text chunk by chunk and normalises usage, cached tokens included', async () => {
    fake.script(
      CHAT,
      chatStream(['Hi', ' there', '!'], { usage: { prompt: 20, completion: 3, cached: 8 } }),
    );
    const { pieces, done } = await collectStream(openai, hello);
    expect(pieces).toEqual(['Hi', ' there', '!']);
    expect(done).toEqual({
      type: 'done',
      finishReason: 'stop',
      usage: { inputTokens: 20, outputTokens: 3, cachedTokens: 8 },
    });
  });

  it('sends the request OpenAI expects: bearer key, streaming with usage, max_completion_tokens', async () => {
    await collectStream(openai, {
      ...hello,
      maxTokens: 7,
      temperature: 0.5,
      topP: 0.9,
      stop: ['END'],
    });
    const [request] = fake.seen(CHAT);
    expect(request?.headers.authorization).toBe('Bearer sk-test');
    expect(request?.body).toEqual({
      model: 'gpt-fake',
      messages: [{ role: 'user', content: 'hello there' }],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.5,
      top_p: 0.9,
      max_completion_tokens: 7,
      stop: ['END'],
    });
  });

  it('passes a seed, every response format (the schema with its name and strictness), parallel_tool_calls and the user on', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } } };
    await collectStream(openai, {
      ...hello,
      seed: 42,
      responseFormat: { type: 'json_object' },
      user: 'end-user-1',
    });
    await collectStream(openai, {
      ...hello,
      responseFormat: { type: 'json_schema', name: 'city', schema, strict: true },
    });
    await collectStream(openai, {
      ...hello,
      tools: [{ name: 'lookup', parameters: { type: 'object' } }],
      parallelToolCalls: false,
    });
    const [object, structured, single] = fake.seen(CHAT);
    expect(single?.body).toMatchObject({ parallel_tool_calls: false });
    expect(object?.body).toMatchObject({
      seed: 42,
      response_format: { type: 'json_object' },
      safety_identifier: 'end-user-1',
    });
    expect(structured?.body).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'city', schema, strict: true } },
    });
  });

  it('sends images as image_url parts after the text', async () => {
    const image = { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' as const };
    await collectStream(openai, {
      ...hello,
      messages: [{ role: 'user', content: 'what is this?', images: [image] }],
    });
    expect((fake.seen(CHAT)[0]?.body as { messages: unknown[] }).messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image_url', image_url: { url: image.url, detail: 'low' } },
        ],
      },
    ]);
  });

  it('sends tools and a conversation with tool calls and results, and joins streamed call fragments', async () => {
    fake.script(
      CHAT,
      chatStream([], {
        toolCalls: [
          { id: 'call_1', name: 'get_weather', arguments: ['{"ci', 'ty":"Par', 'is"}'] },
          { id: 'call_2', name: 'get_time', arguments: ['{}'] },
        ],
      }),
    );
    const { done } = await collectStream(openai, {
      ...hello,
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'call_0', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
        },
        { role: 'tool', content: '{"temp":3}', toolCallId: 'call_0' },
      ],
      tools: [
        {
          name: 'get_weather',
          description: 'Weather now',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
      toolChoice: { name: 'get_weather' },
    });
    expect(done.finishReason).toBe('tool_calls');
    expect(done.toolCalls).toEqual([
      { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { id: 'call_2', name: 'get_time', arguments: '{}' },
    ]);
    const body = fake.seen(CHAT)[0]?.body as Record<string, unknown>;
    expect(body['messages']).toEqual([
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_0',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_0', content: '{"temp":3}' },
    ]);
    expect(body['tools']).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather now',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ]);
    expect(body['tool_choice']).toEqual({ type: 'function', function: { name: 'get_weather' } });
  });

  it('asks for the rest of a partial answer as an assistant turn and an instruction', async () => {
    await collectStream(openai, { ...hello, prefix: 'The answer is' });
    expect((fake.seen(CHAT)[0]?.body as { messages: unknown[] }).messages.slice(-2)).toEqual([
      { role: 'assistant', content: 'The answer is' },
      { role: 'user', content: CONTINUE_INSTRUCTION },
    ]);
  });

  it('gets embeddings in input order with their usage', async () => {
    const result = await openai.embed!(
      { model: 'text-embedding-fake', input: ['a', 'bbb'] },
      new AbortController().signal,
    );
    expect(result.vectors).toEqual([
      [0.01, 0.5, -0.25, 0.125],
      [0.03, 0.5, -0.25, 0.125],
    ]);
    expect(result.inputTokens).toBe(6);
    expect(fake.seen('/v1/embeddings')[0]?.body).toEqual({
      model: 'text-embedding-fake',
      input: ['a', 'bbb'],
      encoding_format: 'float',
    });
  });
});

describe('OpenAI errors in the closed vocabulary', () => {
  const table = [
    ['a too long context', OPENAI_ERRORS.contextLength, 'CONTEXT_LENGTH_EXCEEDED'],
    ['an invalid parameter', OPENAI_ERRORS.badRequest, 'UPSTREAM_BAD_REQUEST'],
    ['a content policy refusal', OPENAI_ERRORS.contentPolicy, 'CONTENT_FILTERED'],
    ['a wrong key (401)', OPENAI_ERRORS.invalidKey, 'UPSTREAM_AUTH'],
    ['an unknown model (404)', OPENAI_ERRORS.modelNotFound, 'UPSTREAM_UNAVAILABLE'],
    ['a request timeout (408)', OPENAI_ERRORS.timeout, 'UPSTREAM_TIMEOUT'],
    ['an exhausted quota (429)', OPENAI_ERRORS.quota, 'UPSTREAM_AUTH'],
    ['a server error (500)', OPENAI_ERRORS.serverError, 'UPSTREAM_UNAVAILABLE'],
    ['an overloaded engine (503)', OPENAI_ERRORS.overloaded, 'UPSTREAM_UNAVAILABLE'],
  ] as const;
  for (const [what, reply, code] of table) {
    it(`maps ${what} to ${code}`, async () => {
      fake.script(CHAT, reply);
      expect(await failure(openai, hello)).toMatchObject({ code, details: { provider: 'openai' } });
    });
  }

  it('keeps the provider message for the client only when the request was at fault', async () => {
    fake.script(CHAT, OPENAI_ERRORS.contextLength, OPENAI_ERRORS.rateLimited({}));
    expect(await failure(openai, hello)).toMatchObject({
      message: expect.stringContaining('maximum context length'),
    });
    expect(await failure(openai, hello)).toMatchObject({
      message: 'Provider openai answered HTTP 429.',
    });
  });

  it('reads the wait of a rate limit from retry-after-ms, retry-after seconds or an HTTP date', async () => {
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    fake.script(
      CHAT,
      OPENAI_ERRORS.rateLimited({ 'retry-after-ms': '1500' }),
      OPENAI_ERRORS.rateLimited({ 'retry-after': '3' }),
      OPENAI_ERRORS.rateLimited({ 'retry-after': inTenSeconds }),
    );
    const first = (await failure(openai, hello)) as ProviderError;
    expect(first).toMatchObject({
      code: 'UPSTREAM_RATE_LIMITED',
      retryAfterMs: 1500,
      retryAfterS: 2,
    });
    expect(await failure(openai, hello)).toMatchObject({ retryAfterMs: 3000, retryAfterS: 3 });
    const third = (await failure(openai, hello)) as ProviderError;
    expect(third.retryAfterMs).toBeGreaterThan(8000);
    expect(third.retryAfterMs).toBeLessThanOrEqual(10_000);
  });

  it('maps an error event after the first chunk, a dropped connection and a stream cut short', async () => {
    const frames = chatChunks(['partial']);
    fake.script(
      CHAT,
      {
        kind: 'sse',
        frames: [
          frames[0]!,
          frames[1]!,
          streamErrorFrame('The server had an error while processing your request.'),
        ],
      },
      { kind: 'sse', frames, after: { frames: 2, then: 'drop' } },
      { kind: 'sse', frames: frames.slice(0, 2) },
      { kind: 'drop' },
    );
    expect(await failure(openai, hello)).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      details: { type: 'server_error' },
    });
    expect(await failure(openai, hello)).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(await failure(openai, hello)).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      message: 'Provider openai ended the stream before it finished.',
    });
    expect(await failure(openai, hello)).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
  });

  it('maps an unreachable server to UPSTREAM_UNAVAILABLE', async () => {
    const nowhere = createOpenAIProvider({
      format: OPENAI_FORMAT,
      baseURL: 'http://127.0.0.1:1/v1',
      apiKey: 'k',
    });
    expect(await failure(nowhere, hello)).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      message: 'Provider openai could not be reached.',
    });
  });
});

describe('an OpenAI-compatible server', () => {
  it('gets max_tokens, works without a key, and refuses to run without a base URL', async () => {
    const vllm = createOpenAICompatibleProvider({ baseURL: `${fake.url}/v1` });
    const { text } = await collectStream(vllm, { ...hello, maxTokens: 5 });
    expect(text).toBe('openai: hello there');
    const request = fake.seen(CHAT)[0];
    expect(request?.headers.authorization).toBe('Bearer none');
    expect(request?.body).toMatchObject({ max_tokens: 5 });
    expect(request?.body).not.toHaveProperty('max_completion_tokens');
    expect(await failure(createOpenAICompatibleProvider({}), hello)).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
    });
  });
});
