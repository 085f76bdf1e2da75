import type { ErrorCode } from './generated/error-codes.ts';

/** The error body every gateway error has (docs/errors.md). */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  request_id?: string;
  details?: Record<string, unknown>;
}

/**
 * An error the gateway answered, HTTP or mid-stream: its code from the closed vocabulary, the
 * HTTP status, whether asking again may succeed and after how long (`Retry-After`).
 */
export class EnisError extends Error {
  override readonly name = 'EnisError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly requestId: string | undefined;
  readonly details: Record<string, unknown>;
  /** Seconds the gateway asked to wait before a retry, when it said. */
  readonly retryAfterS: number | undefined;

  constructor(body: ErrorBody, status: number, retryAfterS?: number) {
    super(body.message);
    this.code = body.code;
    this.status = status;
    this.retryable = body.retryable;
    this.requestId = body.request_id;
    this.details = body.details ?? {};
    this.retryAfterS = retryAfterS;
  }

  /** The typed error of a non-2xx response. */
  static async from(response: Response): Promise<EnisError> {
    const text = await response.text();
    let body: ErrorBody | undefined;
    try {
      body = (JSON.parse(text) as { error?: ErrorBody }).error;
    } catch {
      body = undefined;
    }
    // Only something in front of the gateway (a proxy) answers without the error body.
    body ??= {
      code: response.status >= 500 ? 'UPSTREAM_UNAVAILABLE' : 'BAD_REQUEST',
      message: `HTTP ${response.status} without an error body: ${text.slice(0, 200)}`,
      retryable: response.status >= 500,
    };
    return new EnisError(body, response.status, retryAfter(response.headers.get('retry-after')));
  }
}

/** `Retry-After` in seconds: delta-seconds or an HTTP date. */
function retryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}
