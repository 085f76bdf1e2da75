import type { RouteConfig, TargetConfig } from '../core/route.ts';
import type { Usage } from '../core/types.ts';
import type { ApiError } from '../errors/api-error.ts';
import type { ProviderRequest } from '../providers/provider.ts';

/** The surface a request came in through: a label for metrics, audit and traces. */
export type Surface =
  'inference' | 'inference-stream' | 'chat-completions' | 'embeddings' | 'batch';

/** Who asks, through which surface, under which deadline: what the transport knows. */
export interface RequestContext {
  /** The `x-request-id` (a batch item's own id): the idempotency key of later stages. */
  readonly requestId: string;
  readonly tenant: string;
  readonly surface: Surface;
  /** Aborted when the caller gives up (a client that went away, a worker shutting down). */
  readonly signal: AbortSignal;
  /** The request deadline from admission (`limits.requestTimeoutMs`). */
  readonly deadlineMs: number;
  /** Sets a response header (the rate-limit headers); absent where there is no response. */
  readonly setHeader?: (name: string, value: string) => void;
}

/** A chat request after `prepare`: the route that serves it and what its providers are sent. */
export interface Prepared {
  route: RouteConfig;
  request: Omit<ProviderRequest, 'model'>;
  /** Prompt-injection findings removed from client content (a count, never content). */
  findings: number;
}

/** How an admitted request ended, as `settle` and `record` see it. */
export type Outcome =
  | { kind: 'done'; usage: Usage }
  /** Refused (prepare, reserve) or failed (the provider, the deadline); `outputChars` of text had reached the caller. */
  | { kind: 'failed'; error: ApiError; outputChars: number }
  /** The caller went away before the end: it stopped reading, or aborted its signal. */
  | { kind: 'cancelled'; outputChars: number };

/**
 * The typed context one request carries through the pipeline's stages. Each stage reads what
 * the stages before it wrote; none of it is content, so every stage may log or trace it.
 */
export interface Exchange {
  readonly context: RequestContext;
  /** The caller's signal joined with the deadline: what every stage and provider call honours. */
  readonly signal: AbortSignal;
  /** `performance.now()` when the request entered the pipeline (before it waited for a slot). */
  readonly startedAt: number;
  /** The route alias and the route (chat and embeddings alike), once `prepare` resolved it. */
  alias?: string;
  route?: RouteConfig;
  prepared?: Prepared;
  /** An embeddings request's input texts, after the input PII policy. */
  texts?: readonly string[];
  /** Whether the answer is streamed to the caller (it then holds one of the tenant's streams). */
  streamed?: boolean;
  /** The alias the request named, when a stage (a budget's Degrade) served it from another. */
  degradedFrom?: string;
  /** The target that produced the first chunk, and when (`performance.now()`). */
  servedBy?: TargetConfig;
  firstChunkAt?: number;
}
