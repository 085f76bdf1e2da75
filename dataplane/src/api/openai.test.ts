import type { FastifyInstance } from 'fastify';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeConfigDir, type ConfigDir } from '../../../tests/support/config-dir.ts';
import { buildApp } from '../app.ts';

let config: ConfigDir;
let app: FastifyInstance;
let client: OpenAI;

beforeAll(async () => {
  config = await makeConfigDir();
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: await config.token(), maxRetries: 0 });
});

afterAll(async () => {
  await app.close();
  await config.cleanup();
});

describe('the official openai client against the OpenAI-compatible API', () => {
  it('lists the model aliases', async () => {
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['chat', 'fallback']);
  });

  it('gets a chat completion with usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'hello client' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Echo: hello client');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({
      prompt_tokens: 2,
      completion_tokens: 3,
      total_tokens: 5,
    });
  });

  it('accepts content as text parts and a developer message', async () => {
    const completion = await client.chat.completions.create({
      model: 'chat',
      messages: [
        { role: 'developer', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'parts work' }] },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe('Echo: parts work');
  });

  it('streams chunks that concatenate to the answer, with usage when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'stream this please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('Echo: stream this please');
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBe(4);
  });

  it('surfaces an unknown model as a 404 error the client understands', async () => {
    const failure = client.chat.completions.create({
      model: 'nope',
      messages: [{ role: 'user', content: 'x' }],
    });
    await expect(failure).rejects.toMatchObject({ status: 404 });
    await expect(failure).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('refuses what it does not honour yet by name, and takes the defaults clients send', async () => {
    const messages = [{ role: 'user' as const, content: 'defaults' }];
    const defaults = await client.chat.completions.create({
      model: 'chat',
      messages,
      logprobs: false,
      presence_penalty: 0,
      frequency_penalty: 0,
      logit_bias: {},
      parallel_tool_calls: true,
    });
    expect(defaults.choices[0]?.message.content).toBe('Echo: defaults');
    for (const [field, value] of [
      ['top_logprobs', 3],
      ['presence_penalty', 0.5],
      ['logit_bias', { '50256': -100 }],
      ['reasoning_effort', 'low'],
    ] as const) {
      const failure = await client.chat.completions
        .create({ model: 'chat', messages, [field]: value })
        .catch((error: unknown) => error);
      expect(failure, field).toBeInstanceOf(OpenAI.BadRequestError);
      expect(failure, field).toMatchObject({ param: field, code: 'BAD_REQUEST' });
    }
  });

  it('makes n choices, whole and streamed, with their usage summed', async () => {
    const messages = [{ role: 'user' as const, content: 'three times' }];
    const whole = await client.chat.completions.create({ model: 'chat', n: 3, messages });
    expect(whole.choices.map((choice) => [choice.index, choice.message.content])).toEqual([
      [0, 'Echo: three times'],
      [1, 'Echo: three times'],
      [2, 'Echo: three times'],
    ]);
    expect(whole.usage).toMatchObject({ prompt_tokens: 6, completion_tokens: 9 });
    const stream = await client.chat.completions.create({
      model: 'chat',
      n: 2,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const texts = ['', ''];
    const finishes: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        texts[choice.index] = `${texts[choice.index] ?? ''}${choice.delta.content ?? ''}`;
        if (choice.finish_reason !== null) finishes.push(choice.finish_reason);
      }
      usage = chunk.usage ?? usage;
    }
    expect(texts).toEqual(['Echo: three times', 'Echo: three times']);
    expect(finishes).toEqual(['stop', 'stop']);
    expect(usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 6 });
  });

  it('refuses an n above 8', async () => {
    const failure = client.chat.completions.create({
      model: 'chat',
      n: 9,
      messages: [{ role: 'user', content: 'x' }],
    });
    await expect(failure).rejects.toMatchObject({ status: 400, param: 'n' });
  });

  it("answers 401 to a wrong API key, with OpenAI's error type", async () => {
    const stranger = new OpenAI({ baseURL: client.baseURL, apiKey: 'not-a-jwt', maxRetries: 0 });
    const failure = await stranger.models.list().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(failure).toMatchObject({ type: 'authentication_error', code: 'UNAUTHENTICATED' });
  });

  it("names the field at fault in OpenAI's param, beside our code", async () => {
    const failure = await client.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'x' }], temperature: 3 })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect(failure).toMatchObject({
      type: 'invalid_request_error',
      code: 'BAD_REQUEST',
      param: 'temperature',
    });
  });
});
