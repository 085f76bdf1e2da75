import type { ChatMessage, ToolChoice, ToolDefinition } from './types.ts';

/** One inference as every surface hands it to the pipeline, whatever its wire format. */
export interface InferenceInput {
  /** A model alias; the prompt's or the gateway's default when absent. */
  model?: string;
  prompt?: { id: string; version?: string; variables?: Record<string, unknown> };
  messages?: ChatMessage[];
  parameters?: { temperature?: number; top_p?: number; max_tokens?: number; stop?: string[] };
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
}
