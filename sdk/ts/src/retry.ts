import { EnisError } from './errors.ts';

export interface RetryPolicy {
  /** Retries after the first attempt. @default 2 */
  maxRetries: number;
  /** First backoff when the gateway names no wait; doubles per attempt, full jitter. @default 250 */
  baseDelayMs: number;
  /** @default 8000 */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 2, baseDelayMs: 250, maxDelayMs: 8000 };

/** Full jitter: uniform in [0, min(max, base·2^attempt)]. */
export const backoffMs = (policy: RetryPolicy, attempt: number): number =>
  Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Sends one request until it succeeds or may not be retried: a retryable gateway error waits
 * its `Retry-After` (or a backoff), a connection failure waits a backoff. Every attempt
 * carries the same `x-request-id`, so the gateway counts and charges one request.
 */
export async function send(
  attempt: () => Promise<Response>,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
): Promise<Response> {
  for (let tries = 0; ; tries++) {
    let failure: unknown;
    let waitMs: number;
    try {
      const response = await attempt();
      if (response.ok) return response;
      const error = await EnisError.from(response);
      if (!error.retryable) throw error;
      failure = error;
      waitMs =
        error.retryAfterS === undefined ? backoffMs(policy, tries) : error.retryAfterS * 1000;
    } catch (error) {
      if (error instanceof EnisError || signal?.aborted === true) throw error;
      failure = error;
      waitMs = backoffMs(policy, tries);
    }
    if (tries >= policy.maxRetries) throw failure;
    await sleep(waitMs, signal);
  }
}
