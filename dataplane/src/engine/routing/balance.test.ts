import { describe, expect, it } from 'vitest';
import type { RouteConfig, TargetConfig } from '../../core/route.ts';
import { targetOrder } from './balance.ts';

function route(
  targets: { name: string; weight?: number; priority?: number }[],
  balance: RouteConfig['balance'] = 'Weighted',
): RouteConfig {
  return {
    alias: 'r',
    targets: targets.map((target, index): TargetConfig => ({
      provider: 'mock',
      model: 'echo',
      timeoutMs: 100,
      weight: 1,
      priority: index,
      ...target,
    })),
    fallbackOn: new Set(),
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    circuitBreaker: { failureThreshold: 5, openMs: 1000 },
    midStreamFailure: 'Error',
    balance,
  };
}

const names = (order: readonly TargetConfig[]) => order.map((target) => target.name);
const idle = { random: Math.random, outstanding: () => 0 };

describe('the order a request tries targets in', () => {
  it('is the list itself when no target shares a priority (a plain fallback chain)', () => {
    const chain = route([{ name: 'a' }, { name: 'b', weight: 50 }, { name: 'c' }]);
    for (let pick = 0; pick < 20; pick++)
      expect(names(targetOrder(chain, idle))).toEqual(['a', 'b', 'c']);
  });

  it('shares 10,000 picks among targets of one priority by weight, within 2 %', () => {
    const pool = route([
      { name: 'a', weight: 1, priority: 0 },
      { name: 'b', weight: 3, priority: 0 },
      { name: 'c', weight: 6, priority: 0 },
      { name: 'spare', priority: 1 },
    ]);
    const firsts = new Map<string, number>();
    for (let pick = 0; pick < 10_000; pick++) {
      const order = names(targetOrder(pool, idle));
      expect(order.at(-1)).toBe('spare');
      firsts.set(order[0]!, (firsts.get(order[0]!) ?? 0) + 1);
    }
    expect(Math.abs((firsts.get('a') ?? 0) / 10_000 - 0.1)).toBeLessThan(0.02);
    expect(Math.abs((firsts.get('b') ?? 0) / 10_000 - 0.3)).toBeLessThan(0.02);
    expect(Math.abs((firsts.get('c') ?? 0) / 10_000 - 0.6)).toBeLessThan(0.02);
  });

  it('puts the target with fewest requests in flight first under LeastOutstanding', () => {
    const pool = route(
      [
        { name: 'busy', priority: 0 },
        { name: 'calm', priority: 0 },
        { name: 'idle', priority: 0 },
      ],
      'LeastOutstanding',
    );
    const load = new Map([
      ['busy', 5],
      ['calm', 1],
      ['idle', 0],
    ]);
    const order = targetOrder(pool, {
      random: Math.random,
      outstanding: (target) => load.get(target.name) ?? 0,
    });
    expect(names(order)).toEqual(['idle', 'calm', 'busy']);
  });

  it('keeps a session on one target under Sticky, and spreads sessions by weight', () => {
    const pool = route(
      [
        { name: 'a', weight: 1, priority: 0 },
        { name: 'b', weight: 1, priority: 0 },
      ],
      'Sticky',
    );
    const first = (affinity: string) => names(targetOrder(pool, { ...idle, affinity }))[0];
    expect(new Set(Array.from({ length: 50 }, () => first('session-7'))).size).toBe(1);
    const spread = new Map<string, number>();
    for (let session = 0; session < 2000; session++) {
      const target = first(`session-${session}`) ?? '';
      spread.set(target, (spread.get(target) ?? 0) + 1);
    }
    expect(Math.abs((spread.get('a') ?? 0) / 2000 - 0.5)).toBeLessThan(0.05);
    // Without a session key, Sticky is Weighted: both come first sometimes.
    const unkeyed = new Set(Array.from({ length: 200 }, () => names(targetOrder(pool, idle))[0]));
    expect(unkeyed).toEqual(new Set(['a', 'b']));
  });
});
