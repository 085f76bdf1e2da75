import type { FullAnswer, ToolCall } from '../../core/types.ts';
import { ApiError } from '../../errors/api-error.ts';
import { decodeLogprobs, type WireLogprobs } from './logprobs.ts';
import { logprobsMissing, normaliseUsage, toFinishReason, type WireUsage } from './stream.ts';

/** The part of an OpenAI-format `chat.completion` we read. */
export interface WireCompletion {
  choices?: readonly {
    message?: {
      content?: string | null;
      refusal?: string | null;
      tool_calls?: readonly {
        id?: string | null;
        function?: { name?: string | null; arguments?: string | null } | null;
      }[];
    } | null;
    finish_reason?: string | null;
    logprobs?: WireLogprobs | null;
  }[];
  usage?: WireUsage | null;
}

/**
 * A non-streamed chat answer in our shape; the tokens' log-probabilities ride on `done`. An answer without a choice or a finish reason is
 * not an answer: an error, never an empty text (as a stream cut before its end is).
 */
export function decodeChatCompletion(
  wire: WireCompletion,
  provider: string,
  asked: { logprobs?: boolean } = {},
): FullAnswer {
  const choice = wire.choices?.[0];
  if (choice?.finish_reason == null) {
    throw new ApiError(
      'UPSTREAM_UNAVAILABLE',
      `Provider ${provider} answered without a finished choice.`,
      {
        details: { provider },
      },
    );
  }
  const message = choice.message;
  const refused = message?.refusal != null && message.refusal !== '';
  const toolCalls: ToolCall[] = (message?.tool_calls ?? []).map((call) => ({
    id: call.id ?? '',
    name: call.function?.name ?? '',
    arguments: call.function?.arguments ?? '',
  }));
  const logprobs = decodeLogprobs(choice.logprobs);
  // A service that ignores the parameter answers without them: refused, not answered so.
  if (asked.logprobs === true && logprobs === undefined) throw logprobsMissing(provider);
  return {
    text: refused ? (message.refusal ?? '') : (message?.content ?? ''),
    done: {
      type: 'done',
      finishReason: refused ? 'content_filter' : toFinishReason(choice.finish_reason),
      usage:
        wire.usage == null
          ? { inputTokens: 0, outputTokens: 0, cachedTokens: 0 }
          : normaliseUsage(wire.usage),
      ...(toolCalls.length === 0 ? {} : { toolCalls }),
      ...(logprobs === undefined ? {} : { logprobs }),
    },
  };
}
