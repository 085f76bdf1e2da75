import { ApiError } from '../../errors/api-error.ts';
import { UnsupportedParameter } from '../unsupported.ts';
import type { Chunk, FinishReason, TokenLogprob, ToolCall, Usage } from '../../core/types.ts';
import { decodeLogprobs, type WireLogprobs } from './logprobs.ts';

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
    /** With `logprobs: true`: the tokens of this chunk's delta. */
    logprobs?: WireLogprobs | null;
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
 * on a chunk with no choices), and the tokens' log-probabilities when asked: each text chunk
 * carries its delta's (those of a delta without text wait for the next text), `done` all of
 * them; a service asked for them that sends text without them does not return them (a server
 * that ignores the parameter): refused by name, not answered without them. A stream that ends without a finish reason was cut: that is an error, never a short
 * answer.
 */
export async function* decodeChatStream(
  chunks: AsyncIterable<WireChunk>,
  provider: string,
  asked: { logprobs?: boolean } = {},
): AsyncIterable<Chunk> {
  let finish: FinishReason | undefined;
  let usage: Usage | undefined;
  const calls = new Map<number, ToolCall>();
  /** Every token's log-probability so far (undefined: none asked for or sent). */
  let logprobs: TokenLogprob[] | undefined;
  /** Those not yet sent with a text chunk. */
  let pending: TokenLogprob[] = [];
  const text = (value: string): Chunk => {
    if (pending.length === 0) return { type: 'text', text: value };
    const chunk: Chunk = { type: 'text', text: value, logprobs: pending };
    pending = [];
    return chunk;
  };
  for await (const chunk of chunks) {
    const wireUsage = chunk.usage ?? chunk.x_groq?.usage;
    if (wireUsage != null) usage = normaliseUsage(wireUsage);
    const choice = chunk.choices[0];
    if (choice === undefined) continue;
    const delta = choice.delta;
    const tokens = decodeLogprobs(choice.logprobs);
    if (tokens !== undefined) {
      logprobs = [...(logprobs ?? []), ...tokens];
      pending.push(...tokens);
    } else if (asked.logprobs === true && (delta?.content ?? '') !== '') {
      throw logprobsMissing(provider);
    }
    if (delta?.content != null && delta.content !== '') yield text(delta.content);
    if (delta?.refusal != null && delta.refusal !== '') {
      finish = 'content_filter';
      yield text(delta.refusal);
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
    ...(logprobs === undefined ? {} : { logprobs }),
  };
}

/** A service that answered without the log-probabilities the request asked for. */
export function logprobsMissing(provider: string): UnsupportedParameter {
  return new UnsupportedParameter(
    provider,
    'logprobs',
    `Provider ${provider} answered without the token log-probabilities asked for.`,
  );
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
