/**
 * Batch items go through the input PII policy like any request (docs/safety.md): real Redis, a
 * worker in the gateway process, the mock provider (which echoes what it was sent). An item
 * with a kind under `redact` reaches the provider redacted; one with a kind under `block`
 * fails with CONTENT_BLOCKED naming the kind, and both are counted.
 */
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';
import { batchRoutes, fastBatch, waitFor } from '../batch/support.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';

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
    gateway: {
      batch: fastBatch,
      safety: {
        sanitize: false,
        pii: { default: 'redact', kinds: { credit_card: 'block' } },
        piiOutput: 'off',
      },
    },
  });
  app = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    redis,
    batchWorkers: 2,
  });
  headers = { authorization: `Bearer ${await config.token()}`, 'x-request-id': 'pii-batch' };
});

afterAll(async () => {
  await app.close();
  await redis.quit();
  await server.stop();
  await config.cleanup();
});

const line = (customId: string, content: string) =>
  JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'chat', messages: [{ role: 'user', content }] },
  });

describe('batch items under the PII policy', () => {
  it('sends a redact kind redacted and fails a block kind by name, counting both', async () => {
    const jsonl = [
      line('mailed', 'mail jane@example.com'),
      line('carded', 'charge 4111 1111 1111 1111'),
    ].join('\n');
    const submitted = await app.inject({
      method: 'POST',
      url: '/api/v1/batches',
      headers,
      payload: { task_id: 'pii-1', jsonl },
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
    const lines = Object.fromEntries(
      output.body
        .trim()
        .split('\n')
        .map((text) => JSON.parse(text) as { custom_id: string })
        .map((each) => [each.custom_id, each]),
    );
    expect(lines['mailed']).toMatchObject({
      response: { body: { choices: [{ message: { content: 'Echo: mail [REDACTED:email]' } }] } },
    });
    expect(JSON.stringify(lines['carded'])).toContain('CONTENT_BLOCKED');
    expect(JSON.stringify(lines['carded'])).toContain('credit_card');
    expect(JSON.stringify(lines['carded'])).not.toContain('4111');
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('inference_safety_findings_total{kind="pii:email"} 1');
    expect(metrics).toContain('inference_safety_findings_total{kind="pii:credit_card"} 1');
  });
});
