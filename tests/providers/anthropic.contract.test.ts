/** The Anthropic adapter against the Messages API fake. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAnthropicProvider } from '../../dataplane/src/providers/anthropic/anthropic.ts';
import type { Provider } from '../../dataplane/src/providers/provider.ts';
import {
  ANTHROPIC_ERRORS,
  createAnthropicFake,
  messageEvents,
  messageStream,
  OVERLOADED_EVENT,
} from '../fakes/anthropic-fake.ts';
import type { FakeServer } from '../fakes/fake-server.ts';
import { collectStream, failure } from './collect.ts';

let fake: FakeServer;
let anthropic: Provider;
const MESSAGES = '/v1/messages';
const hello = {
  model: 'claude-fake',
  messages: [{ role: 'user' as const, content: 'hello there' }],
};

beforeAll(async () => {
  fake = await createAnthropicFake();
  anthropic = createAnthropicProvider({ baseURL: fake.url, apiKey: 'sk-ant-test' });
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.reset();
});

describe('the Anthropic adapter', () => {
  it('streams text deltas through the whole event set (ping included) and normalises usage with the cache', async () => {
    fake.script(
      MESSAGES,
      messageStream(['Hi', ' there'], {
        usage: { input: 10, output: 2, cacheRead: 30, cacheWrite: 5 },
      }),
    );
    const { pieces, done } = await collectStream(anthropic, hello);
    expect(pieces).toEqual(['Hi', ' there']);
    expect(done).toEqual({
      type: 'done',
      finishReason: 'stop',
      usage: { inputTokens: 45, outputTokens: 2, cachedTokens: 30 },
    });
  });

  it('puts system messages into `system`, sends the key and version headers and the required max_tokens', async () => {
    await collectStream(anthropic, {
      model: 'claude-fake',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
        { role: 'system', content: 'Answer in English.' },
      ],
      stop: ['END'],
      temperature: 0.2,
    });
    const [request] = fake.seen(MESSAGES);
    // The SDK decides the header (x-api-key, or a bearer token in newer versions).
    const key =
      request?.headers['x-api-key'] ?? request?.headers.authorization?.replace(/^Bearer /, '');
    expect(key).toBe('sk-ant-test');
    expect(request?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(request?.body).toEqual({
      model: 'claude-fake',
      max_tokens: 4096,
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      system: 'Be brief.\n\nAnswer in English.',
      temperature: 0.2,
      stop_sequences: ['END'],
    });
  });

  it('sends tool calls as tool_use and results as tool_result blocks, and turns streamed tool_use into tool calls', async () => {
    fake.script(
      MESSAGES,
      messageStream(['Let me check.'], {
        toolUses: [{ id: 'toolu_1', name: 'get_weather', json: ['{"city":', ' "Paris"}'] }],
      }),
    );
    const { text, done } = await collectStream(anthropic, {
      model: 'claude-fake',
      messages: [
        { role: 'user', content: 'weather in Oslo and Rome?' },
        {
          role: 'assistant',
          content: 'Checking.',
          toolCalls: [
            { id: 'toolu_a', name: 'get_weather', arguments: '{"city":"Oslo"}' },
            { id: 'toolu_b', name: 'get_weather', arguments: 'not json' },
          ],
        },
        { role: 'tool', content: '3C', toolCallId: 'toolu_a' },
        { role: 'tool', content: '20C', toolCallId: 'toolu_b' },
      ],
      tools: [{ name: 'get_weather', parameters: { properties: { city: { type: 'string' } } } }],
      toolChoice: 'required',
    });
    expect(text).toBe('Let me check.');
    expect(done.finishReason).toBe('tool_calls');
    expect(done.toolCalls).toEqual([
      { id: 'toolu_1', name: 'get_weather', arguments: '{"city": "Paris"}' },
    ]);
    const body = fake.seen(MESSAGES)[0]?.body as Record<string, unknown>;
    expect(body['messages']).toEqual([
      { role: 'user', content: 'weather in Oslo and Rome?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Oslo' } },
          { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: { _raw: 'not json' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: '3C' },
          { type: 'tool_result', tool_use_id: 'toolu_b', content: '20C' },
        ],
      },
    ]);
    expect(body['tools']).toEqual([
      {
        name: 'get_weather',
        input_schema: { type: 'object', properties: { city: { type: 'string' } } },
      },
    ]);
    expect(body['tool_choice']).toEqual({ type: 'any' });
  });

  it('sends data-URL images as base64 blocks and other URLs as url sources', async () => {
    await collectStream(anthropic, {
      model: 'claude-fake',
      messages: [
        {
          role: 'user',
          content: 'compare',
          images: [
            { url: 'data:image/png;base64,iVBORw0KGgo=' },
            { url: 'https://example.test/cat.jpg' },
          ],
        },
      ],
    });
    expect((fake.seen(MESSAGES)[0]?.body as { messages: unknown[] }).messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'compare' },
          {
            type: 'image',
            source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' },
          },
          { type: 'image', source: { type: 'url', url: 'https://example.test/cat.jpg' } },
        ],
      },
    ]);
  });

  it('continues a partial answer by prefill, without its trailing whitespace', async () => {
    await collectStream(anthropic, { ...hello, prefix: 'The answer is ' });
    expect((fake.seen(MESSAGES)[0]?.body as { messages: unknown[] }).messages.at(-1)).toEqual({
      role: 'assistant',
      content: 'The answer is',
    });
  });

  it('refuses a temperature above 1 instead of clamping it, and an image type it cannot take', async () => {
    expect(await failure(anthropic, { ...hello, temperature: 1.5 })).toMatchObject({
      code: 'BAD_REQUEST',
    });
    const svg = {
      role: 'user' as const,
      content: 'x',
      images: [{ url: 'data:image/svg+xml;base64,PHN2Zz4=' }],
    };
    expect(await failure(anthropic, { ...hello, messages: [svg] })).toMatchObject({
      code: 'UPSTREAM_BAD_REQUEST',
    });
    expect(fake.seen(MESSAGES)).toHaveLength(0);
  });

  it('asks for one tool call at a time as disable_parallel_tool_use, and sends the user as metadata', async () => {
    const tools = [{ name: 'lookup', parameters: { type: 'object' } }];
    await collectStream(anthropic, {
      ...hello,
      tools,
      parallelToolCalls: false,
      user: 'end-user-2',
    });
    await collectStream(anthropic, {
      ...hello,
      tools,
      toolChoice: 'required',
      parallelToolCalls: false,
    });
    const [auto, required] = fake.seen(MESSAGES);
    expect(auto?.body).toMatchObject({
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      metadata: { user_id: 'end-user-2' },
    });
    expect(required?.body).toMatchObject({
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
    });
  });

  it('refuses a seed and a JSON response format by name, before any call', async () => {
    expect(await failure(anthropic, { ...hello, seed: 1 })).toMatchObject({
      code: 'UPSTREAM_BAD_REQUEST',
      details: { provider: 'anthropic', parameter: 'seed' },
    });
    expect(
      await failure(anthropic, { ...hello, responseFormat: { type: 'json_object' } }),
    ).toMatchObject({
      code: 'UPSTREAM_BAD_REQUEST',
      details: { provider: 'anthropic', parameter: 'response_format' },
    });
    expect(fake.seen(MESSAGES)).toHaveLength(0);
  });

  it('maps max_tokens and refusal stop reasons', async () => {
    fake.script(
      MESSAGES,
      messageStream(['cut'], { stop: 'max_tokens' }),
      messageStream([], { stop: 'refusal' }),
    );
    expect((await collectStream(anthropic, hello)).done.finishReason).toBe('length');
    expect((await collectStream(anthropic, hello)).done.finishReason).toBe('content_filter');
  });
});

describe('Anthropic errors in the closed vocabulary', () => {
  const table = [
    ['an invalid request', ANTHROPIC_ERRORS.invalidRequest, 'UPSTREAM_BAD_REQUEST'],
    ['a prompt that is too long', ANTHROPIC_ERRORS.promptTooLong, 'CONTEXT_LENGTH_EXCEEDED'],
    ['a wrong key (401)', ANTHROPIC_ERRORS.authentication, 'UPSTREAM_AUTH'],
    ['a missing permission (403)', ANTHROPIC_ERRORS.permission, 'UPSTREAM_AUTH'],
    ['an unknown model (404)', ANTHROPIC_ERRORS.notFound, 'UPSTREAM_UNAVAILABLE'],
    ['a request too large (413)', ANTHROPIC_ERRORS.tooLarge, 'CONTEXT_LENGTH_EXCEEDED'],
    ['an API error (500)', ANTHROPIC_ERRORS.api, 'UPSTREAM_UNAVAILABLE'],
    ['overloaded (529)', ANTHROPIC_ERRORS.overloaded, 'UPSTREAM_UNAVAILABLE'],
  ] as const;
  for (const [what, reply, code] of table) {
    it(`maps ${what} to ${code}`, async () => {
      fake.script(MESSAGES, reply);
      expect(await failure(anthropic, hello)).toMatchObject({
        code,
        details: { provider: 'anthropic' },
      });
    });
  }

  it('maps a rate limit with its retry-after', async () => {
    fake.script(MESSAGES, ANTHROPIC_ERRORS.rateLimited(7));
    expect(await failure(anthropic, hello)).toMatchObject({
      code: 'UPSTREAM_RATE_LIMITED',
      retryAfterMs: 7000,
      details: { status: 429, type: 'rate_limit_error' },
    });
  });

  it('maps an overloaded_error event mid-stream, a dropped connection, and a stream without message_stop', async () => {
    const frames = messageEvents(['one', ' two', ' three']);
    fake.script(
      MESSAGES,
      { kind: 'sse', frames: [...frames.slice(0, 4), OVERLOADED_EVENT] },
      { kind: 'sse', frames, after: { frames: 4, then: 'drop' } },
      { kind: 'sse', frames: frames.slice(0, -1) },
    );
    expect(await failure(anthropic, hello)).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      details: { type: 'overloaded_error' },
    });
    expect(await failure(anthropic, hello)).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(await failure(anthropic, hello)).toMatchObject({
      message: 'Provider anthropic ended the stream before message_stop.',
    });
  });
});
