import { ApiError } from '../errors/api-error.ts';

/**
 * Anything a provider threw, in the closed vocabulary. Providers throw ApiError themselves for
 * what they understand; this catches the rest (network errors, aborts) without losing the cause.
 */
export function toUpstreamError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new ApiError('UPSTREAM_TIMEOUT', 'The provider call was aborted or timed out.', { cause: error });
  }
  return new ApiError('UPSTREAM_UNAVAILABLE', 'The provider could not be reached.', { cause: error });
}
