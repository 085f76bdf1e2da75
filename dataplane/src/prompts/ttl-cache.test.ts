import { describe, expect, it } from 'vitest';
import { TtlLruCache } from './ttl-cache.ts';

describe('TtlLruCache', () => {
  it('serves an entry until its TTL has passed, whatever the hits', () => {
    const cache = new TtlLruCache<string>({ maxEntries: 10, ttlMs: 100 });
    cache.set('a', 'A', 0);
    expect(cache.get('a', 50)).toBe('A');
    expect(cache.get('a', 99)).toBe('A');
    expect(cache.get('a', 100)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('misses a key it never held', () => {
    expect(new TtlLruCache<string>({ maxEntries: 1, ttlMs: 1 }).get('x', 0)).toBeUndefined();
  });

  it('evicts the least recently used entry to make room', () => {
    const cache = new TtlLruCache<string>({ maxEntries: 2, ttlMs: 1000 });
    cache.set('a', 'A', 0);
    cache.set('b', 'B', 0);
    cache.get('a', 1);
    cache.set('c', 'C', 2);
    expect(cache.get('b', 3)).toBeUndefined();
    expect(cache.get('a', 3)).toBe('A');
    expect(cache.get('c', 3)).toBe('C');
    expect(cache.size).toBe(2);
  });

  it('restarts the TTL of a key set again', () => {
    const cache = new TtlLruCache<string>({ maxEntries: 2, ttlMs: 100 });
    cache.set('a', 'A', 0);
    cache.set('a', 'A2', 90);
    expect(cache.get('a', 150)).toBe('A2');
    expect(cache.size).toBe(1);
  });

  it('prunes the expired entries and clears all of them', () => {
    const cache = new TtlLruCache<string>({ maxEntries: 5, ttlMs: 100 });
    cache.set('old', 'O', 0);
    cache.set('new', 'N', 80);
    cache.prune(120);
    expect(cache.size).toBe(1);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('refuses a size below one', () => {
    expect(() => new TtlLruCache({ maxEntries: 0, ttlMs: 1 })).toThrow(RangeError);
  });
});
