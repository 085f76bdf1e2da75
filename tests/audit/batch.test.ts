import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { chatItems, fastBatch, waitFor } from '../batch/support.ts';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';
import type { ConfigDir } from '../support/config-dir.ts';
import { auditConfig, exportText, receiptsOf } from './support.ts';

let server: RedisServer;
let config: ConfigDir;
let app: FastifyInstance;
let redis: Redis;

beforeAll(async () => {
  server = await startRedis();
  config = await auditConfig({
    batch: { ...fastBatch, workers: { ...fastBatch.workers, inGateway: 2 } },
  });
  redis = new Redis(server.url);
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false, redis });
});

afterAll(async () => {
  await app.close();
  await redis.quit();
  await server.stop();
  await config.cleanup();
});

async function call(method: 'GET' | 'POST', url: string, payload?: object) {
  return app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${await config.token({ tenant: 'batcher' })}`,
      'x-request-id': `req-${url}`,
    },
    ...(payload === undefined ? {} : { payload }),
  });
}

describe('batch receipts', () => {
  it('leave one receipt per item, with the item id as the request id', async () => {
    const submitted = await call('POST', '/api/v1/batches', {
      task_id: 'audited-1',
      items: chatItems(3),
    });
    expect(submitted.statusCode).toBe(202);
    const { id } = submitted.json<{ id: string }>();
    await waitFor('the batch to finish', async () => {
      const batch = (await call('GET', `/api/v1/batches/${id}`)).json<{ status: string }>();
      return batch.status === 'completed' ? batch : undefined;
    });
    const receipts = receiptsOf(await exportText(app, config, 'batcher')).filter(
      (receipt) => receipt['surface'] === 'batch',
    );
    expect(receipts.map((receipt) => receipt['request_id']).sort()).toEqual([
      `${id}-0`,
      `${id}-1`,
      `${id}-2`,
    ]);
    for (const receipt of receipts) {
      expect(receipt).toMatchObject({ outcome: 'served', principal: `batch:${id}`, model: 'chat' });
    }
  });

  it('leave a receipt for the admin action that cancels a batch', async () => {
    const submitted = await call('POST', '/api/v1/batches', {
      task_id: 'audited-2',
      model: 'chat',
      items: chatItems(1),
    });
    const { id } = submitted.json<{ id: string }>();
    const cancelled = await call('POST', `/api/v1/batches/${id}/cancel`);
    expect(cancelled.statusCode).toBe(200);
    const receipt = receiptsOf(await exportText(app, config, 'batcher')).find(
      (candidate) => candidate['kind'] === 'admin',
    );
    expect(receipt).toMatchObject({
      kind: 'admin',
      outcome: 'done',
      action: 'batch.cancel',
      target: id,
      tenant: 'batcher',
      principal: 'tester',
    });
  });
});
