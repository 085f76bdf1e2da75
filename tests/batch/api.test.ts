/**
 * The batch API against a real Redis, through `buildApp` (the gateway process), with and
 * without an in-gateway worker. Worker processes are in workers.test.ts.
 */
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { receiptsOf } from '../audit/support.ts';
import { batchRoutes, chatItems, fastBatch, parseSse, waitFor } from './support.ts';

let server: RedisServer;
let config: ConfigDir;

beforeAll(async () => {
  server = await startRedis();
  config = await makeConfigDir({
    routes: batchRoutes,
    prompts: false,
    gateway: {
      batch: {
        ...fastBatch,
        tenants: { small: { maxQueued: 20, maxRunning: 1 }, narrow: { maxRunning: 1 } },
      },
    },
  });
});

afterAll(async () => {
  await server.stop();
  await config.cleanup();
});

async function gateway(options: { workers?: number } = {}) {
  const redis = new Redis(server.url);
  const app = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    redis,
    ...(options.workers === undefined ? {} : { batchWorkers: options.workers }),
  });
  return {
    app,
    redis,
    close: async () => {
      await app.close();
      await redis.quit();
    },
  };
}

async function client(app: FastifyInstance, claims: { tenant?: string; scopes?: string[] } = {}) {
  const headers = {
    authorization: `Bearer ${await config.token(claims)}`,
    'x-request-id': 'batch-test',
  };
  return {
    submit: (body: object) =>
      app.inject({ method: 'POST', url: '/api/v1/batches', headers, payload: body }),
    get: (path: string) => app.inject({ method: 'GET', url: `/api/v1/batches${path}`, headers }),
    post: (path: string, body?: object) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/batches${path}`,
        headers,
        ...(body === undefined ? {} : { payload: body }),
      }),
  };
}

type Client = Awaited<ReturnType<typeof client>>;

/** The batch view, as far as these tests read it. */
interface BatchBody {
  id: string;
  status: string;
  finished_at: number | null;
  request_counts: Record<string, number>;
}

interface ListBody {
  data: { status: string; attempts: number; outcome: string }[];
  next_cursor: string | null;
}

async function finished(api: Client, id: string, timeoutMs = 20_000): Promise<BatchBody> {
  return waitFor(
    `batch ${id} to finish`,
    async () => {
      const batch = (await api.get(`/${id}`)).json<BatchBody>();
      return batch.status === 'completed' || batch.status === 'cancelled' ? batch : undefined;
    },
    timeoutMs,
  );
}

describe('batch endpoints without Redis', () => {
  it('answer 503 BATCH_UNAVAILABLE naming REDIS_URL', async () => {
    const app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
    try {
      const api = await client(app);
      for (const response of [
        await api.submit({ task_id: 't', items: chatItems(1) }),
        await api.get('/batch_x'),
        await api.get('/dead-letters'),
      ]) {
        expect(response.statusCode).toBe(503);
        expect(response.json().error).toMatchObject({
          code: 'BATCH_UNAVAILABLE',
          retryable: true,
          details: { missing: 'REDIS_URL' },
        });
        expect(response.json().error.message).toContain('REDIS_URL');
      }
    } finally {
      await app.close();
    }
  });
});

describe('submitting batches (no worker running)', () => {
  let gw: Awaited<ReturnType<typeof gateway>>;
  let api: Client;

  beforeAll(async () => {
    gw = await gateway();
    api = await client(gw.app);
  });
  afterAll(() => gw.close());

  it('accepts a batch with 202 and shows its progress', async () => {
    const response = await api.submit({ task_id: 'accept-1', model: 'chat', items: chatItems(3) });
    expect(response.statusCode).toBe(202);
    const batch = response.json();
    expect(batch).toMatchObject({
      object: 'batch',
      task_id: 'accept-1',
      status: 'in_progress',
      model: 'chat',
      input_format: 'items',
      finished_at: null,
      request_counts: { total: 3, succeeded: 0, failed: 0, cancelled: 0, pending: 3 },
      dead_letters: 0,
    });
    expect(batch.id).toMatch(/^batch_/);
    expect((await api.get(`/${batch.id}`)).json()).toEqual(batch);
  });

  it('returns the same batch (200) for a task_id reused with the same payload', async () => {
    const body = { task_id: 'same-1', items: chatItems(2) };
    const first = await api.submit(body);
    const again = await api.submit(body);
    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
  });

  it('refuses a task_id reused with another payload with a 409 naming the batch', async () => {
    const first = await api.submit({ task_id: 'conflict-1', items: chatItems(2) });
    const other = await api.submit({ task_id: 'conflict-1', items: chatItems(3) });
    expect(other.statusCode).toBe(409);
    expect(other.json().error).toMatchObject({
      code: 'CONFLICT',
      details: { task_id: 'conflict-1', batch_id: first.json().id },
    });
    expect(other.json().error.message).toContain('different payload');
  });

  it('creates one batch from concurrent duplicate submits on two replicas', async () => {
    const replica = await gateway();
    try {
      const apis = [api, await client(replica.app)];
      const body = { task_id: 'race-1', items: chatItems(50) };
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, at) => apis[at % 2]!.submit(body)),
      );
      const ids = new Set(responses.map((response) => response.json<BatchBody>().id));
      expect(ids.size).toBe(1);
      expect(responses.filter((response) => response.statusCode === 202)).toHaveLength(1);
      expect(responses.filter((response) => response.statusCode === 200)).toHaveLength(19);
      const [id] = ids;
      const redis = gw.redis;
      // One batch, its items counted once, and no staged copy left behind by the losers.
      expect(await redis.hlen(`inference:batch:b:${String(id)}:items`)).toBe(50);
      const staged = await redis.keys('inference:batch:b:*:items');
      const batches = await Promise.all(
        staged.map(async (key) => (await redis.hget(key.replace(/:items$/, ''), 'task_id')) ?? ''),
      );
      expect(batches.filter((task) => task === 'race-1')).toHaveLength(1);
      expect(batches.filter((task) => task === '')).toHaveLength(0);
    } finally {
      await replica.close();
    }
  });

  it('refuses a submit over the tenant queue limit with 429 and Retry-After', async () => {
    const small = await client(gw.app, { tenant: 'small' });
    expect((await small.submit({ task_id: 'q1', items: chatItems(15) })).statusCode).toBe(202);
    const over = await small.submit({ task_id: 'q2', items: chatItems(10) });
    expect(over.statusCode).toBe(429);
    expect(over.headers['retry-after']).toBe('10');
    expect(over.json().error).toMatchObject({
      code: 'RATE_LIMITED',
      retryable: true,
      details: { queued: 15, limit: 20 },
    });
    expect((await small.submit({ task_id: 'q3', items: chatItems(5) })).statusCode).toBe(202);
    // Cancelling frees the undispatched items at once (one of q1's is in flight: limit 1).
    await gw.app.services.batch!.dispatcher.settled();
    const first = (await small.submit({ task_id: 'q1', items: chatItems(15) })).json();
    const cancelled = (await small.post(`/${first.id}/cancel`)).json();
    expect(cancelled).toMatchObject({ status: 'cancelling', request_counts: { cancelled: 14 } });
    expect((await small.submit({ task_id: 'q2', items: chatItems(10) })).statusCode).toBe(202);
    expect(await gw.app.services.batch!.store.stats('small')).toMatchObject({ queued: 16 });
  });

  it("hides another tenant's batch and unknown ids behind a 404", async () => {
    const batch = (await api.submit({ task_id: 'mine-1', items: chatItems(1) })).json();
    const other = await client(gw.app, { tenant: 'other' });
    for (const response of [
      await other.get(`/${batch.id}`),
      await other.get(`/${batch.id}/results`),
      await other.post(`/${batch.id}/cancel`),
      await other.get(`/${batch.id}/events`),
      await api.get('/batch_unknown'),
    ]) {
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('NOT_FOUND');
    }
  });

  it('requires batch:submit, and batch:admin for the dead-letter queue', async () => {
    const reader = await client(gw.app, { scopes: ['inference:invoke'] });
    expect((await reader.submit({ task_id: 'x', items: chatItems(1) })).statusCode).toBe(403);
    const tenantOnly = await client(gw.app, { scopes: ['batch:submit'] });
    expect((await tenantOnly.get('/dead-letters')).statusCode).toBe(403);
    expect(
      (await tenantOnly.post('/dead-letters/redrive', { batch_id: 'batch_x' })).statusCode,
    ).toBe(403);
  });

  it('refuses bad input with 400 and the path at fault', async () => {
    const cases: [object, string][] = [
      [{ task_id: 'b1' }, 'body.items'],
      [{ task_id: 'b2', items: chatItems(1), jsonl: '{}' }, 'body.items'],
      [{ task_id: 'b3', items: [{ messages: [{ role: 'robot', content: 'x' }] }] }, 'body.items'],
      [{ task_id: 'b4', jsonl: '\n\n' }, 'body.jsonl'],
      [{ task_id: 'b5', jsonl: 'not json' }, 'body.jsonl'],
      [
        {
          task_id: 'b6',
          items: [
            { custom_id: 'a', messages: [{ role: 'user', content: 'x' }] },
            { custom_id: 'a', messages: [{ role: 'user', content: 'y' }] },
          ],
        },
        'body.items.1.custom_id',
      ],
    ];
    for (const [body, path] of cases) {
      const response = await api.submit(body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().error.details.path).toContain(path);
    }
    expect((await api.get('/batch_x/results?limit=0')).statusCode).toBe(400);
    const unknown = await api.submit({
      task_id: 'b7',
      items: [...chatItems(2), ...chatItems(1, 'nope')],
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({
      code: 'MODEL_NOT_FOUND',
      details: { model: 'nope', index: 2 },
    });
    expect((await api.post('/dead-letters/redrive', {})).statusCode).toBe(400);
  });

  it('explains which jsonl line is wrong', async () => {
    const good = jsonlLine('a', 'hello');
    const cases: [string, RegExp][] = [
      [`${good}\n{"custom_id":"b"}`, /line 2 /],
      [`${good}\n${jsonlLine('b', 'x', { stream: true })}`, /line 2 asks for a stream/],
      [jsonlLine('a', 'x', { tools: [] }), /line 1 declares tools/],
      [
        JSON.stringify({
          custom_id: 'a',
          method: 'POST',
          url: '/v1/chat/completions',
          body: {
            model: 'chat',
            messages: [
              {
                role: 'system',
                content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }],
              },
            ],
          },
        }),
        /line 1 is invalid: Only user messages may carry images/,
      ],
      [`${good}\n${good}`, /custom_id a appears twice/],
    ];
    for (const [jsonl, message] of cases) {
      const response = await api.submit({ task_id: 'jsonl-bad', jsonl });
      expect(response.statusCode, jsonl).toBe(400);
      expect(response.json().error.message).toMatch(message);
    }
  });

  it('streams a finished batch as one done event', async () => {
    const batch = (await api.submit({ task_id: 'events-cancelled', items: chatItems(2) })).json();
    await api.post(`/${batch.id}/cancel`);
    const response = await api.get(`/${batch.id}/events`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/event-stream');
    const events = await parseSse(response.body);
    expect(events.map((event) => event.event)).toEqual(['done']);
    expect(JSON.parse(events[0]!.data)).toMatchObject({
      id: batch.id,
      status: 'cancelled',
      request_id: 'batch-test',
    });
  });
  it('cancels a batch: undispatched items at once, an in-flight one when a worker takes it', async () => {
    const narrow = await client(gw.app, { tenant: 'narrow' });
    const batch = (await narrow.submit({ task_id: 'cancel-1', items: chatItems(4) })).json();
    await gw.app.services.batch!.dispatcher.settled();
    const cancelling = await narrow.post(`/${batch.id}/cancel`);
    expect(cancelling.statusCode).toBe(200);
    expect(cancelling.json()).toMatchObject({
      status: 'cancelling',
      finished_at: null,
      request_counts: { total: 4, cancelled: 3, pending: 1 },
    });
    // Until the batch is finished, a page leaves out the items without a result.
    expect((await narrow.get(`/${batch.id}/results`)).json().data).toEqual([]);
    // A worker that takes the in-flight item records it cancelled instead of running it.
    gw.app.services.batch!.startWorker(2);
    const done = await finished(narrow, batch.id);
    expect(done).toMatchObject({
      status: 'cancelled',
      request_counts: { cancelled: 4, pending: 0 },
    });
    expect(done.finished_at).toEqual(expect.any(Number));
    const results = (await narrow.get(`/${batch.id}/results`)).json<ListBody>();
    expect(results.data.map((result) => result.status)).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
    expect(await gw.app.services.batch!.store.executions(batch.id)).toEqual(new Map());
    // Cancelling again changes nothing.
    expect((await narrow.post(`/${batch.id}/cancel`)).json().status).toBe('cancelled');
  });
});

function jsonlLine(customId: string, content: string, extra: object = {}): string {
  return JSON.stringify({
    custom_id: customId,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'chat', messages: [{ role: 'user', content }], ...extra },
  });
}

describe('running batches in the gateway process', () => {
  let gw: Awaited<ReturnType<typeof gateway>>;
  let api: Client;
  let admin: Client;

  beforeAll(async () => {
    gw = await gateway({ workers: 4 });
    api = await client(gw.app, { tenant: 'runner' });
    admin = await client(gw.app, { tenant: 'ops', scopes: ['batch:admin'] });
  });
  afterAll(() => gw.close());

  it('runs every item once and pages the results in item order', async () => {
    const submitted = (
      await api.submit({
        task_id: 'run-1',
        items: [
          ...chatItems(24),
          { custom_id: 'last', messages: [{ role: 'user', content: 'bye' }] },
        ],
      })
    ).json();
    const batch = await finished(api, submitted.id);
    expect(batch.request_counts).toEqual({
      total: 25,
      succeeded: 25,
      failed: 0,
      cancelled: 0,
      pending: 0,
    });
    const pages: { data: unknown[]; next_cursor: string | null }[] = [];
    let cursor: string | null = '0';
    while (cursor !== null) {
      const page: { data: unknown[]; next_cursor: string | null } = (
        await api.get(`/${batch.id}/results?limit=10&cursor=${cursor}`)
      ).json();
      pages.push(page);
      cursor = page.next_cursor;
    }
    expect(pages.map((page) => page.data.length)).toEqual([10, 10, 5]);
    const results = pages.flatMap((page) => page.data);
    results.slice(0, 24).forEach((result, index) => {
      expect(result).toMatchObject({
        index,
        status: 'succeeded',
        attempts: 1,
        response: {
          id: `${batch.id}-${index}`,
          model: 'chat',
          output: { role: 'assistant', content: `Echo: item ${index}` },
          finish_reason: 'stop',
        },
      });
    });
    expect(results[24]).toMatchObject({
      custom_id: 'last',
      response: { output: { content: 'Echo: bye' } },
    });
    const executions = await gw.app.services.batch!.store.executions(batch.id);
    expect([...executions.values()]).toEqual(Array.from({ length: 25 }, () => 1));
  });

  it('takes the OpenAI Batch input format and answers its output format', async () => {
    const jsonl = [jsonlLine('req-a', 'alpha beta'), '', jsonlLine('req-b', 'gamma')].join('\n');
    const submitted = (await api.submit({ task_id: 'openai-1', jsonl })).json();
    expect(submitted).toMatchObject({ input_format: 'openai', request_counts: { total: 2 } });
    const batch = await finished(api, submitted.id);
    const response = await api.get(`/${batch.id}/results?format=openai&limit=1`);
    expect(response.headers['content-type']).toContain('application/x-ndjson');
    expect(response.headers['x-next-cursor']).toBe('1');
    const [line] = response.body
      .trim()
      .split('\n')
      .map((text): unknown => JSON.parse(text));
    expect(line).toMatchObject({
      id: `batch_req_${batch.id}-0`,
      custom_id: 'req-a',
      error: null,
      response: {
        status_code: 200,
        request_id: `${batch.id}-0`,
        body: {
          object: 'chat.completion',
          model: 'chat',
          choices: [{ index: 0, message: { role: 'assistant', content: 'Echo: alpha beta' } }],
          usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 },
        },
      },
    });
    const rest = await api.get(`/${batch.id}/results?format=openai&cursor=1`);
    expect(rest.headers['x-next-cursor']).toBeUndefined();
    expect(JSON.parse(rest.body.trim())).toMatchObject({ custom_id: 'req-b' });
  });

  it('retries a failing item 3 times, dead-letters it with its last error, and a re-drive completes it', async () => {
    const submitted = (
      await api.submit({
        task_id: 'dlq-1',
        items: [
          { custom_id: 'good', model: 'chat', messages: [{ role: 'user', content: 'fine' }] },
          { custom_id: 'bad', model: 'flaky', messages: [{ role: 'user', content: 'again' }] },
        ],
      })
    ).json();
    const batch = await finished(api, submitted.id);
    expect(batch).toMatchObject({
      status: 'completed',
      request_counts: { succeeded: 1, failed: 1 },
      dead_letters: 1,
    });
    const [, failed] = (await api.get(`/${batch.id}/results`)).json().data;
    expect(failed).toMatchObject({
      index: 1,
      custom_id: 'bad',
      status: 'failed',
      attempts: 3,
      error: { code: 'UPSTREAM_UNAVAILABLE', retryable: true },
    });
    const letters = (await admin.get('/dead-letters?tenant=runner')).json();
    expect(letters).toMatchObject({ object: 'list', total: 1, next_cursor: null });
    expect(letters.data[0]).toMatchObject({
      batch_id: batch.id,
      index: 1,
      tenant: 'runner',
      task_id: 'dlq-1',
      custom_id: 'bad',
      attempts: 3,
      error: { code: 'UPSTREAM_UNAVAILABLE' },
    });

    // The operator fixes the route, then re-drives the item: it runs again and succeeds.
    await config.write('routes.yaml', {
      routes: batchRoutes.routes.map((route) =>
        route.alias === 'flaky'
          ? { alias: 'flaky', targets: [{ name: 'fixed', provider: 'mock', model: 'echo' }] }
          : route,
      ),
    });
    await gw.app.services.config.reload();
    try {
      const redriven = await admin.post('/dead-letters/redrive', {
        items: [{ batch_id: batch.id, index: 1 }],
      });
      expect(redriven.json()).toEqual({
        data: [{ batch_id: batch.id, index: 1, outcome: 'redriven' }],
      });
      // The re-drive is an admin action: it leaves a receipt in the operator's chain.
      const exported = await gw.app.inject({
        url: '/api/v1/audit/export?tenant=ops',
        headers: {
          authorization: `Bearer ${await config.token({ tenant: 'ops' })}`,
          'x-request-id': 'audit',
        },
      });
      expect(receiptsOf(exported.body).filter((receipt) => receipt['kind'] === 'admin')).toEqual([
        expect.objectContaining({
          action: 'dead-letters.redrive',
          principal: 'tester',
          target: expect.stringMatching(new RegExp(`${batch.id}.*1:redriven$`)),
        }),
      ]);
      const done = await finished(api, batch.id);
      expect(done).toMatchObject({
        status: 'completed',
        request_counts: { succeeded: 2, failed: 0 },
        dead_letters: 0,
      });
      const [, fixed] = (await api.get(`/${batch.id}/results`)).json().data;
      expect(fixed).toMatchObject({
        status: 'succeeded',
        custom_id: 'bad',
        attempts: 1,
        response: { output: { content: 'Echo: again' } },
      });
      expect((await admin.get('/dead-letters?tenant=runner')).json().total).toBe(0);
      const again = await admin.post('/dead-letters/redrive', {
        items: [{ batch_id: batch.id, index: 1 }],
      });
      expect(again.json().data[0].outcome).toBe('missing');
    } finally {
      await config.write('routes.yaml', batchRoutes);
      await gw.app.services.config.reload();
    }
  });

  it('dead-letters a non-retryable failure after one attempt; discard keeps it failed', async () => {
    const submitted = (
      await api.submit({ task_id: 'refused-1', model: 'refused', items: chatItems(2) })
    ).json();
    const batch = await finished(api, submitted.id);
    expect(batch).toMatchObject({ request_counts: { failed: 2 }, dead_letters: 2 });
    const results = (await api.get(`/${batch.id}/results`)).json<
      ListBody & { data: { error: object }[] }
    >().data;
    expect(results.map((result) => result.attempts)).toEqual([1, 1]);
    expect(results[0]!.error).toMatchObject({ code: 'UPSTREAM_BAD_REQUEST', retryable: false });
    const page = (await admin.get('/dead-letters?limit=1')).json();
    expect(page.data).toHaveLength(1);
    expect(page.next_cursor).toBe('1');
    const discarded = await admin.post('/dead-letters/discard', { batch_id: batch.id });
    expect(discarded.json<ListBody>().data.map((entry) => entry.outcome)).toEqual([
      'discarded',
      'discarded',
    ]);
    expect((await api.get(`/${batch.id}`)).json()).toMatchObject({
      status: 'completed',
      request_counts: { failed: 2 },
      dead_letters: 0,
    });
    // Retention starts once no dead letter holds the batch.
    expect(await gw.redis.ttl(`inference:batch:b:${batch.id}`)).toBeGreaterThan(0);
  });

  it('streams progress events, then done', async () => {
    const submitted = (
      await api.submit({ task_id: 'events-1', model: 'slow', items: chatItems(6) })
    ).json();
    const response = await api.get(`/${submitted.id}/events`);
    const events = await parseSse(response.body);
    const names = events.map((event) => event.event);
    expect(names[0]).toBe('progress');
    expect(names.at(-1)).toBe('done');
    expect(names.filter((name) => name === 'progress').length).toBeGreaterThan(1);
    const done = JSON.parse(events.at(-1)!.data);
    expect(done).toMatchObject({
      status: 'completed',
      request_counts: { succeeded: 6, pending: 0 },
    });
    const succeeded = events.map(
      (event) => (JSON.parse(event.data) as BatchBody).request_counts['succeeded'] ?? 0,
    );
    expect([...succeeded].sort((a, b) => a - b)).toEqual(succeeded);
  });

  it('cancels a running batch: running items finish, the rest are cancelled', async () => {
    const narrow = await client(gw.app, { tenant: 'narrow' });
    const submitted = (
      await narrow.submit({ task_id: 'cancel-run', model: 'slow', items: chatItems(8) })
    ).json();
    // Running means executing, not only dispatched: its execution counter has moved.
    await waitFor('the first item to start', async () =>
      (await gw.app.services.batch!.store.executions(submitted.id)).size === 1 ? true : undefined,
    );
    const cancelling = (await narrow.post(`/${submitted.id}/cancel`)).json();
    expect(cancelling.status).toBe('cancelling');
    expect(cancelling.request_counts.cancelled).toBe(7);
    const batch = await finished(narrow, submitted.id);
    expect(batch).toMatchObject({
      status: 'cancelled',
      request_counts: { succeeded: 1, cancelled: 7 },
    });
    const statuses = (await narrow.get(`/${batch.id}/results`))
      .json<ListBody>()
      .data.map((result) => result.status);
    expect(statuses).toEqual(['succeeded', ...Array.from({ length: 7 }, () => 'cancelled')]);
    expect(await gw.app.services.batch!.store.stats('narrow')).toMatchObject({
      queued: 0,
      running: 0,
    });
  });

  it('exposes per-tenant metrics', async () => {
    const text = (await gw.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/inference_batch_items_total\{tenant="runner",result="done"\} \d+/);
    expect(text).toMatch(/inference_batch_items_total\{tenant="runner",result="failed"\} 3/);
    expect(text).toContain('inference_batch_queued_items{tenant="runner"} 0');
    expect(text).toContain('inference_batch_running_items{tenant="runner"} 0');
    expect(text).toContain('inference_batch_dead_letter_items{tenant="runner"} 0');
    expect(text).toMatch(/inference_batch_item_duration_seconds_count\{tenant="runner"\} \d+/);
    expect(text).toMatch(
      /inference_batch_retries_total\{tenant="runner",code="UPSTREAM_UNAVAILABLE"\} 2/,
    );
  });
});
