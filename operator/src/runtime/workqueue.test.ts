import { describe, expect, it } from 'vitest';
import { KeyedBackoff, TokenBucket } from './backoff.ts';
import { WorkQueue, type Outcome } from './workqueue.ts';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/** A processor whose calls wait until released, recording what ran and how many at once. */
function gate() {
  const started: string[] = [];
  const waiting: (() => void)[] = [];
  let running = 0;
  let maxRunning = 0;
  const processor = async (key: string): Promise<Outcome> => {
    started.push(key);
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    await new Promise<void>((resolve) => waiting.push(resolve));
    running -= 1;
    return { type: 'done' };
  };
  return {
    processor,
    started,
    maxRunning: () => maxRunning,
    releaseAll: async () => {
      while (waiting.length > 0) {
        for (const release of waiting.splice(0)) release();
        await tick();
      }
    },
  };
}

describe('WorkQueue', () => {
  it('stores a key once however often it is added while it waits', async () => {
    const queue = new WorkQueue({ concurrency: 1 });
    const g = gate();
    queue.add('a');
    queue.add('b');
    queue.add('b');
    queue.add('b');
    expect(queue.depth).toBe(2);
    queue.start(g.processor);
    await g.releaseAll();
    expect(g.started).toEqual(['a', 'b']);
  });

  it('never processes one key twice at once, and processes it again when it changed meanwhile', async () => {
    const queue = new WorkQueue({ concurrency: 4 });
    const g = gate();
    queue.start(g.processor);
    queue.add('a');
    await tick();
    queue.add('a'); // while 'a' runs
    queue.add('a');
    await tick();
    expect(g.started).toEqual(['a']);
    await g.releaseAll();
    expect(g.started).toEqual(['a', 'a']);
  });

  it('runs at most concurrency keys at a time', async () => {
    const queue = new WorkQueue({ concurrency: 2 });
    const g = gate();
    queue.start(g.processor);
    for (const key of ['a', 'b', 'c', 'd', 'e']) queue.add(key);
    await tick();
    expect(queue.inFlight).toBe(2);
    await g.releaseAll();
    expect(g.maxRunning()).toBe(2);
    expect(g.started.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('retries a failure after a backoff that grows, and forgets it after a success', async () => {
    const queue = new WorkQueue({ backoff: { baseMs: 5, jitter: 0 }, retryQps: 1000 });
    let calls = 0;
    queue.start(async () => {
      calls += 1;
      if (calls < 3) throw new Error('boom');
      return { type: 'done' };
    });
    queue.add('k');
    await tick(5);
    expect(queue.failures('k')).toBeGreaterThanOrEqual(1);
    await tick(60);
    expect(calls).toBe(3);
    expect(queue.failures('k')).toBe(0);
  });

  it('waits requeueAfterMs before processing again, and an earlier addAfter wins', async () => {
    const queue = new WorkQueue();
    const seen: [string, number][] = [];
    let first = true;
    queue.start(async (key) => {
      seen.push([key, Date.now()]);
      if (key === 'k' && first) {
        first = false;
        return { type: 'requeue', afterMs: 40 };
      }
      return { type: 'done' };
    });
    queue.add('k');
    queue.addAfter('x', 10_000);
    queue.addAfter('x', 5); // the earlier one wins
    queue.addAfter('x', 9_000); // a later one does not replace it
    await tick(80);
    expect(seen.map(([key]) => key)).toEqual(['k', 'x', 'k']);
    const times = seen.filter(([key]) => key === 'k').map(([, at]) => at);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(35);
  });

  it('finishes in-flight keys on shutdown and takes no more', async () => {
    const queue = new WorkQueue({ concurrency: 1 });
    const g = gate();
    queue.start(g.processor);
    queue.add('a');
    queue.add('b');
    await tick();
    let done = false;
    const stopped = queue.shutdown().then(() => {
      done = true;
    });
    await tick();
    expect(done).toBe(false);
    await g.releaseAll();
    await stopped;
    queue.add('c');
    queue.addAfter('d', 1);
    queue.addAfter('e', 0);
    await tick(5);
    expect(g.started).toEqual(['a']);
  });
});

describe('KeyedBackoff', () => {
  it('doubles per failure up to the cap, with jitter on top', () => {
    const backoff = new KeyedBackoff({ baseMs: 100, maxMs: 1000, jitter: 0.5, random: () => 1 });
    expect([1, 2, 3, 4, 5].map(() => backoff.next('k'))).toEqual([150, 300, 600, 1200, 1500]);
    backoff.forget('k');
    expect(backoff.failures('k')).toBe(0);
  });
});

describe('TokenBucket', () => {
  it('lets a burst through, then spaces tokens by the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 2, () => now);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 100]);
    now = 1000;
    expect(bucket.reserve()).toBe(0);
  });

  it('never waits without a positive rate', async () => {
    const bucket = new TokenBucket(0, 0);
    expect(bucket.reserve()).toBe(0);
    await bucket.take();
  });
});
