/**
 * OpenAI's Responses API on the gateway, through the official `openai` client: whole and
 * streamed responses with their typed events, function calls both ways against an
 * OpenAI-format route (its fake), a JSON schema in `text.format`, and the refusals of
 * server-side state.
 */
import OpenAI from 'openai';
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
let client: OpenAI;

beforeAll(async () => {
  gateway = await startSurfaceGateway();
  ({ fake, config } = gateway);
  base = gateway.base;
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: await config.token(), maxRetries: 0 });
});

afterAll(() => gateway.stop());

beforeEach(() => {
  fake.reset();
});

describe('the Responses API through the official openai client', () => {
  it('answers a response whole, which the client reads as output_text', async () => {
    const response = await client.responses.create({
      model: 'chat',
      instructions: 'Be brief.',
      input: 'hello responses',
    });
    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'chat',
      instructions: 'Be brief.',
      usage: { output_tokens: 3 },
    });
    expect(response.output_text).toBe('Echo: hello responses');
    expect(response.id).toMatch(/^resp_/);
  });

  it('streams the typed events in order, ending with the completed response', async () => {
    const stream = client.responses.stream({ model: 'chat', input: 'stream these words' });
    const types: string[] = [];
    const sequence: number[] = [];
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
    }
    const final = await stream.finalResponse();
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.filter((type) => type === 'response.output_text.delta').length).toBeGreaterThan(2);
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(sequence).toEqual(sequence.map((_, index) => index));
    expect(final.output_text).toBe('Echo: stream these words');
  });

  it('makes a function call and takes its output back, as Chat Completions upstream', async () => {
    const toolCalls = [{ id: 'call_5', name: 'weather', arguments: ['{"city":', '"Oslo"}'] }];
    fake.script(CHAT, chatCompletion([], { toolCalls }), chatStream(['Cold', ' today']));
    const tools = [
      {
        type: 'function' as const,
        name: 'weather',
        description: 'The weather of a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } } },
        strict: false,
      },
    ];
    const first = await client.responses.create({ model: 'gpt', input: 'Oslo?', tools });
    expect(first.output).toEqual([
      expect.objectContaining({
        type: 'function_call',
        call_id: 'call_5',
        name: 'weather',
        arguments: '{"city":"Oslo"}',
      }),
    ]);
    const call = first.output[0] as { call_id: string; name: string; arguments: string };
    const second = await client.responses
      .stream({
        model: 'gpt',
        tools,
        input: [
          { role: 'user', content: 'Oslo?' },
          {
            type: 'function_call',
            call_id: call.call_id,
            name: call.name,
            arguments: call.arguments,
          },
          { type: 'function_call_output', call_id: call.call_id, output: '-3 C' },
        ],
      })
      .finalResponse();
    expect(second.output_text).toBe('Cold today');
    const [, answered] = fake.seen(CHAT);
    expect(answered?.body).toMatchObject({
      messages: [
        { role: 'user', content: 'Oslo?' },
        {
          role: 'assistant',
          tool_calls: [
            { id: 'call_5', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_5', content: '-3 C' },
      ],
    });
  });

  it('passes a JSON schema in text.format on as the response format', async () => {
    fake.script(CHAT, chatCompletion(['{"ok":true}']));
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } } };
    const response = await client.responses.create({
      model: 'gpt',
      input: 'ok?',
      text: { format: { type: 'json_schema', name: 'verdict', schema, strict: true } },
    });
    expect(response.output_text).toBe('{"ok":true}');
    expect(fake.seen(CHAT)[0]?.body).toMatchObject({
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'verdict', schema, strict: true },
      },
    });
  });

  it('refuses server-side state by name: store and previous_response_id', async () => {
    for (const [field, extra] of [
      ['store', { store: true }],
      ['previous_response_id', { previous_response_id: 'resp_1' }],
    ] as const) {
      const failure = await client.responses
        .create({ model: 'chat', input: 'x', ...extra })
        .catch((error: unknown) => error);
      expect(failure, field).toBeInstanceOf(OpenAI.BadRequestError);
      expect(failure, field).toMatchObject({ code: 'BAD_REQUEST', param: field });
    }
  });

  it('refuses token log-probabilities by name: top_logprobs and include', async () => {
    const asks: [string, Partial<OpenAI.Responses.ResponseCreateParamsNonStreaming>][] = [
      ['top_logprobs', { top_logprobs: 2 }],
      ['include', { include: ['message.output_text.logprobs'] }],
    ];
    for (const [field, extra] of asks) {
      const failure = await client.responses
        .create({ model: 'gpt', input: 'x', ...extra })
        .catch((error: unknown) => error);
      expect(failure, field).toBeInstanceOf(OpenAI.BadRequestError);
      expect(failure, field).toMatchObject({ code: 'BAD_REQUEST', param: field });
    }
    expect(fake.seen(CHAT)).toHaveLength(0);
  });
});
