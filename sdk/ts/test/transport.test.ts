// The stream transports of EnisClient against a real dataplane (buildApp, Redis stream buffer)
// behind a proxy that misbehaves (support/proxy.ts): the heartbeat watchdog, and the fetch loop
// that replaces SSE where responses are buffered or bodies cannot be streamed.
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../../dataplane/src/app.ts';
import { makeConfigDir, type ConfigDir } from '../../../tests/support/config-dir.ts';
import { EnisClient, type StreamEvent, type StreamOptions } from '../src/index.ts';
import { startProxy, type Behaviour, type Proxy } from './support/proxy.ts';

/** w01 … w40, one chunk each, 25 ms apart (1 s in all). */
const WORDS = Array.from({ length: 40 }, (_, i) => `w${String(i + 1).padStart(2, '0')}`);
const CHUNKS = WORDS.map((word, i) => (i === 0 ? word : ` ${word}`));
const HEARTBEAT_MS = 200;

let config: ConfigDir;
let redis: Redis;
let app: FastifyInstance;
let gateway = '';
let token = '';
let proxy: Proxy | undefined;

beforeAll(async () => {
  config = await makeConfigDir({
    routes: {
      routes: [
        {
          alias: 'counting',
          targets: [
            { name: 'counting', provider: 'mock', model: `fixed?text=${WORDS.join('+')}&gapMs=25` },
          ],
        },
        {
          alias: 'slow',
          targets: [{ name: 'slow', provider: 'mock', model: 'fixed?text=s1+s2+s3&gapMs=1500' }],
        },
        {
          // The counting answer over 3 s: long enough for several long-polls whatever the load.
          alias: 'slow-counting',
          targets: [
            {
              name: 'slow-counting',
              provider: 'mock',
              model: `fixed?text=${WORDS.join('+')}&gapMs=75`,
            },
          ],
        },
      ],
    },
    prompts: false,
    // The output PII scan holds text back to whole sentences; these tests count raw chunks.
    gateway: {
      defaultModel: 'counting',
      streams: { heartbeatMs: HEARTBEAT_MS },
      safety: { sanitize: false, pii: 'off', piiOutput: 'off' },
    },
  });
  redis = new Redis(inject('redisUrl'));
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false, redis });
  gateway = await app.listen({ host: '127.0.0.1', port: 0 });
  token = await config.token();
  const ready = await fetch(`${gateway}/readyz`);
  expect(ready.status, await ready.text()).toBe(200);
});

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

afterAll(async () => {
  await app.close();
  redis.disconnect();
  await config.cleanup();
});

const request = (model: string) => ({
  model,
  messages: [{ role: 'user' as const, content: 'go' }],
});

async function through(
  behave: (index: number) => Behaviour,
  stream: StreamOptions,
  fetch?: typeof globalThis.fetch,
) {
  proxy = await startProxy(gateway, behave);
  const retry = { baseDelayMs: 10, maxDelayMs: 20 };
  return new EnisClient({ baseUrl: proxy.url, token, stream, retry, ...(fetch && { fetch }) });
}

/** The stream's text chunks with their offsets, and the final event's finish reason. */
async function read(events: AsyncIterable<StreamEvent>) {
  const chunks: { text: string; offset: number }[] = [];
  let finish: string | undefined;
  for await (const event of events) {
    if (event.type === 'text') chunks.push({ text: event.text, offset: event.offset });
    if (event.type === 'done') finish = event.finish_reason;
  }
  return { chunks, finish };
}

const everyChunkOnce = (count = CHUNKS.length) =>
  CHUNKS.slice(0, count).map((text, i) => ({ text, offset: i + 1 }));

describe('the heartbeat watchdog', () => {
  it.each(['sse', 'auto'] as const)(
    'with transport %s resumes a connection that went silent without closing, every chunk once',
    async (transport) => {
      const client = await through(
        (index) => (index === 0 ? { kind: 'stall', afterId: 5 } : { kind: 'forward' }),
        { transport, heartbeatTimeoutMs: 600 },
      );
      const started = Date.now();
      expect(await read(client.stream(request('counting')))).toEqual({
        chunks: everyChunkOnce(),
        finish: 'stop',
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
      const paths = proxy!.seen.map((seen) => seen.path);
      expect(paths).toEqual(['/api/v1/inference:stream', '/api/v1/inference:resume']);
      expect(Number(proxy!.seen[1]?.lastEventId)).toBeGreaterThanOrEqual(5);
    },
  );

  it('takes a quiet stream whose heartbeats arrive for a live one', async () => {
    // 1.5 s between chunks, a heartbeat every 200 ms, silence taken as death after 1 s.
    const client = await through(() => ({ kind: 'forward' }), { heartbeatTimeoutMs: 1000 });
    const { chunks } = await read(client.stream(request('slow')));
    expect(chunks.map((chunk) => chunk.text)).toEqual(['s1', ' s2', ' s3']);
    expect(proxy!.seen.map((seen) => seen.path)).toEqual(['/api/v1/inference:stream']);
  });
});

describe('the fetch loop', () => {
  it("with transport 'poll' reads through a proxy that buffers, resuming after each response's last event", async () => {
    // The proxy sends what it holds and ends the response every 300 ms; the answer takes 1 s.
    const client = await through(() => ({ kind: 'buffer', windowMs: 300 }), { transport: 'poll' });
    expect(await read(client.stream(request('counting')))).toEqual({
      chunks: everyChunkOnce(),
      finish: 'stop',
    });
    const [first, ...resumes] = proxy!.seen;
    expect(first?.path).toBe('/api/v1/inference:stream');
    expect(resumes.length).toBeGreaterThanOrEqual(2);
    const after = resumes.map((seen) => Number(seen.lastEventId));
    expect(after).toEqual([...after].sort((a, b) => a - b));
    expect(new Set(after).size).toBe(after.length);
  });

  it("with transport 'poll' gets the whole answer in one response from a proxy that holds it to the end", async () => {
    const client = await through(() => ({ kind: 'buffer' }), { transport: 'poll' });
    expect(await read(client.stream(request('counting')))).toEqual({
      chunks: everyChunkOnce(),
      finish: 'stop',
    });
    expect(proxy!.seen.map((seen) => seen.path)).toEqual(['/api/v1/inference:stream']);
  });

  it("with transport 'poll' long-polls its resumes: behind a proxy that holds each response to its end, the gateway ends each after pollMs", async () => {
    const started = await fetch(`${gateway}/api/v1/inference:stream`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-id': 'poll-1',
      },
      body: JSON.stringify(request('slow-counting')),
    });
    const head = await started.body!.getReader().read();
    const resumeToken = /"resume_token":"([^"]+)"/.exec(new TextDecoder().decode(head.value))?.[1];
    await started.body!.cancel().catch(() => undefined);
    const client = await through(() => ({ kind: 'buffer' }), { transport: 'poll', pollMs: 200 });
    expect(await read(client.resume(resumeToken!))).toEqual({
      chunks: everyChunkOnce(),
      finish: 'stop',
    });
    // The 3 s answer in 200 ms long-polls: several responses, each after the one before.
    const after = proxy!.seen.map((seen) => Number(seen.lastEventId ?? 0));
    expect(after.length).toBeGreaterThanOrEqual(3);
    expect(after).toEqual([...after].sort((a, b) => a - b));
  });

  it("is where transport 'auto' falls back when a response is silent from its first byte", async () => {
    // The first silence (400 ms) is past the timeout (300 ms): its bytes are awaited, not dropped.
    const client = await through(() => ({ kind: 'buffer', windowMs: 400 }), {
      transport: 'auto',
      heartbeatTimeoutMs: 300,
    });
    expect(await read(client.stream(request('counting')))).toEqual({
      chunks: everyChunkOnce(),
      finish: 'stop',
    });
    expect(proxy!.seen.length).toBeGreaterThanOrEqual(2);
  });

  it("is not taken by transport 'sse': behind that proxy no resume token arrives before the watchdog fires", async () => {
    const client = await through(() => ({ kind: 'buffer', windowMs: 1000 }), {
      transport: 'sse',
      heartbeatTimeoutMs: 300,
    });
    const error = await read(client.stream(request('counting'))).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({
      message: 'The stream ended after event 0 and could not be resumed.',
      cause: { name: 'StalledError', message: expect.stringContaining('after 0 bytes') },
    });
    expect(proxy!.seen).toHaveLength(1);
  });

  it("is what transport 'auto' reads on a runtime without streamed bodies; 'sse' refuses it by name", async () => {
    const bodiless: typeof globalThis.fetch = async (input, init) => {
      const response = await globalThis.fetch(input, init);
      return new Proxy(response, {
        get: (target, key) => {
          if (key === 'body') return null;
          const value = Reflect.get(target, key, target) as unknown;
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        },
      });
    };
    const auto = await through(() => ({ kind: 'forward' }), { transport: 'auto' }, bodiless);
    expect(await read(auto.stream(request('counting')))).toEqual({
      chunks: everyChunkOnce(),
      finish: 'stop',
    });
    await proxy?.close();
    const sse = await through(() => ({ kind: 'forward' }), { transport: 'sse' }, bodiless);
    await expect(read(sse.stream(request('counting')))).rejects.toThrow(
      "The runtime gives no streamed body: use transport 'poll' or 'auto'.",
    );
  });
});
