import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from '../../errors/api-error.ts';
import { ProviderError, retryAfterMs, toUpstreamError } from '../../providers/upstream-error.ts';
import { isEgressDenied, withEgressReason } from '../../net/egress-denied.ts';
import { UnsupportedParameter } from '../../providers/unsupported.ts';
import type { Provider, ProviderRequest } from '../../providers/provider.ts';
import type { Chunk, FullAnswer } from '../../core/types.ts';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.ts';
import { targetOrder } from './balance.ts';
import { TimedAttempt } from './timed-attempt.ts';
import type { RouteConfig, TargetConfig } from '../../core/route.ts';

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
  /**
   * Called once per attempt when it ends: `ok`, `cancelled` (the caller stopped), or the error
   * code it failed with; a target the chain skipped (open circuit, rate-limit cooldown) too.
   */
  onAttemptEnd?: (target: TargetConfig, outcome: string) => void;
  /** Called when a target failed mid-stream and the answer goes on on the next (`Continue`). */
  onContinue?: (failed: TargetConfig, error: ApiError) => void;
}

/** How the chain reads what an attempt yields. */
interface Items<T> {
  /** The text the client got from this item (what a `Continue` target must go on from). */
  text(item: T): string;
  /** Whether the item ends the answer (after it, stopping abandons nothing). */
  last(item: T): boolean;
  /** The item after a failed target's text (`prefix`) was already sent. */
  withPrefix(item: T, prefix: string): T;
}

const CHUNKS: Items<Chunk> = {
  text: (chunk) => (chunk.type === 'text' ? chunk.text : ''),
  last: (chunk) => chunk.type === 'done',
  withPrefix: (chunk, prefix) => (chunk.type === 'done' ? withPrefixUsage(chunk, prefix) : chunk),
};

/** A one-result operation: no text, and the result is the whole answer. */
const one = <T>(): Items<T> => ({ text: () => '', last: () => true, withPrefix: (item) => item });

/** Starts one attempt against one target: its items, aborted by `signal`. */
type Open<T> = (
  provider: Provider,
  target: TargetConfig,
  prefix: string,
  signal: AbortSignal,
) => AsyncIterator<T>;

/** A one-item iterator over a lazily started promise (an operation as an attempt). */
function once<T>(start: () => Promise<T>): AsyncIterator<T> {
  let taken = false;
  return {
    async next() {
      if (taken) return { done: true, value: undefined };
      taken = true;
      return { done: false, value: await start() };
    },
  };
}

/** A whole answer (one lazily started call) as the chunks of a stream: its text, then done. */
function answerChunks(start: () => Promise<FullAnswer>): AsyncIterator<Chunk> {
  let pending: Chunk[] | undefined;
  return {
    async next() {
      if (pending === undefined) {
        const { text, done } = await start();
        pending = text === '' ? [done] : [{ type: 'text', text }, done];
      }
      const chunk = pending.shift();
      return chunk === undefined ? { done: true, value: undefined } : { done: false, value: chunk };
    },
  };
}

/** What a route's operation gets for one attempt (the embeddings path). */
export type Operation<T> = (
  provider: Provider,
  target: TargetConfig,
  signal: AbortSignal,
) => Promise<T>;

/**
 * Walks a route's fallback chain: per target, a circuit breaker, a rate-limit cooldown, retries
 * with exponential backoff and full jitter (honouring Retry-After), and a timeout to the first
 * chunk and between chunks. A failure before the first chunk is invisible to the client. After
 * it, `midStreamFailure: Error` throws with `details.partial = true`; `Continue` goes on on the
 * next target with the text sent so far as the answer's prefix (see docs/streaming.md).
 */
export class Router {
  readonly #options: RouterOptions;
  readonly #breakers = new Map<string, CircuitBreaker>();
  /** Until when (epoch ms) a rate-limited target is left out, by `alias/target`. */
  readonly #cooldowns = new Map<string, number>();
  /** Attempts in flight, by `alias/target` (the LeastOutstanding balance). */
  readonly #outstanding = new Map<string, number>();

  constructor(options: RouterOptions) {
    this.#options = options;
  }

  circuitStates(): Map<string, CircuitState> {
    return new Map([...this.#breakers].map(([key, breaker]) => [key, breaker.state]));
  }

  /**
   * A chat answer through the chain, as chunks. `whole` says the caller wants the answer whole
   * (a synchronous surface): a provider with a non-streamed call (`complete`) then answers in
   * one call, which the target's timeout bounds whole, and the chain sees its text and its
   * last chunk; the others stream as always. `affinity` is the request's session key (the
   * Sticky balance).
   */
  stream(
    route: RouteConfig,
    request: Omit<ProviderRequest, 'model'>,
    signal: AbortSignal,
    events: RouteEvents = {},
    { whole = false, affinity }: { whole?: boolean; affinity?: string | undefined } = {},
  ): AsyncIterable<Chunk> {
    const order = this.#order(route, affinity);
    return this.#chain(
      route,
      order,
      signal,
      events,
      CHUNKS,
      (provider, target, prefix, attemptSignal) => {
        const call: ProviderRequest =
          prefix === ''
            ? { ...request, model: target.model }
            : { ...request, prefix, model: target.model };
        if (whole && provider.complete !== undefined) {
          const complete = provider.complete.bind(provider);
          return answerChunks(() => complete(call, attemptSignal));
        }
        return provider.stream(call, attemptSignal)[Symbol.asyncIterator]();
      },
    );
  }

  /**
   * One non-streaming operation (embeddings) through the same chain: breakers, cooldowns,
   * retries, fallback; the target's timeout bounds each attempt.
   */
  async call<T>(
    route: RouteConfig,
    operation: Operation<T>,
    signal: AbortSignal,
    events: RouteEvents = {},
  ): Promise<T> {
    const chain = this.#chain(
      route,
      this.#order(route, undefined),
      signal,
      events,
      one<T>(),
      (provider, target, _prefix, attemptSignal) =>
        once(() => operation(provider, target, attemptSignal)),
    );
    for await (const result of chain) return result;
    throw new ApiError('UPSTREAM_UNAVAILABLE', `Route ${route.alias} answered nothing.`);
  }

  /**
   * The one fallback loop: per target, the breaker and the cooldown, then attempts with
   * backoff; each attempt is timed (to its first item and between items) and abandoned when
   * the caller stops. `items` says how to read what an attempt yields: chunks or one result.
   */
  async *#chain<T>(
    route: RouteConfig,
    order: readonly TargetConfig[],
    signal: AbortSignal,
    events: RouteEvents,
    items: Items<T>,
    open: Open<T>,
  ): AsyncGenerator<T> {
    let lastError: ApiError | undefined;
    /** What the client already has, from targets that failed mid-stream (Continue). */
    let prefix = '';
    let served = false;
    const continues = route.midStreamFailure === 'Continue';
    for (const target of order) {
      const breaker = this.#breaker(route, target);
      const key = `${route.alias}/${target.name}`;
      for (let attempt = 1; attempt <= route.retry.maxAttempts; attempt++) {
        if (attempt > 1) {
          // A timer can fire a little before the clock says its wait is over (a busy event
          // loop): the rest of this target's own cooldown is waited out, not taken as a refusal.
          for (let waits = 0; waits < 3; waits++) {
            const left = this.#cooldownLeft(route, target);
            if (left <= 0 || left > route.retry.maxDelayMs) break;
            await sleep(left, undefined, { signal });
          }
        }
        const refused = this.#admit(route, target, breaker);
        if (refused !== undefined) {
          events.onAttemptEnd?.(target, refused.code);
          lastError = refused;
          break;
        }
        events.onAttempt?.(target, attempt);
        this.#outstanding.set(key, (this.#outstanding.get(key) ?? 0) + 1);
        const timed = new TimedAttempt<T>(target, signal);
        let started = false;
        let sent = '';
        try {
          timed.iterator = open(this.#options.provider(target), target, prefix, timed.signal);
          for (let next = await timed.next(); next.done !== true; next = await timed.next()) {
            if (!served) events.onServed?.(target);
            served = true;
            started = true;
            const item = next.value;
            if (continues) sent += items.text(item);
            if (items.last(item)) {
              timed.finished = true;
              // Ended before the last item leaves: what the caller does with it is its own.
              events.onAttemptEnd?.(target, 'ok');
            }
            yield prefix === '' ? item : items.withPrefix(item, prefix);
          }
          breaker.onSuccess();
          return;
        } catch (error) {
          if (signal.aborted) {
            events.onAttemptEnd?.(target, 'cancelled');
            throw signal.reason;
          }
          const upstream = withEgressReason(toUpstreamError(error));
          events.onAttemptEnd?.(target, upstream.code);
          if (upstream instanceof UnsupportedParameter) {
            // This target cannot honour the request as asked; the next one may. Not its failure.
            breaker.onNoCall();
            lastError = prefix === '' ? upstream : partialError(upstream, target);
            break;
          }
          if (isEgressDenied(upstream)) {
            // The egress guard refuses this host every time: no call was made and none is
            // retried; the next target may be one the guard allows.
            breaker.onNoCall();
            lastError = prefix === '' ? upstream : partialError(upstream, target);
            break;
          }
          breaker.onFailure();
          this.#coolDown(route, target, upstream);
          if (started) {
            const partial = partialError(upstream, target);
            if (!continues || !route.fallbackOn.has(upstream.code)) throw partial;
            prefix += sent;
            events.onContinue?.(target, upstream);
            lastError = partial;
            break;
          }
          lastError = prefix === '' ? upstream : partialError(upstream, target);
          if (!upstream.retryable || attempt === route.retry.maxAttempts) break;
          const wait = this.#backoff(route, attempt, upstream);
          if (wait === undefined) break;
          await sleep(wait, undefined, { signal });
        } finally {
          timed.close();
          this.#outstanding.set(key, (this.#outstanding.get(key) ?? 1) - 1);
        }
      }
      if (lastError === undefined || lastError instanceof UnsupportedParameter) continue;
      if (!route.fallbackOn.has(lastError.code)) throw lastError;
    }
    throw lastError ?? new ApiError('UPSTREAM_UNAVAILABLE', `Route ${route.alias} has no targets.`);
  }

  /** The order of the route's targets for one request (routing/balance.ts). */
  #order(route: RouteConfig, affinity: string | undefined): TargetConfig[] {
    return targetOrder(route, {
      random: this.#options.random ?? Math.random,
      outstanding: (target) => this.#outstanding.get(`${route.alias}/${target.name}`) ?? 0,
      affinity,
    });
  }

  /** The ms left of a target's rate-limit cooldown, 0 when none. */
  #cooldownLeft(route: RouteConfig, target: TargetConfig): number {
    const until = this.#cooldowns.get(`${route.alias}/${target.name}`) ?? 0;
    return Math.max(0, until - (this.#options.now ?? Date.now)());
  }

  /** Why a target may not be called now (open circuit, rate-limit cooldown), or undefined. */
  #admit(route: RouteConfig, target: TargetConfig, breaker: CircuitBreaker): ApiError | undefined {
    const now = (this.#options.now ?? Date.now)();
    const until = this.#cooldowns.get(`${route.alias}/${target.name}`) ?? 0;
    if (until > now) {
      return new ProviderError(
        'UPSTREAM_RATE_LIMITED',
        `Target ${target.name} is waiting out its provider's rate limit.`,
        {
          details: { target: target.name },
          retryAfterMs: until - now,
        },
      );
    }
    if (!breaker.tryAcquire()) {
      return new ApiError('UPSTREAM_UNAVAILABLE', `The circuit for target ${target.name} is open.`);
    }
    return undefined;
  }

  /**
   * A rate limit that names its wait keeps the target out of rotation until then, for every
   * request of the route: calls the provider would refuse are not made (Groq's limits are per
   * minute and per day, and each refused call counts against them).
   */
  #coolDown(route: RouteConfig, target: TargetConfig, error: ApiError): void {
    const wait = error.code === 'UPSTREAM_RATE_LIMITED' ? retryAfterMs(error) : undefined;
    if (wait === undefined || wait <= 0) return;
    this.#cooldowns.set(`${route.alias}/${target.name}`, (this.#options.now ?? Date.now)() + wait);
  }

  /**
   * Full jitter: uniform in [0, min(max, base·2^(attempt-1))], but never below Retry-After; a
   * Retry-After longer than the route's `maxDelayMs` is not waited for here: undefined, and the
   * chain moves on to the next target.
   */
  #backoff(route: RouteConfig, attempt: number, error: ApiError): number | undefined {
    const random = this.#options.random ?? Math.random;
    const ceiling = Math.min(route.retry.maxDelayMs, route.retry.baseDelayMs * 2 ** (attempt - 1));
    const jitter = random() * ceiling;
    const asked = retryAfterMs(error);
    if (asked === undefined) return jitter;
    return asked > route.retry.maxDelayMs ? undefined : Math.max(asked, jitter);
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
}

/** A failure after the client got text: it says so, and which target failed. */
function partialError(error: ApiError, target: TargetConfig): ApiError {
  return new ApiError(error.code, error.message, {
    details: { ...error.details, partial: true, target: target.name },
    ...(error.retryAfterS === undefined ? {} : { retryAfterS: error.retryAfterS }),
    cause: error,
  });
}

/**
 * The usage of a continued answer: the continuing target's, plus an estimate of the output the
 * failed targets streamed (about four characters a token), which they never reported.
 */
function withPrefixUsage(done: Extract<Chunk, { type: 'done' }>, prefix: string): Chunk {
  return {
    ...done,
    usage: { ...done.usage, outputTokens: done.usage.outputTokens + Math.ceil(prefix.length / 4) },
  };
}
