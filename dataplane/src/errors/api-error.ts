import { ERRORS, type ErrorCode } from '../core/error-codes.ts';
import { openAIErrorType, openAIParam } from './openai-type.ts';

/** The body every error response and every SSE `error` event carries. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    /** OpenAI's error type for the status (openai-type.ts). */
    type: string;
    /** OpenAI's `param`: the request field at fault, or null. */
    param: string | null;
    retryable: boolean;
    request_id?: string;
    /** The request's trace id, when tracing is on (docs/observability.md). */
    trace_id?: string;
    details?: Record<string, unknown>;
  };
}

/** An error in the closed vocabulary; anything else thrown is reported as INTERNAL. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  /** Seconds a client should wait before retrying; sent as `Retry-After`. */
  readonly retryAfterS: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; retryAfterS?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.details = options.details;
    this.retryAfterS = options.retryAfterS;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  get retryable(): boolean {
    return ERRORS[this.code].retryable;
  }

  toBody(requestId?: string, traceId?: string): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        type: openAIErrorType(this.status),
        param: openAIParam(this.details),
        retryable: this.retryable,
        ...(requestId === undefined ? {} : { request_id: requestId }),
        ...(traceId === undefined ? {} : { trace_id: traceId }),
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}
