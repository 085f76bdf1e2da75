/**
 * An OpenAI Batch input line that asks for `logprobs` gets its tokens' log-probabilities in its
 * output line (`choices[0].logprobs`), as `/v1/chat/completions` answers them; a line that does
 * not ask gets `logprobs: null`. Real Redis, a worker in the gateway process, the mock provider
 * (whose words are certain: log-probability 0).
 */
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { batchRoutes, fastBatch, waitFor } from './support.ts';

let server: RedisServer;
let redis: Redis;
let config: ConfigDir;
let app: FastifyInstance;
let headers: Record<string, string>;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
  config = await makeConfigDir({
    routes: batchRoutes,
    prompts: false,
    gateway: { batch: fastBatch, safety: { sanitize: false, pii: 'off', piiOutput: 'off' } },
  });
  app = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    redis,
    batchWorkers: 2,
  });
  headers = { authorization: `Bearer ${await config.token()}`, 'x-request-id': 'logprobs-batch' };
});

afterAll(async () => {
  await app.close();
  await redis.quit();
  await server.stop();
  await config.cleanup();
});

const line = (customId: string, extra: object) =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'chat', messages: [{ role: 'user', content: 'hi' }], ...extra },
  });

describe('OpenAI Batch output', () => {
  it('carries the tokens’ log-probabilities of a line that asked for them', async () => {
    const jsonl = [line('asked', { logprobs: true, top_logprobs: 1 }), line('plain', {})].join(
      '\n',
    );
    const submitted = await app.inject({
      method: 'POST',
      url: '/api/v1/batches',
      headers,
      payload: { task_id: 'logprobs-1', jsonl },
    });
    expect(submitted.statusCode, submitted.body).toBeLessThan(300);
    const id = submitted.json<{ id: string }>().id;
    await waitFor(`batch ${id} to finish`, async () => {
      const batch = await app.inject({ method: 'GET', url: `/api/v1/batches/${id}`, headers });
      return batch.json<{ status: string }>().status === 'completed' ? true : undefined;
    });
    const output = await app.inject({
      method: 'GET',
      url: `/api/v1/batches/${id}/results?format=openai`,
      headers,
    });
    type Line = {
      custom_id: string;
      response: { body: { choices: { logprobs: unknown }[] } };
    };
    const lines = output.body
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as Line);
    const token = (text: string) => ({
      token: text,
      logprob: 0,
      bytes: [...Buffer.from(text, 'utf8')],
    });
    expect(
      Object.fromEntries(
        lines.map((each) => [each.custom_id, each.response.body.choices[0]?.logprobs]),
      ),
    ).toEqual({
      asked: {
        content: [
          { ...token('Echo:'), top_logprobs: [token('Echo:')] },
          { ...token(' hi'), top_logprobs: [token(' hi')] },
        ],
        refusal: null,
      },
      plain: null,
    });
  });
});
