/**
 * The model server returns a local ONNX model's token log-probabilities to the official
 * `openai` client, whole and per chunk: the tiny model's greedy answer, every token the most
 * likely of its alternatives.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  spawnModelServer,
  TINY,
  TINY_ANSWER,
  waitReady,
  type ModelServerProcess,
} from './process.ts';

const sha256 = (path: string) =>
  `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;

describe('the model server with logprobs', () => {
  let server: ModelServerProcess;
  let client: OpenAI;
  beforeAll(async () => {
    server = await spawnModelServer({
      MODEL_URI: `file://${TINY}`,
      MODEL_NAME: 'tiny',
      MODEL_VERSION: 'v1',
      MODEL_QUANTIZATION: 'int8',
      MODEL_CHECKSUM: sha256(join(TINY, 'onnx/model_int8.onnx')),
    });
    await waitReady(server);
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  const ask = {
    model: 'tiny',
    messages: [{ role: 'user' as const, content: 'hi there' }],
    logprobs: true,
    top_logprobs: 2,
  };

  it('answers the tokens of the greedy answer, whole and streamed', async () => {
    const whole = await client.chat.completions.create(ask);
    const tokens = whole.choices[0]?.logprobs?.content ?? [];
    expect(tokens.map((token) => token.token).join('')).toBe(TINY_ANSWER);
    for (const token of tokens) {
      expect(token.top_logprobs).toHaveLength(2);
      expect(token.top_logprobs[0]?.token).toBe(token.token);
      expect(token.logprob).toBeLessThanOrEqual(0);
    }
    const stream = client.chat.completions.stream({ ...ask, stream: true });
    let chunksWithTokens = 0;
    for await (const chunk of stream)
      if ((chunk.choices[0]?.logprobs?.content?.length ?? 0) > 0) chunksWithTokens++;
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.logprobs?.content).toEqual(tokens);
    expect(chunksWithTokens).toBeGreaterThan(1);
  });
});
