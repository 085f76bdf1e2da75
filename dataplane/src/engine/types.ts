/** The provider-neutral shapes every surface and provider speak. */

export type Role = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
  role: Role;
  content: string;
  /** Tool name for `tool` messages, or a participant name. */
  name?: string;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'error';

/** The one chunk type every provider's stream is normalised into. */
export type Chunk =
  | { type: 'text'; text: string }
  | { type: 'done'; finishReason: FinishReason; usage: Usage };
