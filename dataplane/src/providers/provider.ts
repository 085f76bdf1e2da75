import type {
  ChatMessage,
  Chunk,
  FullAnswer,
  ResponseFormat,
  ToolChoice,
  ToolDefinition,
} from '../core/types.ts';

/** What the router hands a provider: a provider model id and normalised messages. */
export interface ProviderRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
  /**
   * A sampling seed, so that a sampled answer repeats. A provider that cannot honour it
   * refuses it (UPSTREAM_BAD_REQUEST) rather than dropping it.
   */
  seed?: number;
  /**
   * The shape the answer must have (OpenAI's `response_format`). A provider that cannot
   * enforce it refuses it (UPSTREAM_BAD_REQUEST), never answers free text in its place.
   */
  responseFormat?: ResponseFormat;
  /**
   * Return each output token's log-probability, with this many most likely alternatives
   * (0 to 20): on the text chunks and, all of them, on `done`. A provider that cannot refuses
   * it (UPSTREAM_BAD_REQUEST naming `logprobs`), never answers without them.
   */
  logprobs?: { topLogprobs: number };
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  /** Whether the model may call several tools in one turn (the providers' default: yes). */
  parallelToolCalls?: boolean;
  /**
   * The caller's end-user id, for the provider's abuse monitoring: OpenAI's `user`,
   * Anthropic's `metadata.user_id`; local and mock targets monitor nothing.
   */
  user?: string;
  /**
   * The start of the answer, already sent to the client by a target that failed mid-stream
   * (a route's `midStreamFailure: Continue`): the provider continues it and streams only what
   * follows. Providers with assistant prefill (Anthropic, local) continue it natively; the
   * OpenAI-format ones send it as an assistant turn and ask for the rest.
   */
  prefix?: string;
}

/** `POST /v1/embeddings` as a provider sees it. */
export interface EmbeddingRequest {
  model: string;
  input: string[];
  /** Ask the provider for vectors of this size (models that support it). */
  dimensions?: number;
}

export interface EmbeddingResult {
  /** One vector per input, in input order. */
  vectors: number[][];
  inputTokens: number;
}

/**
 * A provider streams normalised chunks and ends with exactly one `done` chunk. Failures are
 * thrown as ApiError in the closed vocabulary (UPSTREAM_*), so the router can decide on retry
 * and fallback without knowing the provider. The signal aborts the upstream call.
 */
export interface Provider {
  readonly name: string;
  stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<Chunk>;
  /**
   * The whole answer in one non-streamed call, for providers whose API has one; the router
   * uses it when the caller wants the answer whole (the synchronous surfaces).
   */
  complete?(request: ProviderRequest, signal: AbortSignal): Promise<FullAnswer>;
  /** Embeddings, for the providers that have them. */
  embed?(request: EmbeddingRequest, signal: AbortSignal): Promise<EmbeddingResult>;
}
