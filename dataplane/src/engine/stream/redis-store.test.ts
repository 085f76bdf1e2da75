import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisStreamStore } from './redis-store.ts';
import { collectEvents, doneEvent } from '../../../../tests/support/stream-events.ts';

let redis: Redis;

beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});

afterAll(async () => {
  await redis.quit();
});

describe('the Redis resume buffer', () => {
  it('keeps events in a Redis stream with id 0-<offset> and a time to live', async () => {
    const store = new RedisStreamStore(redis, { ttlMs: 60_000 });
    await store.create('r1', { tenant: 'acme', model: 'chat' });
    expect(await store.append('r1', { type: 'data', text: 'héllo' })).toBe(1);
    expect(await store.append('r1', doneEvent)).toBe(2);
    const entries = await redis.xrange('stream:{r1}:events', '-', '+');
    expect(entries.map(([id]) => id)).toEqual(['0-1', '0-2']);
    expect(await redis.pttl('stream:{r1}:events')).toBeGreaterThan(59_000);
    await store.close();
  });

  it('lets another replica replay after an offset and follow the live tail', async () => {
    const producer = new RedisStreamStore(redis, { blockMs: 100 });
    const otherReplica = new RedisStreamStore(redis, { blockMs: 100 });
    await producer.create('r2', { tenant: 'acme', model: 'chat' });
    for (const text of ['a', 'b', 'c']) await producer.append('r2', { type: 'data', text });
    expect(await otherReplica.meta('r2')).toEqual({ tenant: 'acme', model: 'chat' });
    const reading = collectEvents(otherReplica.tail('r2', 1, new AbortController().signal));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await producer.append('r2', { type: 'data', text: 'd' });
    await producer.append('r2', doneEvent);
    const events = await reading;
    expect(events.map((event) => [event.offset, event.type])).toEqual([
      [2, 'data'],
      [3, 'data'],
      [4, 'data'],
      [5, 'done'],
    ]);
    expect(events[0]).toEqual({ type: 'data', text: 'b', offset: 2 });
    await producer.close();
    await otherReplica.close();
  });

  it('ends a remote tail with a retryable error once the producer is gone and its lease lapsed', async () => {
    const producer = new RedisStreamStore(redis, { leaseMs: 300 });
    const otherReplica = new RedisStreamStore(redis, { blockMs: 100 });
    await producer.create('orphan', { tenant: 'acme', model: 'chat' });
    for (const text of ['a', 'b']) await producer.append('orphan', { type: 'data', text });
    await producer.close(); // the producing process is gone: nothing renews its lease
    const started = Date.now();
    const events = await collectEvents(
      otherReplica.tail('orphan', 0, new AbortController().signal),
    );
    expect(events.map((event) => [event.offset, event.type])).toEqual([
      [1, 'data'],
      [2, 'data'],
      [3, 'error'],
    ]);
    expect(events[2]).toMatchObject({
      error: {
        code: 'UPSTREAM_UNAVAILABLE',
        retryable: true,
        details: { reason: 'producer_lost' },
      },
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    await otherReplica.close();
  });

  it('ends a remote tail whose producer finished without writing its end', async () => {
    const producer = new RedisStreamStore(redis, { leaseMs: 300 });
    const otherReplica = new RedisStreamStore(redis, { blockMs: 100 });
    await producer.create('unended', { tenant: 'acme', model: 'chat' });
    await producer.append('unended', { type: 'data', text: 'a' });
    producer.finish('unended'); // its terminal append failed: the process lives on
    const events = await collectEvents(
      otherReplica.tail('unended', 0, new AbortController().signal),
    );
    expect(events.map((event) => event.type)).toEqual(['data', 'error']);
    await producer.close();
    await otherReplica.close();
  });

  it('keeps waiting on a quiet stream whose producer still renews its lease', async () => {
    const producer = new RedisStreamStore(redis, { leaseMs: 1000 });
    const otherReplica = new RedisStreamStore(redis, { blockMs: 100 });
    await producer.create('quiet', { tenant: 'acme', model: 'chat' });
    await producer.append('quiet', { type: 'data', text: 'a' });
    const reading = collectEvents(otherReplica.tail('quiet', 0, new AbortController().signal));
    // Two and a half leases long without a chunk (a slow model): renewed, nothing ends it.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await producer.append('quiet', doneEvent);
    expect((await reading).map((event) => event.type)).toEqual(['data', 'done']);
    await producer.close();
    await otherReplica.close();
  });

  it('ends a remote tail when the stream has expired', async () => {
    const store = new RedisStreamStore(redis, { blockMs: 50 });
    expect(await store.meta('missing')).toBeUndefined();
    expect(await collectEvents(store.tail('missing', 0, new AbortController().signal))).toEqual([]);
    await store.close();
  });

  it('stops a remote tail when its reader leaves', async () => {
    const producer = new RedisStreamStore(redis);
    const reader = new RedisStreamStore(redis, { blockMs: 5_000 });
    await producer.create('r3', { tenant: 'acme', model: 'chat' });
    await producer.append('r3', { type: 'data', text: 'a' });
    const controller = new AbortController();
    const reading = collectEvents(reader.tail('r3', 0, controller.signal));
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    expect((await reading).map((event) => event.offset)).toEqual([1]);
    await producer.close();
    await reader.close();
  });
});
