/**
 * OpenAI's error `type` for an HTTP status, which every error body carries beside our `code`
 * (docs/errors.md), so that code written against OpenAI's errors reads ours: the SDKs pick
 * their exception class (`BadRequestError`, `RateLimitError`, ...) from the status, and
 * `error.type` then says what OpenAI's would.
 */
export function openAIErrorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 402:
      return 'insufficient_quota';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 409:
      return 'conflict_error';
    case 429:
      return 'rate_limit_error';
    default:
      return status >= 500 ? 'server_error' : 'invalid_request_error';
  }
}

/**
 * OpenAI's `param`: the request field at fault, from the error's details (`parameter`, or the
 * schema `path` without its `body.` root), or null.
 */
export function openAIParam(details: Record<string, unknown> | undefined): string | null {
  const named = details?.['parameter'] ?? details?.['path'];
  if (typeof named !== 'string') return null;
  const param = named.replace(/^body\.?/, '');
  return param === '' ? null : param;
}
