import type { Chunk, ToolCall, Usage } from '../../core/types.ts';

type Done = Extract<Chunk, { type: 'done' }>;

/** What every `response` object of one answer repeats from its request. */
export interface ResponseIds {
  id: string;
  model: string;
  createdAt: number;
  /** Request fields the response object echoes (instructions, tools, temperature, ...). */
  echo: Record<string, unknown>;
}

function usage(value: Usage) {
  return {
    input_tokens: value.inputTokens,
    input_tokens_details: { cached_tokens: value.cachedTokens },
    output_tokens: value.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: value.inputTokens + value.outputTokens,
  };
}

function messageItem(ids: ResponseIds, text: string, status: 'in_progress' | 'completed') {
  return {
    type: 'message' as const,
    id: `msg_${ids.id}`,
    status,
    role: 'assistant' as const,
    content:
      status === 'in_progress' ? [] : [{ type: 'output_text' as const, text, annotations: [] }],
  };
}

function callItem(call: ToolCall, index: number, status: 'in_progress' | 'completed') {
  return {
    type: 'function_call' as const,
    id: `fc_${index}_${call.id}`,
    call_id: call.id,
    name: call.name,
    arguments: status === 'in_progress' ? '' : call.arguments,
    status,
  };
}

/** The `response` object: in progress (no output yet) or complete with its output and usage. */
export function responseObject(ids: ResponseIds, text?: string, done?: Done) {
  const output =
    done === undefined
      ? []
      : [
          ...(text === '' && done.toolCalls !== undefined
            ? []
            : [messageItem(ids, text ?? '', 'completed')]),
          ...(done.toolCalls ?? []).map((call, index) => callItem(call, index, 'completed')),
        ];
  const incomplete = done?.finishReason === 'length' || done?.finishReason === 'content_filter';
  return {
    id: ids.id,
    object: 'response' as const,
    created_at: ids.createdAt,
    status: done === undefined ? 'in_progress' : incomplete ? 'incomplete' : 'completed',
    model: ids.model,
    output,
    incomplete_details: !incomplete
      ? null
      : { reason: done.finishReason === 'length' ? 'max_output_tokens' : 'content_filter' },
    error: null,
    usage: done === undefined ? null : usage(done.usage),
    store: false,
    previous_response_id: null,
    ...ids.echo,
  };
}

/** One event of a streamed response: its type (the SSE event name) and its data. */
export type ResponseEvent = Record<string, unknown> & { type: string };

/**
 * The Responses API's typed events for one streamed answer, fed chunk by chunk:
 * `response.created`, `response.in_progress`, then the message item (`output_item.added`,
 * `content_part.added`, an `output_text.delta` per text chunk, `output_text.done`,
 * `content_part.done`, `output_item.done`), an item per function call (its arguments whole in
 * one `function_call_arguments.delta`), and `response.completed` (or `response.incomplete`)
 * with the whole response. Every event carries its `sequence_number`.
 */
export class ResponseEvents {
  readonly #ids: ResponseIds;
  #sequence = 0;
  #text = '';
  #open = false;

  constructor(ids: ResponseIds) {
    this.#ids = ids;
  }

  start(): ResponseEvent[] {
    const response = responseObject(this.#ids);
    return [
      this.#event('response.created', { response }),
      this.#event('response.in_progress', { response }),
    ];
  }

  next(chunk: Chunk): ResponseEvent[] {
    if (chunk.type === 'text') {
      const events = this.#openMessage();
      this.#text += chunk.text;
      events.push(
        this.#event('response.output_text.delta', {
          ...this.#part(),
          delta: chunk.text,
          logprobs: [],
        }),
      );
      return events;
    }
    const events = chunk.toolCalls === undefined ? this.#openMessage() : [];
    if (this.#open) {
      const part = { type: 'output_text', text: this.#text, annotations: [] };
      events.push(
        this.#event('response.output_text.done', {
          ...this.#part(),
          text: this.#text,
          logprobs: [],
        }),
        this.#event('response.content_part.done', { ...this.#part(), part }),
        this.#event('response.output_item.done', {
          output_index: 0,
          item: messageItem(this.#ids, this.#text, 'completed'),
        }),
      );
    }
    const first = this.#open ? 1 : 0;
    for (const [index, call] of (chunk.toolCalls ?? []).entries()) {
      const outputIndex = first + index;
      const item = callItem(call, index, 'completed');
      events.push(
        this.#event('response.output_item.added', {
          output_index: outputIndex,
          item: callItem(call, index, 'in_progress'),
        }),
        this.#event('response.function_call_arguments.delta', {
          item_id: item.id,
          output_index: outputIndex,
          delta: call.arguments,
        }),
        this.#event('response.function_call_arguments.done', {
          item_id: item.id,
          output_index: outputIndex,
          arguments: call.arguments,
        }),
        this.#event('response.output_item.done', { output_index: outputIndex, item }),
      );
    }
    const response = responseObject(this.#ids, this.#text, chunk);
    const name = response.status === 'incomplete' ? 'response.incomplete' : 'response.completed';
    events.push(this.#event(name, { response }));
    return events;
  }

  /** The `error` event of a stream that failed after it began. */
  error(body: { code: string; message: string; param: string | null }): ResponseEvent {
    return this.#event('error', { ...body });
  }

  #openMessage(): ResponseEvent[] {
    if (this.#open) return [];
    this.#open = true;
    return [
      this.#event('response.output_item.added', {
        output_index: 0,
        item: messageItem(this.#ids, '', 'in_progress'),
      }),
      this.#event('response.content_part.added', {
        ...this.#part(),
        part: { type: 'output_text', text: '', annotations: [] },
      }),
    ];
  }

  #part() {
    return { item_id: `msg_${this.#ids.id}`, output_index: 0, content_index: 0 };
  }

  #event(type: string, data: Record<string, unknown>): ResponseEvent {
    return { type, sequence_number: this.#sequence++, ...data };
  }
}
