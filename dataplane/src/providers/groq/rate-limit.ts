import { retryAfterFromHeaders } from '../upstream-error.ts';

/**
 * A floor under the wait after consecutive rate limits of one target: 1 s, then doubling up
 * to `maxMs`, back to nothing after a success. The router keeps a target that is waiting out
 * its limit out of rotation (its cooldown), so a floor that grows means fewer wasted calls.
 */
export class RateLimitEscalation {
  #consecutive = 0;
  readonly #baseMs: number;
  readonly #maxMs: number;

  /** @param baseMs @default 1000  @param maxMs @default 60000 */
  constructor(baseMs = 1000, maxMs = 60_000) {
    this.#baseMs = baseMs;
    this.#maxMs = maxMs;
  }

  /** The floor for this rate limit, counting it. */
  next(): number {
    this.#consecutive++;
    return Math.min(this.#maxMs, this.#baseMs * 2 ** (this.#consecutive - 1));
  }

  reset(): void {
    this.#consecutive = 0;
  }
}

/**
 * What Groq's headers ask for: `retry-after` when present, otherwise the reset time of the
 * exhausted limit (`x-ratelimit-reset-requests` / `-tokens`, written like `2m59.56s`).
 */
export function groqWaitMs(headers: Headers | undefined): number | undefined {
  if (headers === undefined) return undefined;
  const retryAfter = retryAfterFromHeaders(headers);
  if (retryAfter !== undefined) return retryAfter;
  const waits: number[] = [];
  for (const limit of ['requests', 'tokens']) {
    const reset = parseGroqDuration(headers.get(`x-ratelimit-reset-${limit}`));
    if (reset !== undefined && headers.get(`x-ratelimit-remaining-${limit}`) === '0')
      waits.push(reset);
  }
  return waits.length === 0 ? undefined : Math.max(...waits);
}

/** `1h2m3.5s`, `59.56s`, `250ms` → milliseconds. */
export function parseGroqDuration(value: string | null): number | undefined {
  if (value === null) return undefined;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  let matched = '';
  for (const match of value.trim().matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    total += Number(match[1]) * (units[match[2] ?? ''] ?? 0);
    matched += match[0];
  }
  return matched === '' || matched !== value.trim() ? undefined : total;
}
