import type { Chunk, FinishReason, ToolCall, Usage } from '../../core/types.ts';

type Done = Extract<Chunk, { type: 'done' }>;

/** Our finish reasons as the Messages API's stop reasons. */
export function stopReason(reason: FinishReason): string {
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

export function usage(value: Usage) {
  return {
    input_tokens: value.inputTokens - value.cachedTokens,
    output_tokens: value.outputTokens,
    cache_read_input_tokens: value.cachedTokens,
    cache_creation_input_tokens: 0,
  };
}

/** A tool call's input: its arguments parsed, or `{_raw: text}` when they are not a JSON object. */
function inputOf(call: ToolCall): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(call.arguments);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // Not JSON: kept whole below.
  }
  return { _raw: call.arguments };
}

function toolUse(call: ToolCall) {
  return { type: 'tool_use' as const, id: call.id, name: call.name, input: inputOf(call) };
}

/** A whole answer as a Messages API `message`. */
export function message(id: string, model: string, text: string, done: Done) {
  return {
    id,
    type: 'message' as const,
    role: 'assistant' as const,
    model,
    content: [
      ...(text === '' && done.toolCalls !== undefined ? [] : [{ type: 'text' as const, text }]),
      ...(done.toolCalls ?? []).map(toolUse),
    ],
    stop_reason: stopReason(done.finishReason),
    stop_sequence: null,
    usage: usage(done.usage),
  };
}

/** One server-sent event of a streamed answer: its name and its data. */
export interface MessageEvent {
  event: string;
  data: Record<string, unknown>;
}

/**
 * The Messages API's event sequence for one streamed answer, fed chunk by chunk:
 * `message_start`, then one text block (`content_block_start`, `content_block_delta` per text
 * chunk, `content_block_stop`), then a block per tool call (its input whole in one
 * `input_json_delta`), `message_delta` with the stop reason and usage, `message_stop`.
 * Input tokens are known only at the end: `message_start` says 0 and `message_delta` the count.
 */
export class MessageEvents {
  readonly #id: string;
  readonly #model: string;
  #textOpen = false;
  #blocks = 0;

  constructor(id: string, model: string) {
    this.#id = id;
    this.#model = model;
  }

  start(): MessageEvent[] {
    return [
      {
        event: 'message_start',
        data: {
          type: 'message_start',
          message: {
            id: this.#id,
            type: 'message',
            role: 'assistant',
            model: this.#model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 0, output_tokens: 0 },
          },
        },
      },
    ];
  }

  next(chunk: Chunk): MessageEvent[] {
    if (chunk.type === 'text') {
      const events = this.#openText();
      events.push({
        event: 'content_block_delta',
        data: {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: chunk.text },
        },
      });
      return events;
    }
    const events = chunk.toolCalls === undefined ? this.#openText() : [];
    if (this.#textOpen) events.push(this.#stop(0));
    for (const call of chunk.toolCalls ?? []) {
      const index = this.#blocks++;
      const { input, ...block } = toolUse(call);
      events.push(
        {
          event: 'content_block_start',
          data: { type: 'content_block_start', index, content_block: { ...block, input: {} } },
        },
        {
          event: 'content_block_delta',
          data: {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: JSON.stringify(input) },
          },
        },
        this.#stop(index),
      );
    }
    events.push(
      {
        event: 'message_delta',
        data: {
          type: 'message_delta',
          delta: { stop_reason: stopReason(chunk.finishReason), stop_sequence: null },
          usage: usage(chunk.usage),
        },
      },
      { event: 'message_stop', data: { type: 'message_stop' } },
    );
    return events;
  }

  #openText(): MessageEvent[] {
    if (this.#textOpen) return [];
    this.#textOpen = true;
    this.#blocks = 1;
    return [
      {
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'text', text: '' },
        },
      },
    ];
  }

  #stop(index: number): MessageEvent {
    return { event: 'content_block_stop', data: { type: 'content_block_stop', index } };
  }
}
