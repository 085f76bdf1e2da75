import { ApiError } from '../errors/api-error.ts';
import type { ErrorCode } from '../core/error-codes.ts';

/**
 * An error a provider answered, in the closed vocabulary, with what the router needs beyond the
 * code: the provider's own wait (`retryAfterMs`, to the millisecond, where `retryAfterS` is the
 * whole seconds a client's `Retry-After` gets).
 */
export class ProviderError extends ApiError {
  readonly retryAfterMs: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(code, message, {
      ...(options.details === undefined ? {} : { details: options.details }),
      ...(options.retryAfterMs === undefined
        ? {}
        : { retryAfterS: Math.max(1, Math.ceil(options.retryAfterMs / 1000)) }),
      cause: options.cause,
    });
    this.name = 'ProviderError';
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** How long the provider asked us to wait, in milliseconds; undefined when it did not say. */
export function retryAfterMs(error: ApiError): number | undefined {
  if (error instanceof ProviderError && error.retryAfterMs !== undefined) return error.retryAfterMs;
  return error.retryAfterS === undefined ? undefined : error.retryAfterS * 1000;
}

/**
 * Anything a provider threw, in the closed vocabulary. Providers throw ApiError themselves for
 * what they understand; this catches the rest (network errors, aborts) without losing the cause.
 */
export function toUpstreamError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new ApiError('UPSTREAM_TIMEOUT', 'The provider call was aborted or timed out.', {
      cause: error,
    });
  }
  return new ApiError('UPSTREAM_UNAVAILABLE', 'The provider could not be reached.', {
    cause: error,
  });
}

/** What a provider's error answer says, whatever its SDK or wire format. */
export interface UpstreamFailure {
  provider: string;
  /** HTTP status; undefined for an error event inside a stream. */
  status?: number | undefined;
  /** The provider's error type (`rate_limit_error`, `overloaded_error`, `invalid_request_error`). */
  type?: string | null | undefined;
  /** The provider's error code (`context_length_exceeded`, `insufficient_quota`). */
  code?: string | null | undefined;
  /** The provider's message: shown to the client only for errors of the client's request. */
  message?: string | undefined;
  headers?: Headers | undefined;
  cause?: unknown;
}

/**
 * The one mapping of provider error answers into the closed vocabulary (STYLE §9). Status
 * decides first, then the provider's type and code refine it: a 400 that says the context is
 * too long, a 429 that is an exhausted quota rather than a rate limit, a 529 or an
 * `overloaded_error` event, a content-policy refusal.
 */
export function fromUpstreamFailure(failure: UpstreamFailure): ProviderError {
  const { provider, status } = failure;
  const hint = `${failure.type ?? ''} ${failure.code ?? ''} ${failure.message ?? ''}`.toLowerCase();
  const code = classify(status, hint);
  const wait = retryAfterFromHeaders(failure.headers);
  const details: Record<string, unknown> = { provider };
  if (status !== undefined) details['status'] = status;
  if (failure.type != null) details['type'] = failure.type;
  if (failure.code != null) details['upstream_code'] = failure.code;
  // The provider's own words help a client fix its request; for the rest they may name our
  // account or organisation, so they go to the logs (the cause) only.
  const clientFault =
    code === 'UPSTREAM_BAD_REQUEST' ||
    code === 'CONTEXT_LENGTH_EXCEEDED' ||
    code === 'CONTENT_FILTERED';
  const said = clientFault && failure.message !== undefined ? `: ${failure.message}` : '.';
  const what = status === undefined ? 'an error event' : `HTTP ${status}`;
  return new ProviderError(code, `Provider ${provider} answered ${what}${said}`, {
    details,
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
    cause: failure.cause,
  });
}

function classify(status: number | undefined, hint: string): ErrorCode {
  if (
    /context_length|context length|too many tokens|prompt is too long|maximum context/.test(hint)
  ) {
    return 'CONTEXT_LENGTH_EXCEEDED';
  }
  if (/content_policy|content_filter|content policy|safety system/.test(hint)) {
    return 'CONTENT_FILTERED';
  }
  if (/insufficient_quota|billing/.test(hint)) return 'UPSTREAM_AUTH';
  if (/overloaded/.test(hint)) return 'UPSTREAM_UNAVAILABLE';
  if (/rate_limit|rate limit/.test(hint) && (status === undefined || status === 429)) {
    return 'UPSTREAM_RATE_LIMITED';
  }
  if (status === undefined) {
    if (/authentication|permission/.test(hint)) return 'UPSTREAM_AUTH';
    if (/invalid_request|not_found/.test(hint)) return 'UPSTREAM_BAD_REQUEST';
    if (/timeout/.test(hint)) return 'UPSTREAM_TIMEOUT';
    return 'UPSTREAM_UNAVAILABLE';
  }
  switch (status) {
    case 400:
    case 422:
      return 'UPSTREAM_BAD_REQUEST';
    case 401:
    case 402:
    case 403:
      return 'UPSTREAM_AUTH';
    case 408:
    case 504:
      return 'UPSTREAM_TIMEOUT';
    case 413:
      return 'CONTEXT_LENGTH_EXCEEDED';
    case 429:
      return 'UPSTREAM_RATE_LIMITED';
    default:
      // 404 (the configured model id does not exist there), 409, 5xx, 529: this target
      // cannot serve now, the next one may.
      return 'UPSTREAM_UNAVAILABLE';
  }
}

/**
 * The wait a provider asked for: `retry-after-ms` (OpenAI), `retry-after` in seconds or as an
 * HTTP date, in milliseconds.
 */
export function retryAfterFromHeaders(
  headers: Headers | undefined,
  now = Date.now(),
): number | undefined {
  if (headers === undefined) return undefined;
  const ms = Number(headers.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
