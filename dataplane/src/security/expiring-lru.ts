/**
 * A bounded least-recently-used map whose entries also expire at an absolute time. Time is
 * passed in (milliseconds) so that callers own the clock and tests need no fake timers.
 *
 * It relies on `Map` keeping insertion order: a hit re-inserts its key at the end, so the first
 * key is always the least recently used one and eviction is O(1).
 */
export class ExpiringLru<V> {
  readonly #entries = new Map<string, { value: V; expiresAtMs: number }>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0) {
      throw new TypeError(`maxEntries must be a non-negative integer, got ${maxEntries}.`);
    }
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The live value for `key`, refreshed as most recently used; expired entries are dropped. */
  get(key: string, nowMs: number): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAtMs <= nowMs) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Forgets `key`. */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Stores `value` until `expiresAtMs`, evicting the least recently used entry when full. */
  set(key: string, value: V, expiresAtMs: number): void {
    if (this.#maxEntries === 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAtMs });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }
}
