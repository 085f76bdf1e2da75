/**
 * Anthropic's Messages API on the gateway, through the official `@anthropic-ai/sdk` client:
 * whole and streamed answers from a route that is not Anthropic's (the mock, and OpenAI's wire
 * format served by its fake), tool use both ways, system prompts, the key in `x-api-key`, and
 * the refusals of what the surface does not take.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeServer } from '../fakes/fake-server.ts';
import { chatCompletion, chatStream } from '../fakes/openai-fake.ts';
import type { ConfigDir } from '../support/config-dir.ts';
import { startSurfaceGateway, type SurfaceGateway } from './support.ts';

const CHAT = '/v1/chat/completions';
let fake: FakeServer;
let config: ConfigDir;
let gateway: SurfaceGateway;
let base: string;
let client: Anthropic;

beforeAll(async () => {
  gateway = await startSurfaceGateway();
  ({ fake, config } = gateway);
  base = gateway.base;
  client = new Anthropic({ baseURL: base, apiKey: await config.token(), maxRetries: 0 });
});

afterAll(() => gateway.stop());

beforeEach(() => {
  fake.reset();
});

describe('the Messages API through the official Anthropic client', () => {
  it('answers a message whole, with the stop reason and usage', async () => {
    const answer = await client.messages.create({
      model: 'chat',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hello claude client' }],
    });
    expect(answer).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'chat',
      content: [{ type: 'text', text: 'Echo: hello claude client' }],
      stop_reason: 'end_turn',
      usage: { output_tokens: 4 },
    });
    expect(answer.id).toMatch(/^msg_/);
  });

  it('streams the Messages event sequence, which the client joins into the same message', async () => {
    const stream = client.messages.stream({
      model: 'chat',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'stream this to me' }],
    });
    const types: string[] = [];
    const deltas: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
        deltas.push(event.delta.text);
    }
    const final = await stream.finalMessage();
    expect(types[0]).toBe('message_start');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(deltas.length).toBeGreaterThan(2);
    expect(final.content).toEqual([{ type: 'text', text: 'Echo: stream this to me' }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.input_tokens).toBeGreaterThan(0);
  });

  it('sends the system prompt and a tool-use round trip to an OpenAI-format route', async () => {
    const toolCalls = [{ id: 'call_1', name: 'lookup', arguments: ['{"q":', '"tides"}'] }];
    fake.script(CHAT, chatCompletion([], { toolCalls }), chatStream(['High', ' at', ' noon']));
    const tools = [
      {
        name: 'lookup',
        description: 'Looks things up',
        input_schema: { type: 'object' as const, properties: { q: { type: 'string' } } },
      },
    ];
    const first = await client.messages.create({
      model: 'gpt',
      max_tokens: 64,
      system: 'You are terse.',
      tools,
      tool_choice: { type: 'any' },
      metadata: { user_id: 'end-user-3' },
      messages: [{ role: 'user', content: 'tides?' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([
      { type: 'tool_use', id: 'call_1', name: 'lookup', input: { q: 'tides' } },
    ]);
    const second = await client.messages
      .stream({
        model: 'gpt',
        max_tokens: 64,
        system: 'You are terse.',
        tools,
        messages: [
          { role: 'user', content: 'tides?' },
          { role: 'assistant', content: first.content },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'noon' }],
          },
        ],
      })
      .finalMessage();
    expect(second.content).toEqual([{ type: 'text', text: 'High at noon' }]);
    const [asked, answered] = fake.seen(CHAT);
    expect(asked?.body).toMatchObject({
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'tides?' },
      ],
      tool_choice: 'required',
      safety_identifier: 'end-user-3',
      tools: [{ type: 'function', function: { name: 'lookup', description: 'Looks things up' } }],
    });
    expect(answered?.body).toMatchObject({
      messages: [
        { role: 'system' },
        { role: 'user' },
        {
          role: 'assistant',
          tool_calls: [{ id: 'call_1', function: { name: 'lookup', arguments: '{"q":"tides"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'noon' },
      ],
    });
  });

  it('streams tool use as blocks whose input the client parses', async () => {
    const toolCalls = [{ id: 'call_2', name: 'lookup', arguments: ['{"q":"moon"}'] }];
    fake.script(CHAT, chatStream([], { toolCalls }));
    const final = await client.messages
      .stream({
        model: 'gpt',
        max_tokens: 64,
        tools: [{ name: 'lookup', input_schema: { type: 'object' as const } }],
        messages: [{ role: 'user', content: 'moon?' }],
      })
      .finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([
      { type: 'tool_use', id: 'call_2', name: 'lookup', input: { q: 'moon' } },
    ]);
  });

  it('refuses what it does not take, naming it, and a wrong key, as the client expects', async () => {
    // top_k is Anthropic's (older clients type it); this surface has no top-k sampling.
    const withTopK = {
      model: 'chat',
      max_tokens: 8,
      top_k: 5,
      messages: [{ role: 'user' as const, content: 'x' }],
    };
    const topK = await client.messages.create(withTopK).catch((error: unknown) => error);
    expect(topK).toBeInstanceOf(Anthropic.BadRequestError);
    expect((topK as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
      error: { code: 'BAD_REQUEST', param: 'top_k' },
    });
    const missing = await client.messages
      .create({ model: 'nope', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] })
      .catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    const stranger = new Anthropic({ baseURL: base, apiKey: 'not-a-token', maxRetries: 0 });
    await expect(
      stranger.messages.create({
        model: 'chat',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it('refuses an anthropic-version that is not a date', async () => {
    const response = await fetch(`${base}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': await config.token(),
        'anthropic-version': 'latest',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model: 'chat',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'x' }],
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { code: 'BAD_REQUEST', param: 'headers.anthropic-version' },
    });
  });
});
