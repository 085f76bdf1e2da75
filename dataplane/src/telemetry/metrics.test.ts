// Every metric of createMetrics moves when what it counts happens: real requests through a real
// app (and a real redis-server for the audit store's failures), read back from /metrics.
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pricingChecksum } from '../../../crds/pricing.ts';
import { startRedis, type Redis as RedisServer } from '../../../tests/cluster/harness.ts';
import { makeConfigDir, type ConfigDir } from '../../../tests/support/config-dir.ts';
import { eventually } from '../../../tests/support/eventually.ts';
import { buildApp } from '../app.ts';

const STREAM = 'echo?gapMs=60&chunks=10';
const routes = {
  routes: [
    { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
    { alias: 'stream', targets: [{ name: 'stream', provider: 'mock', model: STREAM }] },
    {
      alias: 'fallback',
      targets: [
        { name: 'broken', provider: 'mock', model: 'fail?code=UPSTREAM_UNAVAILABLE' },
        { name: 'echo', provider: 'mock', model: 'echo' },
      ],
      retry: { maxAttempts: 1 },
    },
  ],
};
const prices = [
  {
    provider: 'mock',
    model: 'echo',
    effectiveFrom: '2026-01-01T00:00:00Z',
    input: '1',
    output: '2',
  },
];

let config: ConfigDir;
let app: FastifyInstance;
let token: string;

beforeAll(async () => {
  config = await makeConfigDir({ routes });
  await config.write('pricing.yaml', { checksum: pricingChecksum(prices), prices });
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  token = await config.token();
});

afterAll(async () => {
  await app.close();
  await config.cleanup();
});

const post = (target: FastifyInstance, url: string, body: object, id: string) =>
  target.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${token}`, 'x-request-id': id },
    payload: body,
  });

/** The value of one sample of the exposition, or undefined when the series is absent. */
async function sample(target: FastifyInstance, series: string): Promise<number | undefined> {
  const text = (await target.inject({ url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const genAi = (model: string) =>
  `gen_ai_operation_name="chat",gen_ai_provider_name="mock",gen_ai_request_model="${model}"`;

describe('a served answer', () => {
  beforeAll(async () => {
    const response = await post(
      app,
      '/api/v1/inference',
      { model: 'chat', messages: [{ role: 'user', content: 'hello there' }] },
      'served-1',
    );
    expect(response.statusCode).toBe(200);
  });

  it('counts the request and its duration by route template', async () => {
    expect(
      await sample(
        app,
        'inference_http_requests_total{route="/api/v1/inference",method="POST",status="200"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      await sample(app, 'inference_http_request_duration_seconds_count{route="/api/v1/inference"}'),
    ).toBeGreaterThanOrEqual(1);
  });

  it('records the GenAI token usage by type and the operation duration without an error type', async () => {
    expect(
      await sample(
        app,
        `gen_ai_client_token_usage_count{${genAi('echo')},gen_ai_token_type="input"}`,
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      await sample(
        app,
        `gen_ai_client_token_usage_sum{${genAi('echo')},gen_ai_token_type="output"}`,
      ),
    ).toBeGreaterThan(0);
    expect(
      await sample(
        app,
        `gen_ai_client_operation_duration_seconds_count{${genAi('echo')},error_type=""}`,
      ),
    ).toBeGreaterThanOrEqual(1);
  });

  it("adds the budget guard's charge to the tenant's spend and tokens", async () => {
    expect(await sample(app, 'inference_budget_spend_usd_total{tenant="acme"}')).toBeGreaterThan(0);
    expect(await sample(app, 'inference_budget_tokens_total{tenant="acme"}')).toBeGreaterThan(0);
  });

  it('counts its sealed receipt as served and its time to the first chunk', async () => {
    expect(await sample(app, 'inference_audit_receipts_total{outcome="served"}')).toBeGreaterThan(
      0,
    );
    expect(
      await sample(
        app,
        'inference_time_to_first_token_seconds_count{provider="mock",target="chat/echo"}',
      ),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('a failed attempt that fell back', () => {
  it("counts the upstream error by target and code, and shows the target's circuit", async () => {
    const response = await post(
      app,
      '/api/v1/inference',
      { model: 'fallback', messages: [{ role: 'user', content: 'hi' }] },
      'fallback-1',
    );
    expect(response.statusCode).toBe(200);
    expect(
      await sample(
        app,
        'inference_upstream_errors_total{target="fallback/broken",code="UPSTREAM_UNAVAILABLE"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(await sample(app, 'inference_circuit_state{target="fallback/broken"}')).toBe(0);
  });
});

describe('a streamed answer', () => {
  it('holds an active stream while it runs and records the GenAI time to the first chunk', async () => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const response = await fetch(`${address}/api/v1/inference:stream`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'x-request-id': 'stream-1',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ model: 'stream', messages: [{ role: 'user', content: 'go' }] }),
    });
    const reader = response.body!.getReader();
    await reader.read();
    expect(await sample(app, 'inference_active_streams')).toBe(1);
    while (!(await reader.read()).done);
    expect(await sample(app, 'inference_active_streams')).toBe(0);
    expect(
      await sample(
        app,
        `gen_ai_client_operation_time_to_first_chunk_seconds_count{${genAi(STREAM)}}`,
      ),
    ).toBe(1);
  });
});

describe('a config reload', () => {
  it('counts a swap and a refusal, and shows the served checksum, its hot-reload time and prompts', async () => {
    const served = app.services.snapshot().checksum;
    expect(await sample(app, `inference_config_info{checksum="${served}"}`)).toBe(1);
    expect(await sample(app, 'inference_prompts_loaded')).toBeGreaterThan(0);
    // The config it started with was not propagated to it: no load time until a hot reload.
    expect(
      await sample(app, `inference_config_loaded_timestamp_seconds{checksum="${served}"}`),
    ).toBeUndefined();
    await config.write('gateway.yaml', 'auth: [not, a, mapping]');
    await app.services.config.reload();
    expect(await sample(app, 'inference_config_reloads_total{result="refused"}')).toBe(1);
    await config.write('gateway.yaml', {
      auth: { issuer: 'https://issuer.test', audience: 'inference-service' },
      defaultModel: 'chat',
    });
    const before = Date.now() / 1000;
    await app.services.config.reload();
    expect(await sample(app, 'inference_config_reloads_total{result="swapped"}')).toBe(1);
    const swapped = app.services.snapshot().checksum;
    const loaded = await sample(
      app,
      `inference_config_loaded_timestamp_seconds{checksum="${swapped}"}`,
    );
    expect(loaded).toBeGreaterThanOrEqual(before);
    expect(loaded).toBeLessThanOrEqual(Date.now() / 1000);
    expect(
      await sample(app, `inference_config_loaded_timestamp_seconds{checksum="${served}"}`),
    ).toBeUndefined();
  });
});

describe('an audit store that stalls, then refuses writes', () => {
  let server: RedisServer;
  let redis: Redis;
  let audited: FastifyInstance;

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
    audited = await buildApp({
      configDirs: [config.dir],
      watch: false,
      defaultMetrics: false,
      redis,
    });
  });

  afterAll(async () => {
    await audited.close();
    await redis.quit();
    await server.stop();
  });

  it('counts a late seal while writes are paused, and write errors while it is out of memory', async () => {
    const pending = post(
      audited,
      '/api/v1/inference',
      { model: 'stream', messages: [{ role: 'user', content: 'go' }] },
      'late-1',
    );
    // The intent is written at reserve; the seal comes after the ten chunks (600 ms).
    await new Promise((resolve) => setTimeout(resolve, 250));
    const admin = new Redis(server.url);
    await admin.call('CLIENT', 'PAUSE', '6000', 'WRITE');
    expect((await pending).statusCode).toBe(200);
    expect(await sample(audited, 'inference_audit_late_seals_total')).toBe(1);

    // Redis answers every write with OOM: the intent's append is refused.
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    const refused = await post(
      audited,
      '/api/v1/inference',
      { model: 'chat', messages: [{ role: 'user', content: 'hi' }] },
      'gone-1',
    );
    await admin.config('SET', 'maxmemory', '0');
    admin.disconnect();
    expect(refused.statusCode).toBe(503);
    expect(await sample(audited, 'inference_audit_write_errors_total')).toBeGreaterThan(0);
  }, 30_000);
});

describe('a budget store that refuses the settlement', () => {
  let server: RedisServer;
  let redis: Redis;
  let budgeted: ConfigDir;
  let metered: FastifyInstance;

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
    budgeted = await makeConfigDir({ routes, gateway: { audit: { enabled: false } } });
    await budgeted.write('budgets.yaml', {
      budgets: [{ tenant: 'acme', limits: { tokens: 1_000_000 } }],
    });
    metered = await buildApp({
      configDirs: [budgeted.dir],
      watch: false,
      defaultMetrics: false,
      redis,
    });
  });

  afterAll(async () => {
    await metered.close();
    await redis.quit();
    await server.stop();
    await budgeted.cleanup();
  });

  it('counts each refused try, so that unrecorded spend shows', async () => {
    expect(await sample(metered, 'inference_budget_settle_errors_total')).toBe(0);
    const answer = metered.inject({
      method: 'POST',
      url: '/api/v1/inference',
      headers: { authorization: `Bearer ${await budgeted.token()}`, 'x-request-id': 'oom-1' },
      payload: { model: 'stream', messages: [{ role: 'user', content: 'go' }] },
    });
    // Reserved before the call; the settlement comes after the ten chunks (600 ms).
    await new Promise((resolve) => setTimeout(resolve, 250));
    const admin = new Redis(server.url);
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    try {
      expect((await answer).statusCode).toBe(200);
      expect(await sample(metered, 'inference_budget_settle_errors_total')).toBeGreaterThan(0);
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      admin.disconnect();
    }
    // The retry a second later settles it.
    const [key = ''] = await redis.keys('*budget:{acme}:spend:*');
    expect(await eventually(async () => Number(await redis.hget(key, 'tokens')) > 0)).toBe(true);
  }, 30_000);
});
