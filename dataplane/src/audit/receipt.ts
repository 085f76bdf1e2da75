import { nanoToUsd } from '../../../crds/budget-period.ts';
import type { ConfigSnapshot } from '../config/snapshot.ts';
import type { ErrorCode } from '../core/error-codes.ts';
import type { ApiError } from '../errors/api-error.ts';
import { piiFor, piiOutputFor } from '../security/pii-settings.ts';
import type { PiiPolicies } from '../security/pii.ts';
import type { Attempt, Exchange, Findings, Outcome, Surface } from '../stages/context.ts';

/**
 * One decision of the dataplane, as the audit chain keeps it (docs/audit.md). Metadata only:
 * no prompt, message, completion or secret, at most keyed digests of them (`content_sha`).
 */
export interface Receipt {
  [field: string]: unknown;
  v: 1;
  kind: 'request' | 'admin' | 'tool';
  /** When the outcome was sealed (RFC 3339, ms). */
  at: string;
  tenant: string;
  principal: string;
  request_id: string;
  surface?: Surface | undefined;
  outcome: 'served' | 'refused' | 'failed' | 'cancelled' | 'interrupted' | 'done';
  error?: { code: string; refused_by?: string } | undefined;
  /** The alias asked for, the one that served (a budget's Degrade), the route's attempts. */
  model?: string | undefined;
  degraded_from?: string | undefined;
  /** The alias that served, when a budget's Degrade served the request from another. */
  route?: string | undefined;
  attempts?: Attempt[] | undefined;
  served?: { target: string; provider: string; model: string } | undefined;
  /** The answer cache's decision, on a route with a cache (HIT: no provider was called). */
  cache?: 'HIT' | 'MISS' | 'BYPASS' | undefined;
  prompt?: { id: string; version: string; checksum: string } | undefined;
  /** The decision config's checksum (replay reads it back) and the pricing file's. */
  config?: string | undefined;
  pricing?: string | undefined;
  usage?: { input_tokens: number; output_tokens: number; cached_tokens: number } | undefined;
  /** Characters of output the caller got before a cancellation. */
  output_chars?: number | undefined;
  cost_usd?: string | undefined;
  findings?: Findings | undefined;
  /** The input PII policy of the tenant (one for every kind, or per kind) and the output one. */
  pii?: { input: PiiPolicies; output: PiiPolicies } | undefined;
  /** The tenant is a sandbox tenant: the mock provider answered (docs/sandbox.md). */
  sandbox?: true | undefined;
  /** The agent profile that shaped the request: field names dropped, targets kept out. */
  agent?: { type: string; dropped: readonly string[]; refused: readonly string[] } | undefined;
  content_sha?: { input?: string | undefined; output?: string | undefined } | undefined;
  streamed?: boolean | undefined;
  duration_ms?: number | undefined;
  /** An MCP tool call: the gateway, upstream server and tool, and counts only (no content). */
  mcp?:
    | { gateway: string; server: string; tool: string; arguments: number; content_items?: number }
    | undefined;
  /** An admin action: what was done to what. */
  action?: string | undefined;
  target?: string | undefined;
}

/** Which check refused a request, by the code it refused with (no attempt was made). */
const REFUSED_BY: Partial<Record<ErrorCode, string>> = {
  UNAUTHENTICATED: 'auth',
  FORBIDDEN: 'policy',
  BUDGET_EXCEEDED: 'budget',
  BUDGET_UNAVAILABLE: 'budget',
  AUDIT_UNAVAILABLE: 'audit',
  RATE_LIMITED: 'rate',
  CONFLICT: 'idempotency',
  CONTENT_BLOCKED: 'safety',
  AGENT_FORBIDDEN: 'agent',
  AGENT_LIMIT_EXCEEDED: 'agent',
  AGENT_EGRESS_REFUSED: 'agent',
  OVERLOADED: 'overload',
  NOT_READY: 'overload',
  SHUTTING_DOWN: 'overload',
  BAD_REQUEST: 'validation',
  MODEL_NOT_FOUND: 'validation',
  PROMPT_NOT_FOUND: 'validation',
  PAYLOAD_TOO_LARGE: 'validation',
  UNSUPPORTED_MEDIA_TYPE: 'validation',
  NOT_FOUND: 'validation',
  METHOD_NOT_ALLOWED: 'validation',
  INVALID_RESUME_TOKEN: 'validation',
};

/** The error part of a receipt: a refusal names the check; anything after an attempt failed. */
export function errorOf(
  error: ApiError,
  attempted: boolean,
): { code: string; refused_by?: string } {
  const by = attempted ? undefined : REFUSED_BY[error.code];
  if (by === undefined) return { code: error.code };
  const scope = error.code === 'FORBIDDEN' && error.details?.['scope'] !== undefined;
  return { code: error.code, refused_by: scope ? 'scope' : by };
}

export interface SealFacts {
  at: number;
  snapshot: ConfigSnapshot | undefined;
  contentSha?: Receipt['content_sha'];
}

/** The receipt of a request that went through the pipeline, however it ended. */
export function requestReceipt(exchange: Exchange, outcome: Outcome, facts: SealFacts): Receipt {
  const { context, prepared, servedBy, charge } = exchange;
  const attempted = exchange.attempts.length > 0;
  const receipt: Receipt = {
    v: 1,
    kind: 'request',
    at: new Date(facts.at).toISOString(),
    tenant: context.tenant,
    principal: context.principal,
    request_id: context.requestId,
    surface: context.surface,
    outcome:
      outcome.kind === 'done'
        ? 'served'
        : outcome.kind === 'cancelled'
          ? 'cancelled'
          : attempted
            ? 'failed'
            : errorOf(outcome.error, false).refused_by === undefined
              ? 'failed'
              : 'refused',
    model: exchange.degradedFrom ?? exchange.alias,
    degraded_from: exchange.degradedFrom,
    route: exchange.degradedFrom === undefined ? undefined : exchange.alias,
    attempts: exchange.attempts,
    served:
      servedBy === undefined
        ? undefined
        : { target: servedBy.name, provider: servedBy.provider, model: servedBy.model },
    cache: exchange.cache,
    prompt: prepared?.prompt,
    config: facts.snapshot?.decision.checksum,
    pricing: charge?.pricing,
    cost_usd: charge === undefined ? undefined : nanoToUsd(charge.cost),
    findings: exchange.findings,
    pii:
      facts.snapshot === undefined
        ? undefined
        : {
            input: piiFor(facts.snapshot.gateway.safety, context.tenant).policies,
            output: piiOutputFor(facts.snapshot.gateway.safety, context.tenant).policies,
          },
    sandbox: exchange.sandbox === true ? true : undefined,
    agent: exchange.agent,
    content_sha: facts.contentSha,
    streamed: exchange.streamed ?? false,
    duration_ms: Math.round(performance.now() - exchange.startedAt),
  };
  if (outcome.kind === 'done') {
    const { usage } = outcome;
    receipt.usage = {
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
      cached_tokens: usage.cachedTokens,
    };
  } else {
    receipt.output_chars = outcome.outputChars;
    if (outcome.kind === 'failed') receipt.error = errorOf(outcome.error, attempted);
  }
  return receipt;
}
