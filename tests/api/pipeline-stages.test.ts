/**
 * The request pipeline's stage hooks, seen from the outside: a stage plugged into the app
 * (`buildApp({ stages })`) takes part in every request of every surface, once, in order, and a
 * stage that refuses in `reserve` keeps the request away from every provider.
 */
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import type { Exchange, Outcome } from '../../dataplane/src/stages/context.ts';
import type { PipelineStage } from '../../dataplane/src/stages/stage.ts';
import { ApiError } from '../../dataplane/src/errors/api-error.ts';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';
import { waitFor } from '../batch/support.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { readSse } from '../support/sse.ts';

/** What a recording stage saw of one request, in the order its hooks ran. */
interface Seen {
  hooks: string[];
  surface: string;
  alias: string | undefined;
  outcome?: Outcome;
  settledAt?: number;
}

/** A stage that writes down every hook call, by request id; `refuse` makes its reserve throw. */
function recordingStage(
  name: string,
  options: { refuse?: (exchange: Exchange) => ApiError | undefined; settleMs?: number } = {},
) {
  const seen = new Map<string, Seen>();
  const entry = (exchange: Exchange): Seen => {
    const id = exchange.context.requestId;
    let found = seen.get(id);
    if (found === undefined) {
      found = { hooks: [], surface: exchange.context.surface, alias: exchange.alias };
      seen.set(id, found);
    }
    found.alias = exchange.alias;
    return found;
  };
  const stage: PipelineStage = {
    name,
    reserve(exchange) {
      entry(exchange).hooks.push('reserve');
      const refusal = options.refuse?.(exchange);
      if (refusal !== undefined) throw refusal;
    },
    async settle(exchange, outcome) {
      if (options.settleMs !== undefined) await sleep(options.settleMs);
      const found = entry(exchange);
      found.hooks.push('settle');
      found.outcome = outcome;
      found.settledAt = Date.now();
    },
    record(exchange, outcome) {
      const found = entry(exchange);
      found.hooks.push('record');
      found.outcome ??= outcome;
    },
  };
  return { stage, seen };
}

const routes = {
  routes: [
    { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
    {
      alias: 'slow',
      targets: [{ name: 'slow', provider: 'mock', model: 'echo?gapMs=40&chunks=200' }],
    },
    { alias: 'stall', targets: [{ name: 'stall', provider: 'mock', model: 'stall' }] },
    {
      alias: 'down',
      targets: [{ name: 'down', provider: 'mock', model: 'fail?code=UPSTREAM_UNAVAILABLE' }],
      retry: { maxAttempts: 1 },
    },
  ],
};

let redisServer: RedisServer;
let config: ConfigDir;
let token: string;

beforeAll(async () => {
  redisServer = await startRedis();
  config = await makeConfigDir({
    routes,
    prompts: false,
    gateway: {
      limits: { maxConcurrent: 2, queueTimeoutMs: 0 },
      safety: { sanitize: true, pii: 'redact', piiOutput: 'off' },
      batch: { backoffMs: 20, progressIntervalMs: 25, workers: { inGateway: 2 } },
    },
  });
  token = await config.token();
});

afterAll(async () => {
  await redisServer.stop();
  await config.cleanup();
});

const opened: { app: FastifyInstance; redis?: Redis }[] = [];

afterEach(async () => {
  for (const { app, redis } of opened.splice(0)) {
    await app.close();
    await redis?.quit();
  }
});

async function gateway(stages: PipelineStage[], withRedis = false): Promise<FastifyInstance> {
  const redis = withRedis ? new Redis(redisServer.url) : undefined;
  const app = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    stages,
    ...(redis === undefined ? {} : { redis, batchWorkers: 2 }),
  });
  opened.push({ app, ...(redis === undefined ? {} : { redis }) });
  return app;
}

const headers = (id: string) => ({ authorization: `Bearer ${token}`, 'x-request-id': id });
const messages = [{ role: 'user', content: 'hello there' }];

describe('a stage plugged into the pipeline', () => {
  it('reserves, settles and records once for a request of every surface', async () => {
    const { stage, seen } = recordingStage('ledger');
    const app = await gateway([stage], true);
    const post = (url: string, id: string, payload: object) =>
      app.inject({ method: 'POST', url, headers: headers(id), payload });

    expect((await post('/api/v1/inference', 'sync', { model: 'chat', messages })).statusCode).toBe(
      200,
    );
    const stream = await post('/api/v1/inference:stream', 'stream', { model: 'chat', messages });
    expect(stream.body).toContain('event: done');
    expect(
      (await post('/v1/chat/completions', 'openai', { model: 'chat', messages })).statusCode,
    ).toBe(200);
    const openaiStream = await post('/v1/chat/completions', 'openai-stream', {
      model: 'chat',
      messages,
      stream: true,
    });
    expect(openaiStream.body).toContain('data: [DONE]');
    const embeddings = await post('/v1/embeddings', 'embed', { model: 'chat', input: 'hello' });
    expect(embeddings.statusCode).toBe(200);
    const batch = await post('/api/v1/batches', 'batch', {
      task_id: 't1',
      model: 'chat',
      items: [{ messages }],
    });
    expect(batch.statusCode).toBe(202);
    const batchId = batch.json<{ id: string }>().id;
    await waitFor('the batch item to be recorded', () =>
      seen.get(`${batchId}-0`)?.hooks.includes('record') === true ? true : undefined,
    );

    const surfaces = Object.fromEntries(
      [...seen].map(([id, entry]) => [id.startsWith(batchId) ? 'batch-item' : id, entry]),
    );
    expect(Object.keys(surfaces).sort()).toEqual(
      ['batch-item', 'embed', 'openai', 'openai-stream', 'stream', 'sync'].sort(),
    );
    for (const entry of Object.values(surfaces)) {
      expect(entry.hooks).toEqual(['reserve', 'settle', 'record']);
      expect(entry.alias).toBe('chat');
      expect(entry.outcome?.kind).toBe('done');
    }
    expect(surfaces['sync']?.surface).toBe('inference');
    expect(surfaces['stream']?.surface).toBe('inference-stream');
    expect(surfaces['openai']?.surface).toBe('chat-completions');
    expect(surfaces['embed']?.surface).toBe('embeddings');
    expect(surfaces['batch-item']?.surface).toBe('batch');
    expect(surfaces['sync']?.outcome).toEqual({
      kind: 'done',
      usage: { inputTokens: 2, outputTokens: 3, cachedTokens: 0 },
      finishReason: 'stop',
    });
  });

  it('settles before the last event of a stream leaves the gateway', async () => {
    const { stage, seen } = recordingStage('slow-settle', { settleMs: 150 });
    const app = await gateway([stage]);
    const origin = await listen(app);
    const response = await streamChat(origin, 'ordered', 'chat');
    let finishedAt: number | undefined;
    for await (const event of readSse(response.body!)) {
      if (event.data.includes('"finish_reason":"stop"')) finishedAt = Date.now();
    }
    const settledAt = seen.get('ordered')?.settledAt;
    expect(settledAt).toBeDefined();
    expect(finishedAt).toBeGreaterThanOrEqual(settledAt!);
  });

  it('refuses in reserve with its own error, before any provider is called', async () => {
    const first = recordingStage('first');
    const refusing = recordingStage('guard', {
      refuse: () => new ApiError('RATE_LIMITED', 'Too many requests.', { retryAfterS: 7 }),
    });
    const app = await gateway([first.stage, refusing.stage]);
    // The route's only target never answers: a call to it could not end in time.
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/inference',
      headers: headers('refused'),
      payload: { model: 'stall', messages },
    });
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('7');
    expect(response.json()).toMatchObject({
      error: { code: 'RATE_LIMITED', request_id: 'refused' },
    });
    expect(first.seen.get('refused')?.hooks).toEqual(['reserve', 'settle', 'record']);
    expect(first.seen.get('refused')?.outcome).toMatchObject({
      kind: 'failed',
      error: { code: 'RATE_LIMITED' },
    });
    expect(refusing.seen.get('refused')?.hooks).toEqual(['reserve', 'record']);
  });

  it('records a request that prepare refuses, without reserving for it', async () => {
    const { stage, seen } = recordingStage('ledger');
    const app = await gateway([stage]);
    const response = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: headers('unknown-model'),
      payload: { model: 'nope', messages },
    });
    expect(response.statusCode).toBe(404);
    expect(seen.get('unknown-model')?.hooks).toEqual(['record']);
    expect(seen.get('unknown-model')?.outcome).toMatchObject({
      kind: 'failed',
      error: { code: 'MODEL_NOT_FOUND' },
    });
  });

  it('settles a failed provider call with its error', async () => {
    const { stage, seen } = recordingStage('ledger');
    const app = await gateway([stage]);
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/inference',
      headers: headers('down'),
      payload: { model: 'down', messages },
    });
    expect(response.statusCode).toBe(502);
    expect(seen.get('down')?.hooks).toEqual(['reserve', 'settle', 'record']);
    expect(seen.get('down')?.outcome).toEqual({
      kind: 'failed',
      error: expect.objectContaining({ code: 'UPSTREAM_UNAVAILABLE' }),
      outputChars: 0,
    });
  });

  it('settles a stream whose client went away as cancelled, with what it had received, and frees its slot', async () => {
    const { stage, seen } = recordingStage('ledger');
    const app = await gateway([stage]);
    const origin = await listen(app);
    const client = new AbortController();
    const response = await streamChat(origin, 'gone', 'slow', client.signal);
    const events = readSse(response.body!)[Symbol.asyncIterator]();
    await events.next();
    await events.next();
    client.abort();
    const entry = await waitFor('the stream to be settled', () =>
      seen.get('gone')?.hooks.includes('record') === true ? seen.get('gone') : undefined,
    );
    expect(entry.hooks).toEqual(['reserve', 'settle', 'record']);
    expect(entry.outcome?.kind).toBe('cancelled');
    expect(entry.outcome).toHaveProperty('outputChars', expect.any(Number));
    // Both slots (maxConcurrent 2) are free again: two requests run at once.
    const [a, b] = await Promise.all(
      ['after-1', 'after-2'].map((id) =>
        app.inject({
          method: 'POST',
          url: '/api/v1/inference',
          headers: headers(id),
          payload: { model: 'chat', messages },
        }),
      ),
    );
    expect([a?.statusCode, b?.statusCode]).toEqual([200, 200]);
  });
});

describe('embeddings through the pipeline', () => {
  it('wait for a concurrency slot like every surface, and are refused when none is free', async () => {
    const app = await gateway([]);
    const origin = await listen(app);
    const holders = [new AbortController(), new AbortController()];
    const streams = await Promise.all(
      holders.map((holder, index) => streamChat(origin, `holder-${index}`, 'slow', holder.signal)),
    );
    expect(streams.map((stream) => stream.status)).toEqual([200, 200]);
    const refused = await app.inject({
      method: 'POST',
      url: '/v1/embeddings',
      headers: headers('embed-overloaded'),
      payload: { model: 'chat', input: 'hello' },
    });
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ error: { code: 'OVERLOADED' } });
    for (const holder of holders) holder.abort();
  });

  it('apply the input PII policy: the provider embeds the redacted text', async () => {
    const app = await gateway([]);
    const embed = async (input: string) =>
      (
        await app.inject({
          method: 'POST',
          url: '/v1/embeddings',
          headers: headers('embed-pii'),
          payload: { model: 'chat', input },
        })
      ).json<{ data: { embedding: number[] }[] }>().data[0]?.embedding;
    const withEmail = await embed('write to ana.garcia@example.com today');
    const plain = await embed('write to ana.garcia at example dot com today');
    expect(withEmail).toBeDefined();
    expect(withEmail).not.toEqual(plain);
    expect(withEmail).toEqual(
      await embed(await redactedForm('write to ana.garcia@example.com today')),
    );
  });
});

/** The text as the input PII policy `redact` rewrites it. */
async function redactedForm(text: string): Promise<string> {
  const { redactPii } = await import('../../dataplane/src/security/pii.ts');
  return redactPii(text).text;
}

/** An OpenAI-format streamed chat request over HTTP, as a client sends it. */
function streamChat(origin: string, id: string, model: string, signal?: AbortSignal) {
  return fetch(`${origin}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...headers(id), 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages, stream: true }),
    ...(signal === undefined ? {} : { signal }),
  });
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}
