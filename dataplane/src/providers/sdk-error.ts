import type { ApiError } from '../errors/api-error.ts';
import { ProviderError, fromUpstreamFailure, toUpstreamError } from './upstream-error.ts';

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * The error classes every official SDK we use (openai, @anthropic-ai/sdk, groq-sdk) defines:
 * they are generated from one template, so one mapping serves them all.
 */
export interface SdkErrorClasses {
  APIError: ErrorClass;
  APIConnectionError: ErrorClass;
  APIConnectionTimeoutError: ErrorClass;
  APIUserAbortError: ErrorClass;
}

interface SdkApiError {
  status?: number | undefined;
  headers?: Headers | undefined;
  /** OpenAI and Groq: the body's `error` object; Anthropic: the whole body `{type, error}`. */
  error?: unknown;
  message: string;
}

/** An SDK's error in the closed vocabulary. */
export function fromSdkError(error: unknown, provider: string, classes: SdkErrorClasses): ApiError {
  if (error instanceof classes.APIConnectionTimeoutError) {
    return new ProviderError('UPSTREAM_TIMEOUT', `Provider ${provider} did not answer in time.`, {
      details: { provider },
      cause: error,
    });
  }
  if (error instanceof classes.APIUserAbortError) return toUpstreamError(error);
  if (error instanceof classes.APIConnectionError) {
    return new ProviderError('UPSTREAM_UNAVAILABLE', `Provider ${provider} could not be reached.`, {
      details: { provider },
      cause: error,
    });
  }
  if (error instanceof classes.APIError) {
    const sdkError = error as unknown as SdkApiError;
    const body = asRecord(sdkError.error);
    const inner = asRecord(body?.['error']) ?? body;
    return fromUpstreamFailure({
      provider,
      status: sdkError.status,
      type: stringOf(inner?.['type']),
      code: stringOf(inner?.['code']),
      message: stringOf(inner?.['message']) ?? sdkError.message,
      headers: sdkError.headers,
      cause: error,
    });
  }
  return toUpstreamError(error);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)
    : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
