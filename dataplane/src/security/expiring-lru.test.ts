import { describe, expect, it } from 'vitest';
import { ExpiringLru } from './expiring-lru.ts';

describe('an expiring LRU', () => {
  it('returns a value until it expires, then forgets it', () => {
    const lru = new ExpiringLru<number>(2);
    lru.set('a', 1, 100);
    expect(lru.get('a', 99)).toBe(1);
    expect(lru.get('a', 100)).toBeUndefined();
    expect(lru.size).toBe(0);
  });

  it('evicts the least recently used key when full', () => {
    const lru = new ExpiringLru<number>(2);
    lru.set('a', 1, 100);
    lru.set('b', 2, 100);
    lru.get('a', 0);
    lru.set('c', 3, 100);
    expect([lru.get('a', 0), lru.get('b', 0), lru.get('c', 0)]).toEqual([1, undefined, 3]);
  });

  it('forgets a deleted key and keeps the others', () => {
    const lru = new ExpiringLru<number>(2);
    lru.set('a', 1, 100);
    lru.set('b', 2, 100);
    lru.delete('a');
    expect([lru.get('a', 0), lru.get('b', 0), lru.size]).toEqual([undefined, 2, 1]);
  });

  it('replaces a value set twice without growing', () => {
    const lru = new ExpiringLru<number>(2);
    lru.set('a', 1, 100);
    lru.set('a', 2, 100);
    expect(lru.size).toBe(1);
    expect(lru.get('a', 0)).toBe(2);
  });

  it('stores nothing with capacity 0 and refuses a negative one', () => {
    const lru = new ExpiringLru<number>(0);
    lru.set('a', 1, 100);
    expect(lru.get('a', 0)).toBeUndefined();
    expect(() => new ExpiringLru<number>(-1)).toThrow(/non-negative/);
  });
});
