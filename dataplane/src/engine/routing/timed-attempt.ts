import type { TargetConfig } from '../../core/route.ts';
import { ApiError } from '../../errors/api-error.ts';

/**
 * One attempt against one target, aborted when the caller aborts, when it is late, or when it
 * is abandoned. Late means `timeoutMs` without an item while one is awaited (a slow consumer
 * holds the stream, not the target): one timer per attempt, refreshed before each item, that
 * rejects the item being awaited, so a provider that ignores its signal still cannot hang the
 * chain.
 */
export class TimedAttempt<T> {
  /** The attempt's items; set once the provider call is started. */
  iterator: AsyncIterator<T> | undefined;
  /** Set after the last item: stopping then abandons nothing. */
  finished = false;
  readonly #target: TargetConfig;
  readonly #caller: AbortSignal;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  /** Rejects the item being awaited (the timer's way out of a provider that hangs). */
  #rejectWaiting: ((error: ApiError) => void) | undefined;
  #items = 0;

  constructor(target: TargetConfig, caller: AbortSignal) {
    this.#target = target;
    this.#caller = caller;
    // A caller that gave up before the attempt began (a request cancelled while it was being
    // prepared) aborts it at once: its 'abort' event has already fired.
    if (caller.aborted) this.#abort();
    else caller.addEventListener('abort', this.#abort, { once: true });
    this.#timer = setTimeout(this.#expire, target.timeoutMs);
  }

  /** What the provider call must honour. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The next item, or the target's timeout. */
  next(): Promise<IteratorResult<T>> {
    const iterator = this.iterator;
    if (iterator === undefined) throw new Error('TimedAttempt.next before the call started');
    this.#timer.refresh();
    return new Promise((resolve, reject) => {
      this.#rejectWaiting = reject;
      iterator.next().then(
        (next) => {
          this.#rejectWaiting = undefined;
          if (next.done === true) this.finished = true;
          else this.#items++;
          resolve(next);
        },
        // A failed item ends the attempt (close() stops the timer): nothing is left to reject.
        reject,
      );
    });
  }

  /** Ends the attempt: the timer stops, and an unfinished provider call is aborted. */
  close(): void {
    clearTimeout(this.#timer);
    this.#caller.removeEventListener('abort', this.#abort);
    if (!this.finished && !this.#controller.signal.aborted) {
      this.#controller.abort(new ApiError('UPSTREAM_UNAVAILABLE', 'The attempt was abandoned.'));
    }
    void this.iterator?.return?.().catch(() => undefined);
  }

  readonly #abort = (): void => {
    this.#controller.abort(this.#caller.reason);
  };

  readonly #expire = (): void => {
    const reject = this.#rejectWaiting;
    if (reject === undefined) return;
    const { name, timeoutMs } = this.#target;
    const error = new ApiError(
      'UPSTREAM_TIMEOUT',
      this.#items === 0
        ? `Target ${name} did not answer in ${timeoutMs} ms.`
        : `Target ${name} sent nothing for ${timeoutMs} ms.`,
    );
    this.#controller.abort(error);
    reject(error);
  };
}
