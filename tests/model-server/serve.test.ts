/**
 * The model server as a pod runs it: a real process serving models/tiny (and MiniLM for
 * embeddings, SmolLM2 on llama.cpp for a long stream), the official `openai` client against
 * it, readiness after the warm-up, metrics, checksum verification, and a SIGTERM during a
 * stream that lets the stream finish.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedModel } from '../../dataplane/src/providers/local/model-cache.ts';
import {
  metric,
  spawnModelServer,
  TINY,
  TINY_ANSWER,
  waitReady,
  type ModelServerProcess,
} from './process.ts';

const sha256 = (path: string) =>
  `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
const client = (server: ModelServerProcess) =>
  new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const hi = [{ role: 'user' as const, content: 'hi there' }];

describe('the model server on the tiny model', () => {
  let server: ModelServerProcess;
  beforeAll(async () => {
    server = await spawnModelServer({
      MODEL_URI: `file://${TINY}`,
      MODEL_NAME: 'tiny',
      MODEL_VERSION: 'v1',
      MODEL_QUANTIZATION: 'int8',
      MODEL_CHECKSUM: sha256(join(TINY, 'onnx/model_int8.onnx')),
    });
    await waitReady(server);
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  it('is ready only after the load and the warm-up generation', async () => {
    const readyz = (await (await fetch(`${server.url}/readyz`)).json()) as Record<string, unknown>;
    expect(readyz).toEqual({
      status: 'ready',
      model: 'tiny',
      version: 'v1',
      runtime: 'onnx',
      task: 'chat',
    });
    const lines = server.output().split('\n');
    const listening = lines.findIndex((line) => line.includes('Server listening'));
    const loaded = lines.findIndex((line) => line.includes('"msg":"Loaded model"'));
    expect(listening).toBeGreaterThanOrEqual(0);
    expect(loaded).toBeGreaterThan(listening);
    expect(JSON.parse(lines[loaded] ?? '{}')).toMatchObject({
      version: 'v1',
      warmUpMs: expect.any(Number),
    });
  });

  it('answers the official openai client, whole and streamed', async () => {
    const openai = client(server);
    const models = await openai.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['tiny']);
    const completion = await openai.chat.completions.create({ model: 'tiny', messages: hi });
    expect(completion.choices[0]?.message.content).toBe(TINY_ANSWER);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 18 });
    const stream = await openai.chat.completions.create({
      model: 'tiny',
      messages: hi,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(TINY_ANSWER);
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBe(18);
  });

  it('refuses what the runtime cannot do by name, and embeddings on a chat model', async () => {
    const openai = client(server);
    const tools = openai.chat.completions.create({
      model: 'tiny',
      messages: hi,
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    });
    await expect(tools).rejects.toMatchObject({ status: 400 });
    await expect(openai.embeddings.create({ model: 'tiny', input: 'x' })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('has no embeddings'),
    });
  });

  it('publishes memory, tokens per second and queue depth on /metrics', async () => {
    await client(server).chat.completions.create({ model: 'tiny', messages: hi });
    expect(await metric(server.url, 'model_server_tokens_per_second')).toBeGreaterThan(0);
    expect(await metric(server.url, 'model_server_queue_depth')).toBe(0);
    expect(await metric(server.url, 'model_server_memory_bytes{kind="rss"}')).toBeGreaterThan(
      10 * 2 ** 20,
    );
    expect(
      await metric(
        server.url,
        'model_server_model_info{model="tiny",version="v1",runtime="onnx",task="chat"}',
      ),
    ).toBe(1);
    expect(
      await metric(server.url, 'model_server_requests_total{operation="chat",outcome="ok"}'),
    ).toBeGreaterThanOrEqual(3);
  });
});

describe('the model server at start', () => {
  it('exits non-zero, naming both checksums, when the weights do not match', async () => {
    const server = await spawnModelServer({
      MODEL_URI: TINY,
      MODEL_CHECKSUM: `sha256:${'0'.repeat(64)}`,
    });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(
      /Checksum mismatch for .*model\.onnx: expected sha256:0{64}, got sha256:[0-9a-f]{64}/,
    );
  });

  it('refuses a remote URI by name rather than fetching it', async () => {
    const server = await spawnModelServer({ MODEL_URI: 'https://models.invalid/tiny' });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('is not a local path');
  });
});

const minilm = cachedModel('all-minilm-l6-v2').id;
const smollm2 = cachedModel('smollm2-135m-instruct').id;

describe('the model server on the fetched models', () => {
  it('serves embeddings from an encoder (MiniLM)', async () => {
    expect(existsSync(minilm), `${minilm} is missing: run \`make models-fetch\``).toBe(true);
    const server = await spawnModelServer({
      MODEL_URI: minilm,
      MODEL_QUANTIZATION: 'int8',
      MODEL_NAME: 'embed',
    });
    try {
      await waitReady(server);
      const result = await client(server).embeddings.create({
        model: 'embed',
        input: ['a cat', 'a dog'],
      });
      expect(result.data).toHaveLength(2);
      expect(result.data[0]?.embedding).toHaveLength(384);
      const chat = client(server).chat.completions.create({ model: 'embed', messages: hi });
      await expect(chat).rejects.toMatchObject({ status: 400 });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('lets a stream finish when SIGTERM arrives in the middle of it (SmolLM2 on llama.cpp)', async () => {
    expect(existsSync(smollm2), `${smollm2} is missing: run \`make models-fetch\``).toBe(true);
    const server = await spawnModelServer({
      MODEL_URI: smollm2,
      MODEL_NAME: 'smollm2',
      MODEL_DRAIN_TIMEOUT_S: '120',
    });
    await waitReady(server);
    const stream = await client(server).chat.completions.create({
      model: 'smollm2',
      messages: [{ role: 'user', content: 'Write a long story about a lighthouse keeper.' }],
      max_completion_tokens: 32,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let pieces = 0;
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined | null;
    let signalledAt = -1;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) pieces++;
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
      if (pieces === 3 && signalledAt < 0) {
        signalledAt = pieces;
        server.child.kill('SIGTERM');
      }
    }
    // The stream went on after the signal to its own end: the token limit, with usage.
    expect(signalledAt).toBe(3);
    expect(finish).toBe('length');
    expect(usage?.completion_tokens).toBe(32);
    expect(pieces).toBeGreaterThan(20);
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('"msg":"Drained"');
  }, 120_000);
});
