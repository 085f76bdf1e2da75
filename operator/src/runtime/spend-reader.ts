/**
 * Reads tenants' settled spend from the Redis the gateways charge in, read-only: one HMGET of
 * `cost` and `tokens` on a spend hash (crds/budget-period.ts `spendKey`). Nothing here writes
 * to Redis. A command that cannot be answered within the timeout rejects, so a Redis that is
 * down makes spend unknown quickly instead of stalling a reconcile.
 */
import { Redis } from 'ioredis';
import type { Logger } from './log.ts';

/** Settled spend of one hash: nano-USD and tokens (an absent hash has spent nothing). */
export interface Spend {
  cost: number;
  tokens: number;
}

export interface SpendReader {
  /** The settled spend in the hash at key; rejects when Redis cannot answer. */
  read(key: string): Promise<Spend>;
  close(): Promise<void>;
}

export interface RedisSpendReaderOptions {
  url: string;
  logger: Logger;
  /** How long one read may take, connecting included. @default 2000 */
  timeoutMs?: number;
}

export class RedisSpendReader implements SpendReader {
  readonly #redis: Redis;
  readonly #logger: Logger;
  #reachable: boolean | undefined;

  constructor(options: RedisSpendReaderOptions) {
    const timeoutMs = options.timeoutMs ?? 2000;
    this.#logger = options.logger;
    this.#redis = new Redis(options.url, {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 200, 5000),
    });
    // Errors reach the callers of read(); without a listener ioredis prints each one.
    this.#redis.on('error', () => undefined);
  }

  async read(key: string): Promise<Spend> {
    try {
      const [cost, tokens] = await this.#redis.hmget(key, 'cost', 'tokens');
      this.#noteReachable(true);
      return { cost: counter(cost, key, 'cost'), tokens: counter(tokens, key, 'tokens') };
    } catch (err) {
      if (!(err instanceof SpendFormatError)) this.#noteReachable(false, err);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
    return Promise.resolve();
  }

  /** Logs when Redis becomes unreachable and when it answers again, not on every read. */
  #noteReachable(reachable: boolean, error?: unknown): void {
    if (this.#reachable === reachable) return;
    const first = this.#reachable === undefined;
    this.#reachable = reachable;
    if (!reachable) this.#logger.warn('Failed to read spend from Redis', { error });
    else if (!first) this.#logger.info('Read spend from Redis again');
  }
}

/** A spend field that is not a non-negative integer: the hash is not the gateways'. */
export class SpendFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpendFormatError';
  }
}

function counter(value: string | null | undefined, key: string, field: string): number {
  if (value === null || value === undefined) return 0;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new SpendFormatError(`${key} ${field} is ${JSON.stringify(value)}, not a count.`);
  }
  return n;
}
