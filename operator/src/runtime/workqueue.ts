/**
 * A keyed work queue in the manner of client-go's: it holds keys, not events. A key added
 * while it waits is stored once (dedupe); a key added while it is being processed is processed
 * again afterwards, never twice at once (per-key exclusivity); at most `concurrency` keys are
 * processed at a time. Failures back off exponentially with jitter per key, under an overall
 * token bucket; `addAfter` waits on the world (requeueAfterMs).
 */
import { KeyedBackoff, TokenBucket, type BackoffOptions } from './backoff.ts';

export interface WorkQueueOptions {
  /** Keys processed at once. @default 4 */
  concurrency?: number;
  backoff?: BackoffOptions;
  /** Overall retry rate, per second. @default 10 */
  retryQps?: number;
  /** @default 100 */
  retryBurst?: number;
  /** Called whenever the number of waiting keys changes. */
  onDepth?: (depth: number) => void;
}

/** What processing a key decided. */
export type Outcome = { type: 'done' } | { type: 'retry' } | { type: 'requeue'; afterMs: number };

export type Processor = (key: string) => Promise<Outcome>;

const MAX_TIMER_MS = 2 ** 31 - 1;

export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #waiting = new Set<string>();
  readonly #processing = new Set<string>();
  /** Keys added while processing: they go back in the queue when processing ends. */
  readonly #dirty = new Set<string>();
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #backoff: KeyedBackoff;
  readonly #bucket: TokenBucket;
  readonly #concurrency: number;
  readonly #onDepth: (depth: number) => void;
  #processor: Processor | undefined;
  #active = 0;
  #shuttingDown = false;
  #idle: (() => void)[] = [];

  constructor(options: WorkQueueOptions = {}) {
    this.#concurrency = options.concurrency ?? 4;
    this.#backoff = new KeyedBackoff(options.backoff);
    this.#bucket = new TokenBucket(options.retryQps ?? 10, options.retryBurst ?? 100);
    this.#onDepth = options.onDepth ?? (() => undefined);
  }

  get depth(): number {
    return this.#queue.length;
  }

  /** Keys being processed right now. */
  get inFlight(): number {
    return this.#active;
  }

  /** Adds key now; a no-op when it already waits. */
  add(key: string): void {
    if (this.#shuttingDown) return;
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#waiting.has(key)) return;
    this.#waiting.add(key);
    this.#queue.push(key);
    this.#onDepth(this.#queue.length);
    this.#pump();
  }

  /** Adds key after delayMs; an earlier pending addAfter of the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    // Timers hold at most 2^31-1 ms (about 24.8 days); a longer wait is re-armed when it fires.
    delayMs = Math.min(delayMs, MAX_TIMER_MS);
    const at = Date.now() + delayMs;
    const pending = this.#timers.get(key);
    if (pending !== undefined && pending.at <= at) return;
    if (pending !== undefined) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.#timers.set(key, { at, timer });
  }

  /** Adds key after its backoff (and the overall bucket) allow. */
  addRateLimited(key: string): void {
    this.addAfter(key, Math.max(this.#backoff.next(key), this.#bucket.reserve()));
  }

  /** Forgets key's failures. */
  forget(key: string): void {
    this.#backoff.forget(key);
  }

  failures(key: string): number {
    return this.#backoff.failures(key);
  }

  /** Starts processing keys with processor. */
  start(processor: Processor): void {
    this.#processor = processor;
    this.#shuttingDown = false;
    this.#pump();
  }

  /**
   * Stops taking keys; resolves once the keys being processed are done. Waiting keys are
   * dropped (the informers will enqueue them again for whoever processes next).
   */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true;
    this.#processor = undefined;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#queue.length = 0;
    this.#waiting.clear();
    this.#dirty.clear();
    this.#onDepth(0);
    if (this.#active > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (
      this.#processor !== undefined &&
      this.#active < this.#concurrency &&
      this.#queue.length > 0
    ) {
      const key = this.#queue.shift();
      if (key === undefined) break;
      this.#waiting.delete(key);
      this.#processing.add(key);
      this.#active += 1;
      this.#onDepth(this.#queue.length);
      void this.#process(this.#processor, key);
    }
  }

  async #process(processor: Processor, key: string): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await processor(key);
    } catch {
      outcome = { type: 'retry' };
    }
    this.#processing.delete(key);
    this.#active -= 1;
    if (outcome.type === 'retry') this.addRateLimited(key);
    else {
      this.forget(key);
      if (outcome.type === 'requeue') this.addAfter(key, outcome.afterMs);
    }
    if (this.#dirty.delete(key)) this.add(key);
    if (this.#active === 0 && this.#shuttingDown) {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
    this.#pump();
  }
}
