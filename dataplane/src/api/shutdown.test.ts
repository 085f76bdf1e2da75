import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { RedisStreamStore } from '../engine/stream/redis-store.ts';
import { makeConfigDir } from '../../../tests/support/config-dir.ts';
import { readSse, type SseEvent } from '../../../tests/support/sse.ts';
import { buildApp } from '../app.ts';

describe('a graceful shutdown', () => {
  it('tells an open stream to resume elsewhere, then lets the upstream call finish into the buffer', async () => {
    const config = await makeConfigDir({
      routes: {
        routes: [
          {
            alias: 'chat',
            targets: [{ name: 's', provider: 'mock', model: 'fixed?text=a+b+c+d&gapMs=100' }],
          },
        ],
      },
    });
    const redis = new Redis(inject('redisUrl'));
    const app = await buildApp({
      configDirs: [config.dir],
      redis,
      watch: false,
      defaultMetrics: false,
    });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const response = await fetch(`${base}/api/v1/inference:stream`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await config.token()}`,
        'x-request-id': 'bye',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }),
    });
    const seen: SseEvent[] = [];
    let closing: Promise<void> | undefined;
    for await (const event of readSse(response.body!)) {
      seen.push(event);
      if (event.event === 'data' && closing === undefined) closing = app.close();
    }
    const last = JSON.parse(seen.at(-1)!.data) as {
      reason?: string;
      resume_token?: string;
      stream_id: string;
    };
    expect(seen.at(-1)?.event).toBe('resume');
    expect(last.reason).toBe('shutting_down');
    expect(last.resume_token).toMatch(/\./);
    await closing;
    // The producer ran to the end while the app drained: another replica finds the whole answer.
    const otherReplica = new RedisStreamStore(redis);
    const events = [];
    for await (const event of otherReplica.tail(last.stream_id, 0, new AbortController().signal))
      events.push(event);
    expect(events.map((event) => event.type)).toEqual(['data', 'data', 'data', 'data', 'done']);
    await otherReplica.close();
    await redis.quit();
    await config.cleanup();
  });
});
