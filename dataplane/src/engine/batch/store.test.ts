import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { BatchStore } from './store.ts';
import type { BatchItem, DeadLetter, ItemResult } from './types.ts';

let redis: Redis;
let store: BatchStore;

beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});

afterAll(async () => {
  await redis.quit();
});

beforeEach(() => {
  // A prefix per test: the shared Redis of the test run holds other files' keys too.
  store = new BatchStore(redis, {
    prefix: `test:batch:${randomBytes(6).toString('hex')}:`,
    retentionS: () => 3600,
  });
});

const items = (count: number): BatchItem[] =>
  Array.from({ length: count }, (_, index) => ({
    messages: [{ role: 'user', content: `item ${index}` }],
  }));

let sequence = 0;
async function submit(tenant: string, count: number, maxQueued = 1000, agent?: string) {
  sequence += 1;
  const outcome = await store.submit({
    tenant,
    taskId: `task-${sequence}`,
    batchId: `batch_${sequence}`,
    hash: `hash-${sequence}`,
    items: items(count),
    model: undefined,
    format: 'items',
    maxQueued,
    agent,
  });
  if (outcome.kind !== 'created') throw new Error(outcome.kind);
  return outcome.batchId;
}

const limits = (defaultRunning: number, running: Record<string, number> = {}) => ({
  defaultRunning,
  running,
});

const succeeded = (index: number): ItemResult => ({
  status: 'succeeded',
  attempts: 1,
  finished_at: 0,
  response: {
    id: `r-${index}`,
    model: 'chat',
    output: { role: 'assistant', content: 'ok' },
    finish_reason: 'stop',
    usage: { input_tokens: 1, output_tokens: 1, cached_tokens: 0 },
  },
});

const failure = (batchId: string, index: number) => ({
  result: {
    status: 'failed',
    attempts: 1,
    finished_at: 0,
    error: { code: 'UPSTREAM_UNAVAILABLE', message: 'down', retryable: true },
  } satisfies ItemResult,
  deadLetter: {
    batchId,
    index,
    tenant: 'acme',
    taskId: 't',
    customId: undefined,
    error: { code: 'UPSTREAM_UNAVAILABLE', message: 'down', retryable: true },
    attempts: 1,
    deadAt: 0,
  } satisfies DeadLetter,
});

describe('the batch store', () => {
  it('dispatches round robin over tenants, one item per tenant per turn', async () => {
    const a = await submit('a', 3);
    const b = await submit('b', 2);
    const c = await submit('c', 1);
    const taken = await store.dispatch(100, limits(10));
    expect(taken).toEqual([
      { tenant: 'a', ref: `${a}:0` },
      { tenant: 'b', ref: `${b}:0` },
      { tenant: 'c', ref: `${c}:0` },
      { tenant: 'a', ref: `${a}:1` },
      { tenant: 'b', ref: `${b}:1` },
      { tenant: 'a', ref: `${a}:2` },
    ]);
    expect(await store.dispatch(100, limits(10))).toEqual([]);
    expect(await store.stats('a')).toMatchObject({ queued: 3, running: 3 });
  });

  it('never takes more than a tenant’s running limit, and takes more as items finish', async () => {
    const a = await submit('a', 5);
    const b = await submit('b', 5);
    const first = await store.dispatch(100, limits(2, { b: 1 }));
    expect(first.map(({ ref }) => ref)).toEqual([`${a}:0`, `${b}:0`, `${a}:1`]);
    expect(await store.dispatch(100, limits(2, { b: 1 }))).toEqual([]);
    expect((await store.begin(a, 0)).kind).toBe('run');
    expect(await store.complete(a, 0, succeeded(0))).toBe(true);
    expect(await store.dispatch(100, limits(2, { b: 1 }))).toEqual([
      { tenant: 'a', ref: `${a}:2` },
    ]);
  });

  it('takes at most max items per call', async () => {
    await submit('a', 10);
    expect(await store.dispatch(4, limits(100))).toHaveLength(4);
    expect(await store.dispatch(100, limits(100))).toHaveLength(6);
  });

  it("hands each delivery of an agent's batch the agent type it was submitted with", async () => {
    const id = await submit('a', 1, 1000, 'analytics');
    await store.dispatch(100, limits(10));
    expect(await store.begin(id, 0)).toMatchObject({ kind: 'run', agent: 'analytics' });
  });

  it('runs a delivery only while its item is in flight without a result', async () => {
    const id = await submit('a', 2);
    expect((await store.begin(id, 0)).kind).toBe('skip');
    await store.dispatch(100, limits(10));
    const begun = await store.begin(id, 0);
    expect(begun).toMatchObject({
      kind: 'run',
      tenant: 'a',
      executions: 1,
      format: 'items',
      model: undefined,
      agent: undefined,
      item: { messages: [{ content: 'item 0' }] },
    });
    expect(await store.complete(id, 0, succeeded(0))).toBe(true);
    // A redelivery after the result: skipped, and recording again changes nothing.
    expect((await store.begin(id, 0)).kind).toBe('skip');
    expect(await store.complete(id, 0, succeeded(0))).toBe(false);
    expect(await store.batch(id)).toMatchObject({ done: 1, status: 'in_progress' });
    expect(await store.stats('a')).toMatchObject({ queued: 1, running: 1, done: 1 });
  });

  it('counts executions, and a released delivery does not count', async () => {
    const id = await submit('a', 1);
    await store.dispatch(100, limits(10));
    await store.begin(id, 0);
    await store.release(id, 0);
    expect(await store.begin(id, 0)).toMatchObject({ kind: 'run', executions: 1 });
    await store.release(id, 0);
    await store.release(id, 0);
    expect((await store.executions(id)).get(0)).toBe(0);
  });

  it('answers retry below the attempts, then dead-letters the item with its last error', async () => {
    const id = await submit('acme', 2);
    await store.dispatch(100, limits(10));
    const { result, deadLetter } = failure(id, 0);
    const fail = () => store.fail(id, 0, { attempts: 3, final: false, result, deadLetter });
    expect(await fail()).toBe('retry');
    expect(await fail()).toBe('retry');
    expect(await fail()).toBe('dead');
    expect(await fail()).toBe('skip');
    expect(await store.batch(id)).toMatchObject({ failed: 1, deadLetters: 1 });
    expect(await store.stats('acme')).toMatchObject({ queued: 1, running: 1, failed: 1, dlq: 1 });
    const { entries, total } = await store.deadLetters(0, 10, 'acme');
    expect(total).toBe(1);
    expect(entries[0]).toMatchObject({ batchId: id, index: 0, error: { message: 'down' } });
    expect(await store.deadLettersOf(id)).toEqual([`${id}:0`]);
  });

  it('dead-letters a final failure at once', async () => {
    const id = await submit('acme', 1);
    await store.dispatch(100, limits(10));
    const { result, deadLetter } = failure(id, 0);
    expect(await store.fail(id, 0, { attempts: 3, final: true, result, deadLetter })).toBe('dead');
    // Finished with a dead letter: completed, but kept (no retention) until it is handled.
    expect(await store.batch(id)).toMatchObject({ status: 'completed' });
    expect(await redis.ttl(`${store.prefix}b:${id}`)).toBe(-1);
  });

  it('re-drives a dead letter in front of its tenant’s queue with fresh attempts', async () => {
    const first = await submit('acme', 1);
    await store.dispatch(100, limits(10));
    const { result, deadLetter } = failure(first, 0);
    await store.fail(first, 0, { attempts: 1, final: false, result, deadLetter });
    const second = await submit('acme', 1);
    expect(
      await store.settleDeadLetters('redrive', [`${first}:0`, `${first}:9`, 'nonsense']),
    ).toEqual(['redriven', 'missing', 'missing']);
    expect(await store.batch(first)).toMatchObject({
      status: 'in_progress',
      failed: 0,
      deadLetters: 0,
      finishedAt: undefined,
    });
    expect((await store.dispatch(100, limits(10))).map(({ ref }) => ref)).toEqual([
      `${first}:0`,
      `${second}:0`,
    ]);
    expect(await store.begin(first, 0)).toMatchObject({ kind: 'run' });
    expect((await store.executions(first)).get(0)).toBe(1);
  });

  it('refuses to re-drive an item of a cancelled batch, but discards it', async () => {
    const id = await submit('acme', 2);
    await store.dispatch(1, limits(10));
    const { result, deadLetter } = failure(id, 0);
    await store.fail(id, 0, { attempts: 1, final: true, result, deadLetter });
    expect(await store.cancel('acme', id)).toBe('cancelled');
    expect(await store.settleDeadLetters('redrive', [`${id}:0`])).toEqual(['cancelled']);
    expect(await store.settleDeadLetters('discard', [`${id}:0`])).toEqual(['discarded']);
    expect(await store.deadLetters(0, 10)).toEqual({ entries: [], total: 0 });
    expect(await store.settleDeadLetters('discard', [])).toEqual([]);
  });

  it('drops a dead letter whose batch has expired', async () => {
    const id = await submit('acme', 1);
    await store.dispatch(100, limits(10));
    const { result, deadLetter } = failure(id, 0);
    await store.fail(id, 0, { attempts: 1, final: true, result, deadLetter });
    await redis.del(`${store.prefix}b:${id}`);
    expect(await store.settleDeadLetters('redrive', [`${id}:0`])).toEqual(['missing']);
    expect((await store.deadLetters(0, 10)).total).toBe(0);
  });

  it('records an in-flight item of a cancelling batch as cancelled when a worker takes it', async () => {
    const id = await submit('acme', 3);
    await store.dispatch(1, limits(10));
    expect(await store.cancel('acme', id)).toBe('cancelling');
    expect(await store.cancel('other', id)).toBeUndefined();
    expect((await store.begin(id, 0)).kind).toBe('cancelled');
    expect(await store.batch(id)).toMatchObject({ status: 'cancelled', cancelled: 3 });
    expect(await store.stats('acme')).toMatchObject({ queued: 0, running: 0 });
    const results = await store.results((await store.batch(id))!, 0, 10);
    expect(results.map(({ result }) => result.status)).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
  });

  it('starts retention when a batch completes, its task id with it', async () => {
    const id = await submit('acme', 1);
    await store.dispatch(100, limits(10));
    await store.begin(id, 0);
    await store.complete(id, 0, succeeded(0));
    expect(await store.batch(id)).toMatchObject({ status: 'completed' });
    expect(await redis.ttl(`${store.prefix}b:${id}`)).toBeGreaterThan(3000);
    expect(await redis.ttl(`${store.prefix}b:${id}:results`)).toBeGreaterThan(3000);
    expect(await redis.ttl(`${store.prefix}task:acme:task-${sequence}`)).toBeGreaterThan(3000);
  });

  it('answers existing, conflict and limited without keeping the staged copy', async () => {
    const id = await submit('acme', 2, 10);
    const base = {
      tenant: 'acme',
      taskId: `task-${sequence}`,
      items: items(2),
      model: undefined,
      format: 'items' as const,
      maxQueued: 10,
    };
    expect(await store.submit({ ...base, batchId: 'batch_dup', hash: `hash-${sequence}` })).toEqual(
      {
        kind: 'existing',
        batchId: id,
      },
    );
    expect(await store.submit({ ...base, batchId: 'batch_other', hash: 'different' })).toEqual({
      kind: 'conflict',
      batchId: id,
    });
    expect(
      await store.submit({
        ...base,
        taskId: 'new',
        batchId: 'batch_big',
        hash: 'h',
        items: items(9),
      }),
    ).toEqual({ kind: 'limited', queued: 2 });
    for (const staged of ['batch_dup', 'batch_other', 'batch_big']) {
      expect(await redis.exists(`${store.prefix}b:${staged}:items`)).toBe(0);
    }
    expect(await store.task('acme', `task-${sequence}`)).toEqual({
      batchId: id,
      hash: `hash-${sequence}`,
    });
    expect(await store.task('acme', 'unknown')).toBeUndefined();
  });

  it('lists in-flight items by age and touches only those still in flight', async () => {
    const id = await submit('acme', 2);
    await store.dispatch(100, limits(10));
    const old = await store.inflightBefore(Date.now() + 1, 10);
    expect(old.sort()).toEqual([`${id}:0`, `${id}:1`]);
    await store.begin(id, 1);
    await store.complete(id, 1, succeeded(1));
    await store.touch([...old, `${id}:7`]);
    expect(await store.inflightBefore(Date.now() - 60_000, 10)).toEqual([]);
    expect(await redis.zcard(`${store.prefix}inflight`)).toBe(1);
    await store.touch([]);
  });

  it('reloads its scripts after Redis forgets them', async () => {
    await submit('acme', 1);
    await redis.script('FLUSH');
    expect(await store.dispatch(100, limits(10))).toHaveLength(1);
  });

  it('reports every tenant’s counters', async () => {
    await submit('x', 1);
    await submit('y', 2);
    const all = await store.allStats();
    expect([...all.keys()]).toEqual(['x', 'y']);
    expect(all.get('y')).toMatchObject({ queued: 2, running: 0 });
    expect(await store.batch('batch_none')).toBeUndefined();
  });
});
