import { describe, expect, it } from 'vitest';
import { MemoryStreamStore } from './memory-store.ts';
import { collectEvents, doneEvent } from '../../../../tests/support/stream-events.ts';

describe('the in-memory resume buffer', () => {
  it('numbers events from one and replays exactly those after an offset', async () => {
    const store = new MemoryStreamStore();
    await store.create('s', { tenant: 't', model: 'm' });
    for (const text of ['a', 'b', 'c']) await store.append('s', { type: 'data', text });
    await store.append('s', doneEvent);
    const replay = await collectEvents(store.tail('s', 1, new AbortController().signal));
    expect(replay.map((event) => event.offset)).toEqual([2, 3, 4]);
    expect(replay.map((event) => event.type)).toEqual(['data', 'data', 'done']);
    await store.close();
  });

  it('delivers the live tail to a reader that waits', async () => {
    const store = new MemoryStreamStore();
    await store.create('s', { tenant: 't', model: 'm' });
    const reading = collectEvents(store.tail('s', 0, new AbortController().signal));
    await store.append('s', { type: 'data', text: 'live' });
    await store.append('s', doneEvent);
    expect((await reading).map((event) => event.type)).toEqual(['data', 'done']);
    await store.close();
  });

  it('stops a waiting reader when its signal aborts', async () => {
    const store = new MemoryStreamStore();
    await store.create('s', { tenant: 't', model: 'm' });
    const controller = new AbortController();
    const reading = collectEvents(store.tail('s', 0, controller.signal));
    controller.abort();
    expect(await reading).toEqual([]);
    await store.close();
  });

  it('forgets a stream after its time to live', async () => {
    const clock = { now: 0 };
    const store = new MemoryStreamStore({ ttlMs: 1000, now: () => clock.now });
    await store.create('s', { tenant: 't', model: 'm' });
    clock.now = 999;
    expect(await store.meta('s')).toEqual({ tenant: 't', model: 'm' });
    clock.now = 1000;
    expect(await store.meta('s')).toBeUndefined();
    store.sweep();
    expect(store.size).toBe(0);
    await store.close();
  });

  it('refuses data beyond its per-stream bound', async () => {
    const store = new MemoryStreamStore({ maxEvents: 2 });
    await store.create('s', { tenant: 't', model: 'm' });
    await store.append('s', { type: 'data', text: 'a' });
    await store.append('s', { type: 'data', text: 'b' });
    expect(() => store.append('s', { type: 'data', text: 'c' })).toThrow(/exceeded 2 events/);
    await store.close();
  });
});
