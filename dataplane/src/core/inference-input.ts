import type { ChatMessage, ResponseFormat, ToolChoice, ToolDefinition } from './types.ts';

/** One inference as every surface hands it to the pipeline, whatever its wire format. */
export interface InferenceInput {
  /** A model alias; the prompt's or the gateway's default when absent. */
  model?: string;
  prompt?: { id: string; version?: string; variables?: Record<string, unknown> };
  messages?: ChatMessage[];
  parameters?: {
    temperature?: number;
    top_p?: number;
    max_tokens?: number;
    stop?: string[];
    seed?: number;
    response_format?: ResponseFormatParam;
    /** Return the output tokens' log-probabilities (OpenAI's `logprobs`). */
    logprobs?: boolean;
    /** With `logprobs`, this many most likely alternatives per token (0 to 20). @default 0 */
    top_logprobs?: number;
  };
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  /** Whether the model may call several tools in one turn; absent: the provider's default. */
  parallelToolCalls?: boolean;
  /** The caller's end-user id (OpenAI's `user`), passed to the providers that monitor one. */
  user?: string;
}

/** OpenAI's `response_format` as a request carries it (formats/response-format.ts validates it). */
export type ResponseFormatParam =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: {
        name: string;
        description?: string;
        schema: Record<string, unknown>;
        strict?: boolean | null;
      };
    };

/** The response format a provider is held to. */
export function responseFormatOf(param: ResponseFormatParam): ResponseFormat {
  if (param.type !== 'json_schema') return { type: param.type };
  const { name, description, schema, strict } = param.json_schema;
  return {
    type: 'json_schema',
    name,
    schema,
    ...(description === undefined ? {} : { description }),
    ...(strict == null ? {} : { strict }),
  };
}
