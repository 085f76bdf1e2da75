import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from '../../errors/api-error.ts';
import { toUpstreamError } from '../../providers/upstream-error.ts';
import type { Provider, ProviderRequest } from '../../providers/provider.ts';
import type { Chunk } from '../types.ts';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.ts';
import type { RouteConfig, TargetConfig } from './route.ts';

export interface RouterOptions {
  /** The provider for a target (a cache keyed by target is the caller's business). */
  provider: (target: TargetConfig) => Provider;
  now?: () => number;
  /** Uniform in [0, 1); injectable so backoff tests are deterministic. */
  random?: () => number;
}

export interface RouteEvents {
  /** Called once per attempt, before the call. */
  onAttempt?: (target: TargetConfig, attempt: number) => void;
  /** Called with the target that produced the first chunk. */
  onServed?: (target: TargetConfig) => void;
}

/**
 * Walks a route's fallback chain: per target, a circuit breaker, retries with exponential
 * backoff and full jitter (honouring Retry-After), and a timeout to the first chunk and between
 * chunks. A failure before the first chunk is invisible to the client; after it, the error is
 * thrown with `details.partial = true` (see docs/streaming.md for the mid-stream semantics).
 */
export class Router {
  readonly #options: RouterOptions;
  readonly #breakers = new Map<string, CircuitBreaker>();

  constructor(options: RouterOptions) {
    this.#options = options;
  }

  circuitStates(): Map<string, CircuitState> {
    return new Map([...this.#breakers].map(([key, breaker]) => [key, breaker.state]));
  }

  async *stream(
    route: RouteConfig,
    request: Omit<ProviderRequest, 'model'>,
    signal: AbortSignal,
    events: RouteEvents = {},
  ): AsyncIterable<Chunk> {
    let lastError: ApiError | undefined;
    for (const target of route.targets) {
      const breaker = this.#breaker(route, target);
      for (let attempt = 1; attempt <= route.retry.maxAttempts; attempt++) {
        if (!breaker.tryAcquire()) {
          lastError = new ApiError('UPSTREAM_UNAVAILABLE', `The circuit for target ${target.name} is open.`);
          break;
        }
        events.onAttempt?.(target, attempt);
        let started = false;
        try {
          for await (const chunk of this.#attempt(target, request, signal)) {
            if (!started) events.onServed?.(target);
            started = true;
            yield chunk;
          }
          breaker.onSuccess();
          return;
        } catch (error) {
          if (signal.aborted) throw signal.reason;
          const upstream = toUpstreamError(error);
          breaker.onFailure();
          if (started) {
            throw new ApiError(upstream.code, upstream.message, {
              details: { ...upstream.details, partial: true, target: target.name },
              cause: upstream,
            });
          }
          lastError = upstream;
          if (!upstream.retryable || attempt === route.retry.maxAttempts) break;
          await sleep(this.#backoff(route, attempt, upstream), undefined, { signal });
        }
      }
      if (lastError !== undefined && !route.fallbackOn.has(lastError.code)) throw lastError;
    }
    throw lastError ?? new ApiError('UPSTREAM_UNAVAILABLE', `Route ${route.alias} has no targets.`);
  }

  /** Full jitter: uniform in [0, min(max, base·2^(attempt-1))], but never below Retry-After. */
  #backoff(route: RouteConfig, attempt: number, error: ApiError): number {
    const random = this.#options.random ?? Math.random;
    const ceiling = Math.min(route.retry.maxDelayMs, route.retry.baseDelayMs * 2 ** (attempt - 1));
    const retryAfterMs = (error.retryAfterS ?? 0) * 1000;
    return Math.min(route.retry.maxDelayMs, Math.max(retryAfterMs, random() * ceiling));
  }

  #breaker(route: RouteConfig, target: TargetConfig): CircuitBreaker {
    const key = `${route.alias}/${target.name}`;
    let breaker = this.#breakers.get(key);
    if (breaker === undefined) {
      breaker = new CircuitBreaker(route.circuitBreaker, this.#options.now);
      this.#breakers.set(key, breaker);
    }
    return breaker;
  }

  /** One call to one target, aborted when the caller aborts or a chunk is late. */
  async *#attempt(
    target: TargetConfig,
    request: Omit<ProviderRequest, 'model'>,
    signal: AbortSignal,
  ): AsyncIterable<Chunk> {
    const controller = new AbortController();
    const abort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    const provider = this.#options.provider(target);
    const iterator = provider.stream({ ...request, model: target.model }, controller.signal)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await withTimeout(iterator.next(), target, controller);
        if (next.done === true) return;
        yield next.value;
      }
    } finally {
      signal.removeEventListener('abort', abort);
      if (!controller.signal.aborted) controller.abort();
      void iterator.return?.().catch(() => undefined);
    }
  }
}

async function withTimeout<T>(pending: Promise<T>, target: TargetConfig, controller: AbortController): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new ApiError('UPSTREAM_TIMEOUT', `Target ${target.name} sent nothing for ${target.timeoutMs} ms.`);
      controller.abort(error);
      reject(error);
    }, target.timeoutMs);
  });
  try {
    return await Promise.race([pending, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
