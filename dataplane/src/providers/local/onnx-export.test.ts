/**
 * SmolLM2's ONNX export (`make models`, a prerequisite of `make test`: scripts/gguf-to-onnx.py
 * over the same GGUF) on the ONNX runtime: factual answers, and agreement with llama.cpp on the
 * same weights, token by token, teacher-forced on llama.cpp's greedy answer.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LlamaModel, Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectStream, failure } from '../../../../tests/providers/collect.ts';
import { llamaRuntime } from './llama-runtime.ts';
import { createLocalProvider, type LocalProvider } from './local.ts';
import { cachedModel, modelCacheDir } from './model-cache.ts';
import { argmax } from './sampler.ts';

const modelsDir = fileURLToPath(new URL('../../../../models', import.meta.url));
const exportDir = join(modelCacheDir(), 'smollm2-135m-instruct-onnx');
const SYSTEM = 'You are a helpful assistant. Answer briefly.';
const chat = (content: string) => [
  { role: 'system' as const, content: SYSTEM },
  { role: 'user' as const, content },
];
let local: LocalProvider;
let gguf: LlamaModel;

beforeAll(async () => {
  expect(
    existsSync(join(exportDir, 'SHA256SUMS')),
    `${exportDir} is missing: run \`make models\``,
  ).toBe(true);
  local = createLocalProvider({ modelsDir });
  const { llama } = await llamaRuntime();
  gguf = await llama.loadModel({ modelPath: cachedModel('smollm2-135m-instruct').id });
});
afterAll(async () => {
  await local.close();
  await gguf.dispose();
});

/** llama.cpp's greedy continuation of the prompt's tokens. */
async function llamaGreedy(prompt: readonly number[], count: number): Promise<number[]> {
  const context = await gguf.createContext({ contextSize: 512, threads: availableParallelism() });
  try {
    const tokens: number[] = [];
    for await (const token of context
      .getSequence()
      .evaluate(prompt as Token[], { temperature: 0 })) {
      tokens.push(token);
      if (tokens.length === count) break;
    }
    return tokens;
  } finally {
    await context.dispose();
  }
}

describe('SmolLM2 exported to ONNX', () => {
  it('answers factual questions greedily with the expected word (q4)', async () => {
    const cases = [
      ['What is the capital of France?', /paris/i],
      ['What is 2+3?', /\b5\b|five/i],
      ['What colour is the sky on a clear day?', /blue/i],
      ['How many legs does a dog have?', /\b4\b|four/i],
    ] as const;
    for (const [question, expected] of cases) {
      const { text } = await collectStream(local, {
        model: `${exportDir}?dtype=q4`,
        messages: chat(question),
        maxTokens: 32,
      });
      expect(text, question).toMatch(expected);
    }
  });

  for (const dtype of ['fp32', 'q4']) {
    it(
      `agrees with llama.cpp on at least 90 % of 64 greedy tokens (${dtype})`,
      { timeout: 120_000 },
      async () => {
        const onnx = await local.load(`${exportDir}?dtype=${dtype}`);
        let agreed = 0;
        let total = 0;
        for (const question of ['Write a short poem about the sea.', 'Explain what a CPU does.']) {
          const prompt = onnx.tokenizer.encode(onnx.tokenizer.renderChat(chat(question)));
          expect([...gguf.tokenize(onnx.tokenizer.renderChat(chat(question)), true)]).toEqual(
            prompt,
          );
          const reference = await llamaGreedy(prompt, 64);
          let step = await onnx.step(prompt, undefined);
          for (const token of reference) {
            if (argmax(step.logits) === token) agreed++;
            total++;
            step = await onnx.step([token], step.cache);
          }
        }
        expect(total).toBe(128);
        expect(agreed / total).toBeGreaterThanOrEqual(0.9);
      },
    );
  }

  it('refuses a JSON response format it cannot enforce', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } } };
    expect(
      await failure(local, {
        model: `${exportDir}?dtype=q4`,
        messages: chat('x'),
        responseFormat: { type: 'json_schema', schema },
      }),
    ).toMatchObject({
      code: 'UPSTREAM_BAD_REQUEST',
      message: expect.stringMatching(/cannot enforce response_format json_schema/),
    });
  });
});
