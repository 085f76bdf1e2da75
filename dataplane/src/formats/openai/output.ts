import type { Chunk, FinishReason, ToolCall, Usage } from '../../core/types.ts';

type Done = Extract<Chunk, { type: 'done' }>;

/** Names every chat.completion and chunk of one answer carries. */
export interface CompletionIds {
  id: string;
  created: number;
  model: string;
}

/** A whole answer as a `chat.completion`. */
export function chatCompletion(ids: CompletionIds, text: string, done: Done) {
  return {
    ...ids,
    object: 'chat.completion' as const,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant' as const,
          content: done.toolCalls !== undefined && text === '' ? null : text,
          refusal: null,
          ...(done.toolCalls === undefined ? {} : { tool_calls: toolCalls(done.toolCalls) }),
        },
        finish_reason: done.finishReason,
        logprobs: null,
      },
    ],
    usage: usage(done.usage),
  };
}

/** One `chat.completion.chunk`: a delta, and on the last one the finish reason (and usage). */
export function chatCompletionChunk(
  ids: CompletionIds,
  delta: object,
  finish: FinishReason | null,
  answerUsage?: Usage,
) {
  return {
    ...ids,
    object: 'chat.completion.chunk' as const,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    ...(answerUsage === undefined ? {} : { usage: usage(answerUsage) }),
  };
}

/**
 * The chunks that end a streamed answer: its tool calls, whole, in one delta (the clients join
 * fragments, and one fragment is a whole), then the finish reason with usage when asked.
 */
export function finalChunks(ids: CompletionIds, done: Done, includeUsage: boolean): object[] {
  const calls =
    done.toolCalls === undefined
      ? []
      : [
          chatCompletionChunk(
            ids,
            { tool_calls: toolCalls(done.toolCalls).map((call, index) => ({ index, ...call })) },
            null,
          ),
        ];
  const last = chatCompletionChunk(
    ids,
    {},
    done.finishReason,
    includeUsage ? done.usage : undefined,
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
