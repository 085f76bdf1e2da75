/**
 * The real local models through the gateway and the official openai client: SmolLM2 on
 * llama.cpp as `chat`, all-MiniLM-L6-v2 on ONNX as `embed` (both fetched by `make
 * models-fetch`, a prerequisite of `make test`). Each model loads once for the file.
 */
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { Ajv } from 'ajv';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { cachedModel } from '../../dataplane/src/providers/local/model-cache.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

const gguf = cachedModel('smollm2-135m-instruct').id;
const minilm = cachedModel('all-minilm-l6-v2').id;
let config: ConfigDir;
let app: FastifyInstance;
let client: OpenAI;

beforeAll(async () => {
  for (const path of [gguf, minilm]) {
    expect(existsSync(path), `${path} is missing: run \`make models-fetch\``).toBe(true);
  }
  config = await makeConfigDir({
    gateway: { defaultModel: 'chat', safety: { sanitize: false, pii: 'off', piiOutput: 'off' } },
    routes: {
      routes: [
        { alias: 'chat', targets: [{ name: 'smollm2', provider: 'local', model: gguf }] },
        // The tiny ONNX fixture cannot enforce a response format; SmolLM2 behind it can.
        { alias: 'onnx', targets: [{ name: 'tiny', provider: 'local', model: 'tiny' }] },
        {
          alias: 'onnx-then-llama',
          targets: [
            { name: 'tiny', provider: 'local', model: 'tiny' },
            { name: 'smollm2', provider: 'local', model: gguf },
          ],
        },
        {
          alias: 'embed',
          targets: [{ name: 'minilm', provider: 'local', model: `${minilm}?dtype=int8` }],
        },
      ],
    },
  });
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: await config.token(), maxRetries: 0 });
});

afterAll(async () => {
  await app.close();
  await config.cleanup();
});

const cosine = (a: number[], b: number[]) =>
  a.reduce((sum, value, index) => sum + value * (b[index] ?? 0), 0);

describe('all-MiniLM-L6-v2 as the embed route', () => {
  it('scores paraphrases high and unrelated texts low, in the OpenAI embeddings shape', async () => {
    const texts = [
      'What is the capital of France?',
      "Which city is France's capital?",
      'Please summarise this article about gardening.',
    ];
    const response = await client.embeddings.create({ model: 'embed', input: texts });
    expect(response).toMatchObject({
      object: 'list',
      model: 'embed',
      data: texts.map((_, index) => ({ object: 'embedding', index })),
    });
    expect(response.usage.prompt_tokens).toBeGreaterThan(texts.length * 3);
    const [question, paraphrase, unrelated] = response.data.map((item) => item.embedding);
    for (const vector of [question, paraphrase, unrelated]) {
      expect(vector).toHaveLength(384);
      expect(Math.hypot(...(vector ?? []))).toBeCloseTo(1, 5);
    }
    expect(cosine(question ?? [], paraphrase ?? [])).toBeGreaterThan(0.85);
    expect(cosine(question ?? [], unrelated ?? [])).toBeLessThan(0.2);
  });

  it('embeds one text alone as it does in a batch, and refuses another dimension', async () => {
    const alone = await client.embeddings.create({ model: 'embed', input: 'hello world' });
    const batch = await client.embeddings.create({
      model: 'embed',
      input: ['a much longer sentence that makes the batch padded', 'hello world'],
    });
    const single = alone.data[0]?.embedding ?? [];
    expect(cosine(single, batch.data[1]?.embedding ?? [])).toBeGreaterThan(0.9999);
    await expect(
      client.embeddings.create({ model: 'embed', input: 'x', dimensions: 128 }),
    ).rejects.toMatchObject({ status: 400 });
  });
});

describe('SmolLM2 as the chat route', () => {
  it('answers a factual question, whole and streamed', async () => {
    const whole = await client.chat.completions.create({
      model: 'chat',
      max_completion_tokens: 24,
      messages: [
        { role: 'system', content: 'You are a helpful assistant. Answer briefly.' },
        { role: 'user', content: 'What is the capital of France?' },
      ],
    });
    expect(whole.choices[0]?.message.content).toMatch(/Paris/);
    expect(whole.choices[0]?.finish_reason).toBe('stop');
    const stream = await client.chat.completions.create({
      model: 'chat',
      max_completion_tokens: 24,
      stream: true,
      messages: [
        { role: 'system', content: 'You are a helpful assistant. Answer briefly.' },
        { role: 'user', content: 'What is the capital of France?' },
      ],
    });
    const pieces: string[] = [];
    for await (const chunk of stream) pieces.push(chunk.choices[0]?.delta.content ?? '');
    expect(pieces.join('')).toBe(whole.choices[0]?.message.content);
    expect(pieces.filter((piece) => piece !== '').length).toBeGreaterThan(3);
  });
});

describe('response_format and seed through the OpenAI API', () => {
  const schema = {
    type: 'object',
    properties: {
      city: { type: 'string', enum: ['Paris', 'Rome', 'Berlin'] },
      capital: { type: 'boolean' },
    },
    required: ['city', 'capital'],
    additionalProperties: false,
  };
  const format = {
    type: 'json_schema' as const,
    json_schema: { name: 'city', schema, strict: true },
  };
  const ask = (model: string, content: string) =>
    client.chat.completions.create({
      model,
      max_completion_tokens: 96,
      response_format: format,
      messages: [{ role: 'user', content }],
    });

  it('holds SmolLM2 on llama.cpp to a json_schema', async () => {
    const validate = new Ajv().compile(schema);
    const answers = await Promise.all(
      ['France', 'Italy', 'Germany', 'Europe'].map((place) =>
        ask('chat', `Describe the main city of ${place} as JSON.`),
      ),
    );
    for (const answer of answers) {
      const text = answer.choices[0]?.message.content ?? '';
      expect(validate(JSON.parse(text)), text).toBe(true);
    }
  });

  it('refuses a json_schema by name on a runtime that cannot enforce it', async () => {
    const refused = await ask('onnx', 'Describe Paris as JSON.').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      code: 'UPSTREAM_BAD_REQUEST',
      details: { provider: 'local', parameter: 'response_format' },
    });
  });

  it('skips the target that cannot enforce it for the next one in the chain', async () => {
    const answer = await ask('onnx-then-llama', 'Describe the main city of France as JSON.');
    const text = answer.choices[0]?.message.content ?? '';
    expect(new Ajv().compile(schema)(JSON.parse(text)), text).toBe(true);
  });

  it('repeats a sampled answer from the same seed', async () => {
    const sample = (seed: number) =>
      client.chat.completions.create({
        model: 'chat',
        max_completion_tokens: 24,
        temperature: 1,
        // eslint-disable-next-line @typescript-eslint/no-deprecated -- OpenAI's, not ours
        seed,
        messages: [{ role: 'user', content: 'Write one line about the sea.' }],
      });
    // One after another: sequences evaluated in one batch may differ in the last bits.
    const texts: (string | null | undefined)[] = [];
    for (const seed of [7, 7, 8, 9]) texts.push((await sample(seed)).choices[0]?.message.content);
    expect(texts[1]).toBe(texts[0]);
    expect(new Set(texts).size).toBeGreaterThan(1);
  });

  it('refuses a response format it does not know, naming the field', async () => {
    const refused = await client.chat.completions
      .create({
        model: 'chat',
        messages: [{ role: 'user', content: 'hi' }],
        response_format: { type: 'xml' } as never,
      })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      code: 'BAD_REQUEST',
    });
  });
});
