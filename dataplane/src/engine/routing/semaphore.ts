import { ApiError } from '../../errors/api-error.ts';

/**
 * Bounds concurrent work. A caller beyond `limit` waits in a FIFO queue up to `queueTimeoutMs`,
 * then gets OVERLOADED with `Retry-After`; a full queue refuses at once.
 */
export class Semaphore {
  #active = 0;
  readonly #queue: (() => void)[] = [];
  readonly #limit: number;
  readonly #maxQueue: number;
  readonly #queueTimeoutMs: number;

  constructor(options: { limit: number; maxQueue?: number; queueTimeoutMs?: number }) {
    this.#limit = options.limit;
    this.#maxQueue = options.maxQueue ?? options.limit * 4;
    this.#queueTimeoutMs = options.queueTimeoutMs ?? 1_000;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Resolves with a release function, to be called exactly once. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.#active < this.#limit) {
      this.#active++;
      return this.#releaser();
    }
    if (this.#queue.length >= this.#maxQueue) throw overloaded();
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', giveUp);
        resolve();
      };
      const leave = (error: Error) => {
        const index = this.#queue.indexOf(grant);
        if (index >= 0) this.#queue.splice(index, 1);
        reject(error);
      };
      const giveUp = () => {
        leave(signal?.reason instanceof Error ? signal.reason : new Error('The caller gave up.'));
      };
      const timer = setTimeout(() => {
        leave(overloaded());
      }, this.#queueTimeoutMs);
      signal?.addEventListener('abort', giveUp, { once: true });
      this.#queue.push(grant);
    });
    return this.#releaser();
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      if (next === undefined) this.#active--;
      else next();
    };
  }
}

function overloaded(): ApiError {
  return new ApiError('OVERLOADED', 'The gateway is at its concurrency limit; retry shortly.', {
    retryAfterS: 1,
  });
}
