import { ApiError, isApiError } from './api-error.ts';

/**
 * Turns anything thrown on the way to a provider and back into the closed vocabulary: an
 * ApiError as it is, a passed deadline as DEADLINE_EXCEEDED, anything else as INTERNAL (with
 * the original as its cause, for the log). Transport errors (fastify's) are mapped in api/.
 */
export function toApiError(error: unknown): ApiError {
  if (isApiError(error)) return error;
  if (error instanceof DOMException && error.name === 'TimeoutError') {
    return new ApiError('DEADLINE_EXCEEDED', 'The request deadline passed.');
  }
  return new ApiError('INTERNAL', 'Internal error.', { cause: error });
}
