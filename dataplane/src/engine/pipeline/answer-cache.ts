import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { canonicalJson } from '../../../../crds/canonical-json.ts';
import type { DoneChunk } from '../../core/types.ts';
import { ExpiringLru } from '../../security/expiring-lru.ts';
import type { Exchange, Prepared } from '../../stages/context.ts';

/** An answer as it is kept: its text pieces, in order, and its last chunk. */
export interface CachedAnswer {
  texts: string[];
  done: DoneChunk;
}

/** Where answers are kept: Redis (shared by replicas) or this process's memory. */
export interface AnswerStore {
  get(key: string): Promise<CachedAnswer | undefined>;
  set(key: string, answer: CachedAnswer, ttlS: number): Promise<void>;
}

/** What the cache decided for one request, said to the client in `x-cache`. */
export type CacheLookup =
  | { result: 'HIT'; answer: CachedAnswer }
  | { result: 'MISS'; key: string; ttlS: number }
  | { result: 'BYPASS'; key?: string; ttlS: number };

/**
 * The exact answer cache (a route's `cache`, docs/api-compat.md): per tenant, keyed by the
 * prepared request (the route, the messages after prompt rendering and safety, every
 * parameter, the tools), so that only an equal request gets an earlier answer. An answer
 * sampled at a temperature other than 0 is cached only where the route says `sampled`;
 * `Cache-Control: no-cache` skips the lookup, `no-store` the write too. A request for tokens'
 * log-probabilities bypasses the cache: a kept answer holds its text, not its tokens. A store
 * that fails is a miss, never a failed request; `onError` is told which operation failed.
 */
export class AnswerCache {
  readonly #store: AnswerStore;
  readonly #onError: (op: 'get' | 'set', error: unknown) => void;

  constructor(
    store: AnswerStore,
    onError: (op: 'get' | 'set', error: unknown) => void = () => undefined,
  ) {
    this.#store = store;
    this.#onError = onError;
  }

  /** The decision for a prepared request; undefined when its route has no cache. */
  async lookup(exchange: Exchange, prepared: Prepared): Promise<CacheLookup | undefined> {
    const cache = prepared.route.cache;
    if (cache === undefined) return undefined;
    const control = exchange.context.cacheControl?.toLowerCase() ?? '';
    const noStore = /\bno-store\b/.test(control);
    const sampled = prepared.request.temperature !== 0 && !cache.sampled;
    const logprobs = prepared.request.logprobs !== undefined;
    if (noStore || sampled || logprobs) return { result: 'BYPASS', ttlS: cache.ttlS };
    const key = keyOf(exchange, prepared);
    if (/\bno-cache\b/.test(control)) return { result: 'BYPASS', key, ttlS: cache.ttlS };
    const answer = await this.#store.get(key).catch((error: unknown) => {
      this.#onError('get', error);
      return undefined;
    });
    return answer === undefined
      ? { result: 'MISS', key, ttlS: cache.ttlS }
      : { result: 'HIT', answer };
  }

  /** Keeps a finished answer under the lookup's key (in the background; failures are told). */
  keep(lookup: CacheLookup, answer: CachedAnswer): void {
    if (lookup.result === 'HIT' || lookup.key === undefined) return;
    if (answer.done.finishReason === 'error') return;
    this.#store.set(lookup.key, answer, lookup.ttlS).catch((error: unknown) => {
      this.#onError('set', error);
    });
  }
}

/**
 * The agent identity is part of the key: the lookup comes before the stages, and an agent
 * profile (integrations/nops) then shapes the request (fields dropped, max_tokens bounded), so
 * one agent's answer is never another caller's, nor a plain caller's an agent's.
 */
function keyOf(exchange: Exchange, prepared: Prepared): string {
  const { tenant, agent } = exchange.context;
  const digest = createHash('sha256')
    .update(canonicalJson({ alias: prepared.route.alias, agent, request: prepared.request }))
    .digest('base64url');
  return `{${tenant}}:${digest}`;
}

/** Answers in Redis under `<prefix>cache:{tenant}:<digest>`, with the route's TTL. */
export function redisAnswerStore(redis: Redis, prefix: () => string): AnswerStore {
  return {
    async get(key) {
      const value = await redis.get(`${prefix()}cache:${key}`);
      return value === null ? undefined : (JSON.parse(value) as CachedAnswer);
    },
    async set(key, answer, ttlS) {
      await redis.set(`${prefix()}cache:${key}`, JSON.stringify(answer), 'EX', ttlS);
    },
  };
}

/** Answers in this process (the embedded mode), the most recent 10,000. */
export function memoryAnswerStore(now: () => number = Date.now): AnswerStore {
  const entries = new ExpiringLru<CachedAnswer>(10_000);
  return {
    get: (key) => Promise.resolve(entries.get(key, now())),
    set: (key, answer, ttlS) => {
      entries.set(key, answer, now() + ttlS * 1000);
      return Promise.resolve();
    },
  };
}
