/**
 * The dataplane process (`dataplane/src/main.ts`) with SmolLM2 loaded on llama.cpp drains on
 * SIGTERM: a stream in flight goes on to its own end and the process exits 0. (node-llama-cpp
 * re-sends a signal it sees no other listener for; a `once` listener made the process die in
 * the middle of the drain.)
 */
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedModel } from '../../dataplane/src/providers/local/model-cache.ts';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { spawnDataplane } from '../support/dataplane-process.ts';

const gguf = cachedModel('smollm2-135m-instruct').id;
let server: RedisServer;
let config: ConfigDir;

beforeAll(async () => {
  expect(existsSync(gguf), `${gguf} is missing: run \`make models-fetch\``).toBe(true);
  server = await startRedis();
  config = await makeConfigDir({
    gateway: { defaultModel: 'chat', safety: { sanitize: false, pii: 'off', piiOutput: 'off' } },
    routes: {
      routes: [{ alias: 'chat', targets: [{ name: 'smollm2', provider: 'local', model: gguf }] }],
    },
  });
});

afterAll(async () => {
  await server.stop();
  await config.cleanup();
});

describe('the dataplane process on SIGTERM, with a GGUF model loaded', () => {
  it('lets a stream in flight finish and exits 0', { timeout: 120_000 }, async () => {
    const dataplane = await spawnDataplane(config.dir, server.url);
    const exited = once(dataplane.child, 'exit');
    const client = new OpenAI({
      baseURL: `${dataplane.url}/v1`,
      apiKey: await config.token(),
      maxRetries: 0,
    });
    const stream = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'Write a long story about a lighthouse keeper.' }],
      max_completion_tokens: 32,
      temperature: 0,
      stream: true,
    });
    let pieces = 0;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) pieces++;
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (pieces === 3 && finish === undefined) dataplane.child.kill('SIGTERM');
    }
    expect(finish).toBe('length');
    expect(pieces).toBeGreaterThan(20);
    expect(await exited).toEqual([0, null]);
  });
});
