/** The provider-neutral shapes every surface and provider speak. */

export type Role = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
  role: Role;
  /** The text of the message (what safety checks and redacts). */
  content: string;
  /** Tool name for `tool` messages, or a participant name. */
  name?: string;
  /**
   * Images of a user message, sent after its text. Providers that take no images refuse a
   * message that carries some (UPSTREAM_BAD_REQUEST), never drop them silently.
   */
  images?: ImageInput[];
  /** The tool calls an assistant message made. */
  toolCalls?: ToolCall[];
  /** For `tool` messages: the id of the call this message answers. */
  toolCallId?: string;
}

/** An image input: an `https:` URL or a `data:image/<type>;base64,` URL. */
export interface ImageInput {
  url: string;
  /** OpenAI's resolution hint; other providers ignore it. @default 'auto' */
  detail?: 'auto' | 'low' | 'high';
}

/** One call of a tool (a function) the model asked for. */
export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as JSON text, as the model wrote them (it may be invalid JSON). */
  arguments: string;
}

/** A tool the model may call: a function with a JSON Schema of its arguments. */
export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

/** Whether and which tool the model must call. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** An answer's required format: free text, any JSON object, or JSON valid against a schema. */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      name?: string;
      /** A hint for the model about the answer; not part of what is enforced. */
      description?: string;
      schema: Record<string, unknown>;
      strict?: boolean;
    };

export interface Usage {
  /** Every input token, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  /** The input tokens served from the provider's prompt cache (a subset of inputTokens). */
  cachedTokens: number;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'error';

/** A token and its log-probability (natural log), as the model gave it. */
export interface TokenProbability {
  token: string;
  logprob: number;
  /** The token's UTF-8 bytes (a token may hold part of a character); null when unknown. */
  bytes: number[] | null;
}

/**
 * One output token with its log-probability and the most likely tokens at its place, most
 * likely first (as many as the request's `logprobs.topLogprobs`): OpenAI's `logprobs.content[]`.
 */
export interface TokenLogprob extends TokenProbability {
  topLogprobs: TokenProbability[];
}

/**
 * The one chunk type every provider's stream is normalised into. Tool calls ride on `done`,
 * whole: providers stream their arguments in fragments, which the provider's decoder joins.
 * Log-probabilities, when the request asks for them, ride on each text chunk (its tokens) and,
 * all of them in order, on `done` (for the surfaces that write the answer whole).
 */
export type Chunk =
  | { type: 'text'; text: string; logprobs?: TokenLogprob[] }
  | {
      type: 'done';
      finishReason: FinishReason;
      usage: Usage;
      toolCalls?: ToolCall[];
      /** Every output token's log-probability, in order, when the request asked for them. */
      logprobs?: TokenLogprob[];
      /** The alias the request named, when a budget's Degrade served it from another. */
      degradedFrom?: string;
    };

/** The last chunk of every answer. */
export type DoneChunk = Extract<Chunk, { type: 'done' }>;

/** A whole answer, from a provider's non-streamed call: its text and its last chunk. */
export interface FullAnswer {
  text: string;
  done: DoneChunk;
}
