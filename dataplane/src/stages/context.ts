import type { RouteConfig, TargetConfig } from '../core/route.ts';
import type { FinishReason, Usage } from '../core/types.ts';
import type { ApiError } from '../errors/api-error.ts';
import type { ProviderRequest } from '../providers/provider.ts';

/** The surface a request came in through: a label for metrics, audit and traces. */
export type Surface =
  | 'inference'
  | 'inference-stream'
  | 'chat-completions'
  | 'messages'
  | 'responses'
  | 'embeddings'
  | 'batch'
  | 'voice'
  | 'xr';

/** Who asks, through which surface, under which deadline: what the transport knows. */
export interface RequestContext {
  /** The `x-request-id` (a batch item's own id): the idempotency key of later stages. */
  readonly requestId: string;
  readonly tenant: string;
  /** Who asked within the tenant: the token's `sub` (a certificate's CN for mTLS callers). */
  readonly principal: string;
  readonly surface: Surface;
  /** Aborted when the caller gives up (a client that went away, a worker shutting down). */
  readonly signal: AbortSignal;
  /** The request's `Cache-Control` header (the answer cache's no-cache and no-store). */
  readonly cacheControl?: string;
  /**
   * Who the caller is as an agent (docs/agents.md): the agent type its verified token's claim
   * names, and its verified client certificate's identity; absent for a caller with neither.
   */
  readonly agent?: { readonly claim?: string; readonly certificate?: string };
  /** The client's session key (`x-session-id`), which a route's Sticky balance follows. */
  readonly session?: string;
  /** The request deadline from admission (`limits.requestTimeoutMs`). */
  readonly deadlineMs: number;
  /** Sets a response header (the rate-limit headers); absent where there is no response. */
  readonly setHeader?: (name: string, value: string) => void;
}

/** A chat request after `prepare`: the route that serves it and what its providers are sent. */
export interface Prepared {
  route: RouteConfig;
  request: Omit<ProviderRequest, 'model'>;
  /** What input safety found in client content, by kind: counts, never content. */
  findings: Findings;
  /** The prompt that was rendered, when the request named one. */
  prompt?: { id: string; version: string; checksum: string };
}

/**
 * What an agent profile did to a request: names and counts, never values. `dropped` lists
 * the request fields removed before the provider, `refused` the targets its egress kept out.
 */
export interface AgentFacts {
  type: string;
  dropped: readonly string[];
  refused: readonly string[];
}

/** Safety findings by kind (the sanitiser's kinds, `pii:<kind>` and `output:pii:<kind>`). */
export type Findings = Readonly<Record<string, number>>;

/** One attempt of the route's chain: the target, and how the attempt ended. */
export interface Attempt {
  target: string;
  provider: string;
  model: string;
  /** `served` (it produced the answer's first chunk), or the error code it ended with. */
  outcome: string;
}

/** What the budget guard charged at settle (nano-USD), for the stages after it. */
export interface Charge {
  cost: number;
  tokens: number;
  /** The pricing file's checksum; absent when the served model has no price. */
  pricing?: string;
}

/** How an admitted request ended, as `settle` and `record` see it. */
export type Outcome =
  /** `finishReason` is absent for embeddings. */
  | { kind: 'done'; usage: Usage; finishReason?: FinishReason }
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
  /**
   * What safety found (chat and embeddings input, a refusal's findings included, and what the
   * output filter redacted as `output:pii:<kind>`): counts by kind, never content.
   */
  findings?: Findings;
  /** The agent profile that shaped the request (integrations/nops, docs/agents.md). */
  agent?: AgentFacts;
  /** Whether the tenant is a sandbox tenant, served from its own snapshot (docs/sandbox.md). */
  sandbox?: boolean;
  /** An embeddings request's input texts, after the input PII policy. */
  texts?: readonly string[];
  /** Whether the answer is streamed to the caller (it then holds one of the tenant's streams). */
  streamed?: boolean;
  /** The alias the request named, when a stage (a budget's Degrade) served it from another. */
  degradedFrom?: string;
  /** The target that produced the first chunk, and when (`performance.now()`). */
  servedBy?: TargetConfig;
  firstChunkAt?: number;
  /** Every attempt of the route's chain, in order. */
  readonly attempts: Attempt[];
  /** What the budget guard charged (its settle sets it before its first await). */
  charge?: Charge;
  /** The answer cache's decision (HIT: the answer came from the cache, at no cost). */
  cache?: 'HIT' | 'MISS' | 'BYPASS';
  /** Told each text the caller gets, in order (the audit's keyed digest of the output). */
  observeOutput?: (text: string) => void;
}
