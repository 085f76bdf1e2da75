import type { CircuitBreakerOptions } from '../../core/route.ts';
export type CircuitState = 'closed' | 'open' | 'half_open';

/**
 * One target's circuit breaker: closed until `failureThreshold` consecutive failures, then open
 * for `openMs`, then half-open where one trial decides: success closes, failure re-opens.
 */
export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #trialInFlight = false;
  readonly #options: CircuitBreakerOptions;
  readonly #now: () => number;

  constructor(options: CircuitBreakerOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
  }

  get state(): CircuitState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.#options.openMs) {
      this.#state = 'half_open';
      this.#trialInFlight = false;
    }
    return this.#state;
  }

  /** Whether a call may go through now; in half-open, only the one trial may. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.#trialInFlight) return false;
    this.#trialInFlight = true;
    return true;
  }

  onSuccess(): void {
    this.#state = 'closed';
    this.#failures = 0;
    this.#trialInFlight = false;
  }

  /** The call was not made (refused before it, by the caller's own request): nothing learnt. */
  onNoCall(): void {
    this.#trialInFlight = false;
  }

  onFailure(): void {
    this.#failures++;
    this.#trialInFlight = false;
    if (this.#state === 'half_open' || this.#failures >= this.#options.failureThreshold) {
      this.#state = 'open';
      this.#openedAt = this.#now();
    }
  }
}
