import type { ChatMessage, Chunk } from '../engine/types.ts';

/** What the router hands a provider: a provider model id and normalised messages. */
export interface ProviderRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
}

/**
 * A provider streams normalised chunks and ends with exactly one `done` chunk. Failures are
 * thrown as ApiError in the closed vocabulary (UPSTREAM_*), so the router can decide on retry
 * and fallback without knowing the provider. The signal aborts the upstream call.
 */
export interface Provider {
  readonly name: string;
  stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<Chunk>;
}
