/**
 * The budget stores' shared semantics (dataplane/src/budget/store.ts), the same table against
 * the Redis store on a real redis-server and the in-memory store, plus a property over random
 * request sequences.
 */
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodAt } from '../../crds/budget-period.ts';
import { MemoryBudgetStore } from '../../dataplane/src/budget/memory-store.ts';
import { RedisBudgetStore } from '../../dataplane/src/budget/redis-store.ts';
import type { BudgetStore, ReserveInput } from '../../dataplane/src/budget/store.ts';
import { startRedis, type Redis as RedisServer } from '../cluster/harness.ts';

let server: RedisServer;
let redis: Redis;
let prefixes = 0;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});

afterAll(async () => {
  await redis.quit();
  await server.stop();
});

const NOW = Date.UTC(2026, 11, 15, 12, 0, 0);
const window = periodAt('monthly', NOW);

const stores: [string, () => BudgetStore][] = [
  ['the Redis store', () => new RedisBudgetStore(redis, { prefix: `t${++prefixes}:` })],
  ['the memory store', () => new MemoryBudgetStore()],
];

function ask(overrides: Partial<ReserveInput> = {}): ReserveInput {
  return {
    tenant: 'acme',
    requestId: 'r1',
    window,
    limits: {},
    estimate: { cost: 100, tokens: 10 },
    stream: false,
    now: NOW,
    leaseMs: 60_000,
    overLimit: false,
    ...overrides,
  };
}

describe.each(stores)('%s', (_name, makeStore) => {
  it('admits within the cost limit, holds the estimate, then charges the real cost once', async () => {
    const store = makeStore();
    const decision = await store.reserve(ask({ limits: { cost: 250 } }));
    expect(decision).toMatchObject({ kind: 'admitted', repeat: false, standing: { cost: 100 } });
    expect(await store.spend('acme', window)).toEqual({
      cost: 0,
      tokens: 0,
      heldCost: 100,
      heldTokens: 10,
    });
    const settle = { tenant: 'acme', requestId: 'r1', window, cost: 40, tokens: 7 };
    expect(await store.settle(settle)).toBe('settled');
    expect(await store.settle(settle)).toBe('already');
    expect(await store.spend('acme', window)).toEqual({
      cost: 40,
      tokens: 7,
      heldCost: 0,
      heldTokens: 0,
    });
  });

  it('settles and releases an estimate of no cost (an unpriced model: a token limit only)', async () => {
    const store = makeStore();
    const free = (requestId: string, tokens: number, more: Partial<ReserveInput> = {}) =>
      store.reserve(
        ask({ requestId, limits: { tokens: 1000 }, estimate: { cost: 0, tokens }, ...more }),
      );
    // Releasing and settling a hold subtract it: Redis refuses HINCRBY by "-0".
    await free('dead', 5, { leaseMs: 1 });
    await free('r1', 10);
    await free('later', 1, { now: NOW + 2 });
    const settle = { tenant: 'acme', requestId: 'r1', window, cost: 0, tokens: 7 };
    expect(await store.settle(settle)).toBe('settled');
    expect(await store.spend('acme', window)).toEqual({
      cost: 0,
      tokens: 7,
      heldCost: 0,
      heldTokens: 1,
    });
  });

  it('refuses what would pass the cost limit, with the seconds to the period’s end', async () => {
    const store = makeStore();
    await store.reserve(ask({ requestId: 'a', limits: { cost: 150 } }));
    const refused = await store.reserve(ask({ requestId: 'b', limits: { cost: 150 } }));
    expect(refused).toMatchObject({ kind: 'refused', limit: 'cost', repeat: false });
    expect(refused.kind === 'refused' && refused.retryAfterS).toBe((window.end - NOW) / 1000);
  });

  it('refuses past the token limit', async () => {
    const store = makeStore();
    const refused = await store.reserve(ask({ limits: { tokens: 5 } }));
    expect(refused).toMatchObject({ kind: 'refused', limit: 'tokens' });
  });

  it('returns the first decision to a repeated request id and reserves nothing more', async () => {
    const store = makeStore();
    await store.reserve(ask({ limits: { cost: 1000 } }));
    expect(await store.reserve(ask({ limits: { cost: 1000 } }))).toEqual({ kind: 'in-progress' });
    await store.settle({ tenant: 'acme', requestId: 'r1', window, cost: 100, tokens: 10 });
    for (let retry = 0; retry < 3; retry++) {
      expect(await store.reserve(ask({ limits: { cost: 1000 } }))).toMatchObject({
        kind: 'admitted',
        repeat: true,
      });
    }
    expect(await store.spend('acme', window)).toMatchObject({ cost: 100, heldCost: 0 });
    const refused = await store.reserve(ask({ requestId: 'x', limits: { tokens: 1 } }));
    expect(await store.reserve(ask({ requestId: 'x', limits: { tokens: 1000 } }))).toEqual({
      ...refused,
      repeat: true,
      standing: expect.any(Object),
    });
  });

  it('counts requests in a rolling minute', async () => {
    const store = makeStore();
    const limits = { requestsPerMinute: 2 };
    await store.reserve(ask({ requestId: 'a', limits, now: NOW }));
    await store.reserve(ask({ requestId: 'b', limits, now: NOW + 10_000 }));
    const refused = await store.reserve(ask({ requestId: 'c', limits, now: NOW + 20_000 }));
    expect(refused).toMatchObject({ kind: 'refused', limit: 'requests', retryAfterS: 40 });
    expect(await store.reserve(ask({ requestId: 'd', limits, now: NOW + 60_001 }))).toMatchObject({
      kind: 'admitted',
      standing: { requests: 2 },
    });
  });

  it('holds a concurrent stream until it is settled', async () => {
    const store = makeStore();
    const limits = { concurrentStreams: 1 };
    await store.reserve(ask({ requestId: 'a', limits, stream: true }));
    expect(await store.reserve(ask({ requestId: 'b', limits, stream: true }))).toMatchObject({
      kind: 'refused',
      limit: 'streams',
    });
    // A request that is not streamed holds no stream.
    expect(await store.reserve(ask({ requestId: 'c', limits }))).toMatchObject({
      kind: 'admitted',
    });
    await store.settle({ tenant: 'acme', requestId: 'a', window, cost: 0, tokens: 0 });
    expect(await store.reserve(ask({ requestId: 'd', limits, stream: true }))).toMatchObject({
      kind: 'admitted',
      standing: { streams: 1 },
    });
  });

  it('releases a reservation whose lease ran out, and still charges it when it settles late', async () => {
    const store = makeStore();
    await store.reserve(ask({ requestId: 'dead', leaseMs: 1000 }));
    await store.reserve(ask({ requestId: 'later', now: NOW + 2000 }));
    expect(await store.spend('acme', window)).toMatchObject({ heldCost: 100 });
    const late = { tenant: 'acme', requestId: 'dead', window, cost: 30, tokens: 3 };
    expect(await store.settle(late)).toBe('settled');
    expect(await store.settle(late)).toBe('already');
    expect(await store.spend('acme', window)).toMatchObject({ cost: 30, heldCost: 100 });
  });

  it('admits past the cost limit when told to (Degrade), saying which limit', async () => {
    const store = makeStore();
    const decision = await store.reserve(ask({ limits: { cost: 10 }, overLimit: true }));
    expect(decision).toMatchObject({ kind: 'admitted', degraded: 'cost' });
  });

  it('starts each period from nothing', async () => {
    const store = makeStore();
    const limits = { cost: 100 };
    await store.reserve(ask({ requestId: 'a', limits }));
    await store.settle({ tenant: 'acme', requestId: 'a', window, cost: 100, tokens: 1 });
    expect(await store.reserve(ask({ requestId: 'b', limits }))).toMatchObject({ kind: 'refused' });
    const next = periodAt('monthly', window.end);
    expect(
      await store.reserve(ask({ requestId: 'c', limits, window: next, now: window.end })),
    ).toMatchObject({ kind: 'admitted' });
    expect(await store.spend('acme', next)).toMatchObject({ cost: 0, heldCost: 100 });
  });

  it('keeps settled spend within one estimate of the limit, and settles or releases every hold', async () => {
    const step = fc.record({
      estimate: fc.integer({ min: 1, max: 50 }),
      spent: fc.integer({ min: 0, max: 60 }),
      settles: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const store = makeStore();
        const limit = 300;
        const tenant = `p${++prefixes}`;
        let maxEstimate = 0;
        for (const [index, item] of steps.entries()) {
          maxEstimate = Math.max(maxEstimate, item.estimate);
          const requestId = `q${index}`;
          const decision = await store.reserve(
            ask({
              tenant,
              requestId,
              limits: { cost: limit },
              estimate: { cost: item.estimate, tokens: 1 },
            }),
          );
          if (decision.kind !== 'admitted') continue;
          // A settlement charges the real cost, which may exceed the estimate; a failed call 0.
          const cost = item.settles ? Math.min(item.spent, item.estimate * 2) : 0;
          await store.settle({ tenant, requestId, window, cost, tokens: 1 });
        }
        const spend = await store.spend(tenant, window);
        expect(spend.heldCost).toBe(0);
        expect(spend.heldTokens).toBe(0);
        expect(spend.cost).toBeLessThanOrEqual(limit + maxEstimate);
      }),
      { numRuns: 40 },
    );
  });
});
