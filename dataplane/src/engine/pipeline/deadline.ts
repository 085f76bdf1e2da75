import { ApiError } from '../../errors/api-error.ts';

/** A request's signal: the caller's, and the request deadline. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Stops the timer and lets go of the caller's signal; call once the request has ended. */
  clear(): void;
}

/**
 * The caller's signal joined with a deadline of `ms`. The timer lives exactly as long as the
 * request: `AbortSignal.timeout` would hold every request's signal until its deadline (two
 * minutes by default), long after the request ended, which under load is most of the heap.
 */
export function withDeadline(caller: AbortSignal, ms: number): Deadline {
  const controller = new AbortController();
  const follow = () => {
    controller.abort(caller.reason);
  };
  if (caller.aborted) follow();
  else caller.addEventListener('abort', follow, { once: true });
  const timer = setTimeout(() => {
    controller.abort(new ApiError('DEADLINE_EXCEEDED', 'The request deadline passed.'));
  }, ms);
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      caller.removeEventListener('abort', follow);
    },
  };
}
