/**
 * SmolLM2-135M-Instruct (Q4_1 GGUF, fetched by `make models-fetch`, a prerequisite of `make
 * test`) on the llama.cpp runtime: loaded once for the file, short answers.
 */
import { Ajv } from 'ajv';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectStream, failure } from '../../../../tests/providers/collect.ts';
import type { ProviderRequest } from '../provider.ts';
import { createLocalProvider, type LocalProvider } from './local.ts';
import { cachedModel } from './model-cache.ts';

const modelsDir = fileURLToPath(new URL('../../../../models', import.meta.url));
const gguf = cachedModel('smollm2-135m-instruct').id;
/**
 * The system prompt of the quality checks. Without one, the model's template adds its own
 * ("You are a helpful AI assistant named SmolLM…"), under which this 135M model answers "What is
 * the capital of France?" with French word salad; under this one it answers all four below.
 */
const SYSTEM = 'You are a helpful assistant. Answer briefly.';
const ask = (content: string, more: Partial<ProviderRequest> = {}): ProviderRequest => ({
  model: gguf,
  messages: [
    { role: 'system', content: SYSTEM },
    { role: 'user', content },
  ],
  maxTokens: 24,
  ...more,
});
let local: LocalProvider;

beforeAll(() => {
  expect(existsSync(gguf), `${gguf} is missing: run \`make models-fetch\``).toBe(true);
  local = createLocalProvider({ modelsDir });
});
afterAll(() => local.close());

describe('SmolLM2 on llama.cpp', () => {
  it('answers factual questions greedily with the expected word', async () => {
    const cases = [
      ['What is the capital of France?', /paris/i],
      ['What is 2+3?', /\b5\b|five/i],
      ['What colour is the sky on a clear day?', /blue/i],
      ['How many legs does a dog have?', /\b4\b|four/i],
    ] as const;
    for (const [question, expected] of cases) {
      const { text, done } = await collectStream(local, ask(question, { maxTokens: 32 }));
      expect(text, question).toMatch(expected);
      expect(done.usage.inputTokens).toBeGreaterThan(5);
    }
  });

  it('is deterministic when greedy and streams in pieces', async () => {
    const first = await collectStream(local, ask('Name a fruit.'));
    const second = await collectStream(local, ask('Name a fruit.'));
    expect(second.text).toBe(first.text);
    expect(first.pieces.length).toBeGreaterThan(2);
  });

  it('stops at max_tokens with finish reason length', async () => {
    const { done } = await collectStream(
      local,
      ask('Write a long story about a dragon.', { maxTokens: 5 }),
    );
    expect(done).toMatchObject({ finishReason: 'length', usage: { outputTokens: 5 } });
  });

  it('ends before a stop sequence', async () => {
    const { text, done } = await collectStream(
      local,
      ask('What is the capital of France?', { stop: ['Paris'] }),
    );
    expect(text).not.toMatch(/Paris/);
    expect(done.finishReason).toBe('stop');
  });

  it('repeats a sampled answer from the same seed', async () => {
    const sampled = ask('Invent a name for a cat.', { temperature: 1.2, topP: 0.95, seed: 7 });
    const first = await collectStream(local, sampled);
    const second = await collectStream(local, sampled);
    expect(second.text).toBe(first.text);
  });

  it(
    'returns JSON valid against a json_schema 20 times out of 20',
    { timeout: 180_000 },
    // The test's signal aborts its generations if it times out, so that the tests after it do
    // not queue behind them for the model's sequences.
    async ({ signal }) => {
      const schema = {
        type: 'object',
        properties: {
          city: { type: 'string', enum: ['Paris', 'Rome', 'Berlin'] },
          // A bounded field: an unbounded integer lets a greedy answer run digits to the
          // token limit, and a cut answer is not JSON.
          population: { type: 'string', maxLength: 12 },
          capital: { type: 'boolean' },
        },
        required: ['city', 'population', 'capital'],
        additionalProperties: false,
      };
      const validate = new Ajv().compile(schema);
      const places = ['France', 'Italy', 'Germany', 'Spain', 'Europe'];
      const asks = [
        'Describe the biggest city of',
        'Give facts about the capital of',
        'Which city leads',
        'Name the main city of',
      ];
      const questions = asks.flatMap((start) =>
        places.map((place) => `${start} ${place}, as JSON.`),
      );
      const answers: string[] = [];
      // Four at a time: the model's four sequences evaluate in one batch.
      for (let start = 0; start < questions.length; start += 4) {
        const batch = questions.slice(start, start + 4).map((question) =>
          collectStream(
            local,
            ask(question, {
              // Room for pretty-printed JSON: an answer cut at the limit is not valid JSON.
              maxTokens: 96,
              responseFormat: { type: 'json_schema', name: 'city', schema },
            }),
            signal,
          ),
        );
        answers.push(...(await Promise.all(batch)).map((answer) => answer.text));
      }
      const valid = answers.filter((text) => validate(JSON.parse(text)));
      expect(valid, answers.join('\n')).toHaveLength(20);
    },
  );

  it('returns a JSON object in json_object mode', async () => {
    const { text } = await collectStream(
      local,
      ask('Reply with a JSON object whose key "name" holds a short first name.', {
        maxTokens: 64,
        responseFormat: { type: 'json_object' },
      }),
    );
    expect(typeof JSON.parse(text)).toBe('object');
  });

  it('serves parallel requests and refuses clearly when its queue is full', async () => {
    const small = createLocalProvider({ modelsDir });
    try {
      const id = `${gguf}?parallel=2&queue=1&context=512`;
      const requests = Array.from({ length: 4 }, () =>
        collectStream(small, ask('Count to ten.', { model: id, maxTokens: 16 })),
      );
      const results = await Promise.allSettled(requests);
      const served = results.filter((result) => result.status === 'fulfilled');
      const refused = results.flatMap((result) =>
        result.status === 'rejected' ? [result.reason as unknown] : [],
      );
      expect(served).toHaveLength(3);
      expect(refused).toEqual([
        expect.objectContaining({
          code: 'UPSTREAM_RATE_LIMITED',
          message: expect.stringMatching(/busy: its 2 sequences are generating and 1 requests/),
        }),
      ]);
    } finally {
      await small.close();
    }
  });

  it('refuses by name what it cannot do', async () => {
    const image = {
      role: 'user' as const,
      content: 'x',
      images: [{ url: 'data:image/png;base64,AA==' }],
    };
    expect(await failure(local, ask('x', { messages: [image] }))).toMatchObject({
      code: 'UPSTREAM_BAD_REQUEST',
      message: expect.stringMatching(/image inputs/),
    });
    expect(
      await failure(local, ask('x', { tools: [{ name: 't', parameters: {} }] })),
    ).toMatchObject({
      code: 'UPSTREAM_BAD_REQUEST',
      message: expect.stringMatching(/tools/),
    });
    const unsupported = { type: 'string', pattern: '^[a-z]+$' };
    expect(
      await failure(
        local,
        ask('x', { responseFormat: { type: 'json_schema', schema: unsupported } }),
      ),
    ).toMatchObject({
      code: 'UPSTREAM_BAD_REQUEST',
      message: expect.stringMatching(/\/pattern: keyword pattern is not enforced/),
    });
    const long = { role: 'user' as const, content: 'cache '.repeat(2100) };
    expect(await failure(local, ask('x', { messages: [long] }))).toMatchObject({
      code: 'CONTEXT_LENGTH_EXCEEDED',
    });
  });

  it('stops generating when the caller aborts', async () => {
    const controller = new AbortController();
    const pieces: string[] = [];
    const reading = (async () => {
      for await (const chunk of local.stream(
        ask('Tell me a story.', { maxTokens: 64 }),
        controller.signal,
      )) {
        if (chunk.type === 'text') pieces.push(chunk.text);
        if (pieces.length === 2) controller.abort(new Error('client left'));
      }
    })();
    await expect(reading).rejects.toThrow('client left');
    expect(pieces).toHaveLength(2);
    // The sequence went back to the pool: the next request is served.
    expect((await collectStream(local, ask('Hi'))).text.length).toBeGreaterThan(0);
  });

  it('names a missing GGUF file and a bad setting', async () => {
    expect(await failure(local, ask('x', { model: '/nowhere/model.gguf' }))).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      message: expect.stringMatching(/\/nowhere\/model\.gguf does not exist/),
    });
    expect(await failure(local, ask('x', { model: `${gguf}?parallel=0` }))).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      message: expect.stringMatching(/parallel=0 is not an integer/),
    });
    expect(await failure(local, ask('x', { model: '../elsewhere/model.gguf' }))).toMatchObject({
      message: expect.stringMatching(/stays inside the models folder/),
    });
    expect(await failure(local, ask('x', { model: `${gguf}?threads=9` }))).toMatchObject({
      message: expect.stringMatching(/threads is not a GGUF model setting/),
    });
  });
});
