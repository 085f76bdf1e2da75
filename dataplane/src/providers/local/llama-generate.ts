import { LlamaChat, type ChatHistoryItem } from 'node-llama-cpp';
import type { Chunk, FinishReason } from '../../core/types.ts';
import { ApiError } from '../../errors/api-error.ts';
import type { ProviderRequest } from '../provider.ts';
import { UnsupportedParameter } from '../unsupported.ts';
import { grammarFor } from './llama-grammar.ts';
import type { LlamaLocalModel } from './llama-model.ts';
import { TextChannel } from './text-channel.ts';

/**
 * One answer of a GGUF model on llama.cpp (DESIGN §3, `runtime: onnx`'s in-process sibling):
 * the model's own chat template (node-llama-cpp picks the wrapper from the GGUF's metadata)
 * renders the messages, then the answer streams as llama.cpp detokenises it. Greedy unless the
 * request sets a temperature above 0, as for the ONNX runtime; `top_p` and `seed` apply to
 * sampling; stop sequences end the answer before them; `response_format` JSON is enforced by
 * a grammar. The request waits for one of the model's sequences in a bounded queue, and is
 * refused with UPSTREAM_RATE_LIMITED when the queue is full.
 */
export async function* generateWithLlama(
  model: LlamaLocalModel,
  request: ProviderRequest,
  signal: AbortSignal,
  ids: { model: string; defaultMaxTokens: number },
): AsyncIterable<Chunk> {
  const history = toHistory(request);
  const grammar = await grammarFor(model.llama, request.responseFormat);
  const waiting = model.sequences.acquire(signal);
  if (waiting === undefined) {
    throw new ApiError(
      'UPSTREAM_RATE_LIMITED',
      `Local model ${ids.model} is busy: its ${model.sequences.size} sequences are generating and ${model.sequences.queued} requests are queued.`,
      { details: { provider: 'local', model: ids.model }, retryAfterS: 1 },
    );
  }
  const sequence = await waiting;
  // Stops generation when the consumer leaves early (a client that disconnected).
  const stop = new AbortController();
  const onAbort = () => {
    stop.abort(signal.reason);
  };
  // The consumer may have left while the sequence was being granted.
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  let generation: Promise<string | undefined> | undefined;
  const chat = new LlamaChat({
    contextSequence: sequence,
    chatWrapper: model.chatWrapper,
    autoDisposeSequence: false,
  });
  try {
    const promptTokens = countPrompt(chat, history);
    const room = model.contextSize - promptTokens;
    if (room <= 0) {
      throw new ApiError(
        'CONTEXT_LENGTH_EXCEEDED',
        `The prompt is ${promptTokens} tokens; local model ${ids.model} holds ${model.contextSize} per sequence.`,
        { details: { provider: 'local', model: ids.model } },
      );
    }
    const text = new TextChannel();
    const before = sequence.tokenMeter.getState();
    const temperature = request.temperature ?? 0;
    const sampled = temperature > 0;
    generation = chat
      .generateResponse(history, {
        signal: stop.signal,
        maxTokens: Math.min(request.maxTokens ?? ids.defaultMaxTokens, room),
        temperature,
        ...(sampled && request.topP !== undefined ? { topP: request.topP } : {}),
        ...(sampled && request.seed !== undefined ? { seed: request.seed } : {}),
        ...(request.stop === undefined || request.stop.length === 0
          ? {}
          : { customStopTriggers: request.stop }),
        ...(grammar === undefined ? {} : { grammar }),
        onTextChunk: (piece) => {
          text.push(piece);
        },
      })
      .then(
        (response) => {
          text.end();
          return response.metadata.stopReason;
        },
        (error: unknown) => {
          text.fail(error);
          return undefined;
        },
      );
    for await (const piece of text) yield { type: 'text', text: piece };
    const stopReason = await generation;
    signal.throwIfAborted();
    const used = sequence.tokenMeter.diff(before);
    const finishReason: FinishReason = stopReason === 'maxTokens' ? 'length' : 'stop';
    yield {
      type: 'done',
      finishReason,
      usage: {
        inputTokens: promptTokens,
        outputTokens: used.usedOutputTokens,
        // The prompt tokens this sequence still held from its last answer (a shared prefix).
        // node-llama-cpp's meter counts the prompt's last token with the generation, not as input.
        cachedTokens: Math.max(0, promptTokens - 1 - used.usedInputTokens),
      },
    };
  } finally {
    signal.removeEventListener('abort', onAbort);
    stop.abort();
    // The sequence goes back only once llama.cpp has let go of it (a consumer that left early).
    await generation;
    chat.dispose({ disposeSequence: false });
    model.sequences.release(sequence);
  }
}

/**
 * Our messages as node-llama-cpp's chat history, ending in the model turn to write (its
 * start is the request's prefix, continued rather than repeated). Images, tools and tool
 * turns are refused by name: this runtime has no image encoder, and tool calls are not wired;
 * so are `logprobs`.
 */
function toHistory(request: ProviderRequest): ChatHistoryItem[] {
  const refuse = (what: string, parameter = 'tools') =>
    new UnsupportedParameter('local', parameter, `The local llama.cpp runtime takes no ${what}.`);
  if ((request.tools?.length ?? 0) > 0) throw refuse('tools');
  // node-llama-cpp's chat generation does not hand out the distributions it samples from.
  if (request.logprobs !== undefined) throw refuse('token log-probabilities', 'logprobs');
  const history: ChatHistoryItem[] = request.messages.map((message): ChatHistoryItem => {
    if ((message.images?.length ?? 0) > 0) throw refuse('image inputs', 'image_url');
    switch (message.role) {
      case 'system':
        return { type: 'system', text: message.content };
      case 'user':
        return { type: 'user', text: message.content };
      case 'assistant':
        if ((message.toolCalls?.length ?? 0) > 0) throw refuse('tool calls');
        return { type: 'model', response: [message.content] };
      case 'tool':
        throw refuse('tool messages');
    }
  });
  history.push({ type: 'model', response: request.prefix === undefined ? [] : [request.prefix] });
  return history;
}

/** Tokens of the rendered prompt, for usage and the context check. */
function countPrompt(chat: LlamaChat, history: readonly ChatHistoryItem[]): number {
  const { contextText } = chat.chatWrapper.generateContextState({ chatHistory: history });
  return contextText.tokenize(chat.model.tokenizer).length;
}
