import { ApiError } from '../../errors/api-error.ts';
import type { Chunk, FinishReason, ToolCall, Usage } from '../../core/types.ts';

/** The part of an OpenAI-format stream chunk we read; OpenAI's and Groq's SDK types fit it. */
export interface WireChunk {
  choices: readonly {
    delta?: {
      content?: string | null;
      refusal?: string | null;
      tool_calls?: readonly {
        index: number;
        id?: string | null;
        function?: { name?: string | null; arguments?: string | null } | null;
      }[];
    } | null;
    finish_reason?: string | null;
  }[];
  usage?: WireUsage | null;
  /** Groq's older streams carry usage here, on the last chunk. */
  x_groq?: { usage?: WireUsage | null } | null;
}

export interface WireUsage {
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
}

/**
 * Decodes an OpenAI-format chunk stream into our chunks, owning the per-stream state: tool call
 * fragments joined by index, the finish reason, and usage (which comes after the finish reason,
 * on a chunk with no choices). A stream that ends without a finish reason was cut: that is an
 * error, never a short answer.
 */
export async function* decodeChatStream(
  chunks: AsyncIterable<WireChunk>,
  provider: string,
): AsyncIterable<Chunk> {
  let finish: FinishReason | undefined;
  let usage: Usage | undefined;
  const calls = new Map<number, ToolCall>();
  for await (const chunk of chunks) {
    const wireUsage = chunk.usage ?? chunk.x_groq?.usage;
    if (wireUsage != null) usage = normaliseUsage(wireUsage);
    const choice = chunk.choices[0];
    if (choice === undefined) continue;
    const delta = choice.delta;
    if (delta?.content != null && delta.content !== '') yield { type: 'text', text: delta.content };
    if (delta?.refusal != null && delta.refusal !== '') {
      finish = 'content_filter';
      yield { type: 'text', text: delta.refusal };
    }
    for (const fragment of delta?.tool_calls ?? []) {
      const call = calls.get(fragment.index) ?? { id: '', name: '', arguments: '' };
      if (fragment.id != null) call.id = fragment.id;
      if (fragment.function?.name != null) call.name += fragment.function.name;
      if (fragment.function?.arguments != null) call.arguments += fragment.function.arguments;
      calls.set(fragment.index, call);
    }
    if (choice.finish_reason != null) finish = finish ?? toFinishReason(choice.finish_reason);
  }
  if (finish === undefined) {
    throw new ApiError(
      'UPSTREAM_UNAVAILABLE',
      `Provider ${provider} ended the stream before it finished.`,
      {
        details: { provider },
      },
    );
  }
  const toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
  yield {
    type: 'done',
    finishReason: finish,
    usage: usage ?? { inputTokens: 0, outputTokens: 0, cachedTokens: 0 },
    ...(toolCalls.length === 0 ? {} : { toolCalls }),
  };
}

export function normaliseUsage(usage: WireUsage): Usage {
  return {
    inputTokens: usage.prompt_tokens ?? 0,
    outputTokens: usage.completion_tokens ?? 0,
    cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
  };
}

export function toFinishReason(reason: string): FinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'stop';
  }
}
