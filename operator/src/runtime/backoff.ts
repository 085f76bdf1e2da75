/**
 * Retry pacing for the work queue: per-key exponential backoff with jitter, and an overall
 * token bucket so that a burst of failures cannot turn into a burst of API requests.
 */

export interface BackoffOptions {
  /** First delay after a failure. @default 100 */
  baseMs?: number;
  /** Upper bound of one delay. @default 60_000 */
  maxMs?: number;
  /** Fraction of the delay drawn at random and added (0 disables jitter). @default 0.2 */
  jitter?: number;
  /** Source of randomness in [0, 1). @default Math.random */
  random?: () => number;
}

/** Per-key exponential backoff: base · 2^(failures-1), capped, plus up to jitter·delay. */
export class KeyedBackoff {
  readonly #failures = new Map<string, number>();
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #jitter: number;
  readonly #random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.#baseMs = options.baseMs ?? 100;
    this.#maxMs = options.maxMs ?? 60_000;
    this.#jitter = options.jitter ?? 0.2;
    this.#random = options.random ?? Math.random;
  }

  /** Records one more failure of key and returns how long to wait before the next try. */
  next(key: string): number {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    const exponential = Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(failures - 1, 30));
    return Math.round(exponential * (1 + this.#jitter * this.#random()));
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Forgets key's failures (after a success, or when the key is dropped). */
  forget(key: string): void {
    this.#failures.delete(key);
  }
}

/**
 * A token bucket: `ratePerSecond` tokens per second, at most `burst` stored. `reserve()` takes
 * one token and says how long to wait until it is actually available.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;

  constructor(ratePerSecond: number, burst: number, now: () => number = () => performance.now()) {
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#tokens = burst;
    this.#now = now;
    this.#last = now();
  }

  /** Takes a token; resolves to the delay in ms before it may be used (0 when one was stored). */
  reserve(): number {
    if (!Number.isFinite(this.#rate) || this.#rate <= 0) return 0;
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.#rate) * 1000);
  }

  /** Waits until a token is available. */
  async take(): Promise<void> {
    const delay = this.reserve();
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
