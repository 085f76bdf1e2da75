/**
 * The closed error vocabulary. Every error a client can see has one of these codes; adding a
 * code without its HTTP status, retry and fallback semantics does not compile.
 *
 * - `retryable`: the same request may succeed later (clients and batch workers retry it).
 * - `fallback`: the router may try the next target of a fallback chain on this error.
 */
export const ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'MODEL_NOT_FOUND',
  'PROMPT_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'INVALID_RESUME_TOKEN',
  'CONTENT_BLOCKED',
  'AGENT_FORBIDDEN',
  'AGENT_LIMIT_EXCEEDED',
  'AGENT_EGRESS_REFUSED',
  'BUDGET_EXCEEDED',
  'RATE_LIMITED',
  'OVERLOADED',
  'NOT_READY',
  'BATCH_UNAVAILABLE',
  'BUDGET_UNAVAILABLE',
  'AUDIT_UNAVAILABLE',
  'UPSTREAM_RATE_LIMITED',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_AUTH',
  'UPSTREAM_BAD_REQUEST',
  'CONTEXT_LENGTH_EXCEEDED',
  'CONTENT_FILTERED',
  'DEADLINE_EXCEEDED',
  'SHUTTING_DOWN',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorSpec {
  readonly status: number;
  readonly retryable: boolean;
  readonly fallback: boolean;
  /** One line for docs/errors.md: when a client sees this code. */
  readonly description: string;
}

export const ERRORS: Readonly<Record<ErrorCode, ErrorSpec>> = {
  BAD_REQUEST: {
    status: 400,
    retryable: false,
    fallback: false,
    description: 'The request does not match its schema; `details.path` names the field.',
  },
  UNAUTHENTICATED: {
    status: 401,
    retryable: false,
    fallback: false,
    description:
      'The bearer token is missing, malformed, expired or not signed by a known key; or the client certificate a route needs is missing, untrusted or expired (`details.reason`).',
  },
  FORBIDDEN: {
    status: 403,
    retryable: false,
    fallback: false,
    description:
      "The token is valid but lacks the scope this route requires, or the client certificate's identity is not allowed on it (`details.reason` `client_identity_not_allowed`).",
  },
  NOT_FOUND: {
    status: 404,
    retryable: false,
    fallback: false,
    description:
      'No route matches the method and path, or the named resource (a batch) does not exist.',
  },
  MODEL_NOT_FOUND: {
    status: 404,
    retryable: false,
    fallback: false,
    description: 'The model alias is not served by any route in the current configuration.',
  },
  PROMPT_NOT_FOUND: {
    status: 404,
    retryable: false,
    fallback: false,
    description: 'No prompt manifest has this id (and version).',
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    retryable: false,
    fallback: false,
    description: 'The path exists but not for this method.',
  },
  CONFLICT: {
    status: 409,
    retryable: false,
    fallback: false,
    description: 'An id was reused with a different payload.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    retryable: false,
    fallback: false,
    description: 'The body exceeds the configured size limit.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retryable: false,
    fallback: false,
    description: 'The body is not `application/json`.',
  },
  INVALID_RESUME_TOKEN: {
    status: 401,
    retryable: false,
    fallback: false,
    description:
      'The resume token is malformed, tampered with, expired or signed by a retired key.',
  },
  CONTENT_BLOCKED: {
    status: 422,
    retryable: false,
    fallback: false,
    description: 'The safety policy blocked the input (for example PII under a block policy).',
  },
  AGENT_FORBIDDEN: {
    status: 403,
    retryable: false,
    fallback: false,
    description:
      "The agent's profile does not allow this (`details.reason`: `model_not_allowed`, `unknown_agent_type`, `agent_type_conflict`); docs/agents.md.",
  },
  AGENT_LIMIT_EXCEEDED: {
    status: 400,
    retryable: false,
    fallback: false,
    description:
      "The request is larger than the agent's profile allows (`details.limit`: `maxContextTokens` or `maxOutputTokens`); docs/agents.md.",
  },
  AGENT_EGRESS_REFUSED: {
    status: 403,
    retryable: false,
    fallback: false,
    description:
      "No target of the route is a provider or host the agent's profile may reach (`details.refused` names them); no provider was called; docs/agents.md.",
  },
  BUDGET_EXCEEDED: {
    status: 402,
    retryable: false,
    fallback: false,
    description: "The tenant's budget for the current period is spent.",
  },
  RATE_LIMITED: {
    status: 429,
    retryable: true,
    fallback: false,
    description: 'The tenant exceeded its request or concurrency limit; see `Retry-After`.',
  },
  OVERLOADED: {
    status: 503,
    retryable: true,
    fallback: false,
    description:
      'The gateway is at its concurrency limit and the queue timed out; see `Retry-After`.',
  },
  NOT_READY: {
    status: 503,
    retryable: true,
    fallback: false,
    description: 'The gateway has no valid configuration loaded yet.',
  },
  BATCH_UNAVAILABLE: {
    status: 503,
    retryable: true,
    fallback: false,
    description: 'Batch endpoints need Redis; set `REDIS_URL`.',
  },
  BUDGET_UNAVAILABLE: {
    status: 503,
    retryable: true,
    fallback: false,
    description:
      "The budget store (Redis) cannot be reached and the tenant's budget does not say failOpen.",
  },
  AUDIT_UNAVAILABLE: {
    status: 503,
    retryable: true,
    fallback: false,
    description:
      'The audit store (Redis) cannot be reached, so the request is refused before any provider is called: no answer goes unrecorded.',
  },
  UPSTREAM_RATE_LIMITED: {
    status: 429,
    retryable: true,
    fallback: true,
    description: 'Every target of the route was rate limited by its provider.',
  },
  UPSTREAM_TIMEOUT: {
    status: 504,
    retryable: true,
    fallback: true,
    description: 'The provider did not answer within the target timeout.',
  },
  UPSTREAM_UNAVAILABLE: {
    status: 502,
    retryable: true,
    fallback: true,
    description:
      'The provider failed, was unreachable, or its circuit breaker is open; `details.reason` `egress_denied` when the egress guard refused its host (docs/air-gapped.md).',
  },
  UPSTREAM_AUTH: {
    status: 502,
    retryable: false,
    fallback: true,
    description: 'The provider refused our credentials (an operator must fix the Secret).',
  },
  UPSTREAM_BAD_REQUEST: {
    status: 400,
    retryable: false,
    fallback: false,
    description: 'The provider refused the request as invalid.',
  },
  CONTEXT_LENGTH_EXCEEDED: {
    status: 400,
    retryable: false,
    fallback: true,
    description: "The input does not fit the model's context window.",
  },
  CONTENT_FILTERED: {
    status: 422,
    retryable: false,
    fallback: false,
    description: "The provider's content filter refused the request or stopped the output.",
  },
  DEADLINE_EXCEEDED: {
    status: 504,
    retryable: true,
    fallback: false,
    description: 'The request deadline passed before any target answered.',
  },
  SHUTTING_DOWN: {
    status: 503,
    retryable: true,
    fallback: false,
    description: 'This replica is draining; retry on another one (streams get a `resume` event).',
  },
  INTERNAL: {
    status: 500,
    retryable: true,
    fallback: false,
    description: 'A defect in the gateway; the request id finds it in the logs.',
  },
};
