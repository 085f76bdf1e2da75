import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { ApiError } from '../../errors/api-error.ts';
import type { Chunk, FinishReason, ToolCall, Usage } from '../../core/types.ts';

/**
 * Decodes the Messages API's stream events into our chunks, owning the per-stream state:
 * - `message_start` carries the input usage (and cache reads and writes);
 * - `content_block_start` opens a text or `tool_use` block (id and name), whose
 *   `input_json_delta` fragments are joined until `content_block_stop`;
 * - `content_block_delta` with `text_delta` is text; thinking and signature deltas are not
 *   part of the answer;
 * - `message_delta` carries the stop reason and the cumulative output usage;
 * - `message_stop` ends the answer. `ping` never reaches here (the SDK drops it) and an
 *   `error` event is thrown by the SDK as an APIError (an `overloaded_error` mid-stream).
 * A stream that ends without `message_stop` was cut: an error, never a short answer.
 */
export async function* decodeMessageStream(
  events: AsyncIterable<RawMessageStreamEvent>,
): AsyncIterable<Chunk> {
  const usage: Usage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0 };
  let finish: FinishReason = 'stop';
  const calls = new Map<number, ToolCall>();
  for await (const event of events) {
    switch (event.type) {
      case 'message_start': {
        const start = event.message.usage;
        const cacheRead = start.cache_read_input_tokens ?? 0;
        usage.inputTokens =
          start.input_tokens + (start.cache_creation_input_tokens ?? 0) + cacheRead;
        usage.cachedTokens = cacheRead;
        usage.outputTokens = start.output_tokens;
        break;
      }
      case 'content_block_start':
        if (event.content_block.type === 'tool_use') {
          const { id, name } = event.content_block;
          calls.set(event.index, { id, name, arguments: '' });
        } else if (event.content_block.type === 'text' && event.content_block.text !== '') {
          yield { type: 'text', text: event.content_block.text };
        }
        break;
      case 'content_block_delta':
        if (event.delta.type === 'text_delta') {
          if (event.delta.text !== '') yield { type: 'text', text: event.delta.text };
        } else if (event.delta.type === 'input_json_delta') {
          const call = calls.get(event.index);
          if (call !== undefined) call.arguments += event.delta.partial_json;
        }
        break;
      case 'message_delta':
        if (event.delta.stop_reason != null) finish = toFinishReason(event.delta.stop_reason);
        usage.outputTokens = event.usage.output_tokens;
        break;
      case 'message_stop': {
        const toolCalls = [...calls.entries()]
          .sort(([a], [b]) => a - b)
          .map(([, call]) => ({
            ...call,
            arguments: call.arguments === '' ? '{}' : call.arguments,
          }));
        yield {
          type: 'done',
          finishReason: finish,
          usage,
          ...(toolCalls.length === 0 ? {} : { toolCalls }),
        };
        return;
      }
      default:
        break;
    }
  }
  throw new ApiError(
    'UPSTREAM_UNAVAILABLE',
    'Provider anthropic ended the stream before message_stop.',
    {
      details: { provider: 'anthropic' },
    },
  );
}

function toFinishReason(reason: string): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}
