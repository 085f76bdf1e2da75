/**
 * A bounded map whose entries expire `ttlMs` after they were set and whose least recently used
 * entry makes room for a new one. The caller passes the time (milliseconds, any monotonic
 * origin) so that one clock reading serves a whole lookup. A hit does not extend the TTL: the
 * TTL bounds how stale an entry can be, not how long an idle one stays.
 */
export class TtlLruCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;

  constructor(options: { maxEntries: number; ttlMs: number }) {
    if (!(options.maxEntries >= 1)) throw new RangeError('maxEntries must be at least 1');
    this.#maxEntries = options.maxEntries;
    this.#ttlMs = options.ttlMs;
  }

  /** Entries held, expired ones included until `prune` or eviction removes them. */
  get size(): number {
    return this.#entries.size;
  }

  get(key: string, now: number): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= now) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, now: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: now + this.#ttlMs });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  /** Removes the expired entries. */
  prune(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(key);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}
