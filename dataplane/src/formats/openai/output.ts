import type { Chunk, FinishReason, TokenLogprob, ToolCall, Usage } from '../../core/types.ts';
import { wireLogprobs } from './logprobs.ts';

type Done = Extract<Chunk, { type: 'done' }>;

/** Names every chat.completion and chunk of one answer carries. */
export interface CompletionIds {
  id: string;
  created: number;
  model: string;
}

/** A whole answer as a `chat.completion`. */
export function chatCompletion(ids: CompletionIds, text: string, done: Done) {
  return chatCompletionOf(ids, [{ text, done }]);
}

/** Whole answers (`n` of them) as one `chat.completion`, a choice each, their usage summed. */
export function chatCompletionOf(
  ids: CompletionIds,
  answers: readonly { text: string; done: Done }[],
) {
  return {
    ...ids,
    object: 'chat.completion' as const,
    choices: answers.map(({ text, done }, index) => ({
      index,
      message: {
        role: 'assistant' as const,
        content: done.toolCalls !== undefined && text === '' ? null : text,
        refusal: null,
        ...(done.toolCalls === undefined ? {} : { tool_calls: toolCalls(done.toolCalls) }),
      },
      finish_reason: done.finishReason,
      logprobs: wireLogprobs(done.logprobs),
    })),
    usage: usage(sumUsage(answers.map(({ done }) => done.usage))),
  };
}

export function sumUsage(usages: readonly Usage[]): Usage {
  return usages.reduce(
    (sum, each) => ({
      inputTokens: sum.inputTokens + each.inputTokens,
      outputTokens: sum.outputTokens + each.outputTokens,
      cachedTokens: sum.cachedTokens + each.cachedTokens,
    }),
    { inputTokens: 0, outputTokens: 0, cachedTokens: 0 },
  );
}

/**
 * One `chat.completion.chunk`: a delta (with its tokens' log-probabilities when asked), and on
 * the last one the finish reason (and usage).
 */
export function chatCompletionChunk(
  ids: CompletionIds,
  delta: object,
  finish: FinishReason | null,
  answerUsage?: Usage,
  index = 0,
  logprobs?: readonly TokenLogprob[],
) {
  return {
    ...ids,
    object: 'chat.completion.chunk' as const,
    choices: [{ index, delta, finish_reason: finish, logprobs: wireLogprobs(logprobs) }],
    ...(answerUsage === undefined ? {} : { usage: usage(answerUsage) }),
  };
}

/** A text chunk's `chat.completion.chunk`, for choice `index`. */
export function textChunk(ids: CompletionIds, chunk: Extract<Chunk, { type: 'text' }>, index = 0) {
  return chatCompletionChunk(ids, { content: chunk.text }, null, undefined, index, chunk.logprobs);
}

/**
 * The chunks that end a streamed answer: its tool calls, whole, in one delta (the clients join
 * fragments, and one fragment is a whole), then the finish reason with usage when asked.
 */
export function finalChunks(
  ids: CompletionIds,
  done: Done,
  includeUsage: boolean,
  choice = 0,
): object[] {
  const calls =
    done.toolCalls === undefined
      ? []
      : [
          chatCompletionChunk(
            ids,
            { tool_calls: toolCalls(done.toolCalls).map((call, index) => ({ index, ...call })) },
            null,
            undefined,
            choice,
          ),
        ];
  const last = chatCompletionChunk(
    ids,
    {},
    done.finishReason,
    includeUsage ? done.usage : undefined,
    choice,
  );
  return [...calls, last];
}

export function toolCalls(calls: readonly ToolCall[]) {
  return calls.map((call) => ({
    id: call.id,
    type: 'function' as const,
    function: { name: call.name, arguments: call.arguments },
  }));
}

export function usage(value: Usage) {
  return {
    prompt_tokens: value.inputTokens,
    completion_tokens: value.outputTokens,
    total_tokens: value.inputTokens + value.outputTokens,
    prompt_tokens_details: { cached_tokens: value.cachedTokens },
  };
}

/** The last chunk of a stream of several choices: no choice, their usage summed. */
export function usageChunk(ids: CompletionIds, usages: readonly Usage[]) {
  return {
    ...ids,
    object: 'chat.completion.chunk' as const,
    choices: [],
    usage: usage(sumUsage(usages)),
  };
}
