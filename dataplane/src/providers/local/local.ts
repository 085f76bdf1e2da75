import { ApiError } from '../../errors/api-error.ts';
import type { Chunk, FinishReason } from '../../core/types.ts';
import type { Provider, ProviderRequest } from '../provider.ts';
import { parseLocalModel, readModelFiles, type LocalModelRef } from './model-files.ts';
import { OnnxCausalLM, type KvCache } from './onnx-model.ts';
import { pickToken } from './sampler.ts';
import { StopMatcher } from './stop-matcher.ts';
import { TextStream } from './text-stream.ts';

export { hardware, type HardwareReport } from './hardware.ts';

export interface LocalProviderOptions {
  /** Where model folders live: model `tiny` is `<modelsDir>/tiny`. */
  modelsDir: string;
  /** Uniform in [0, 1); injectable so sampling tests are deterministic. */
  random?: () => number;
}

/**
 * @default 256 when neither the request nor generation_config.json's `max_new_tokens` says.
 */
export const DEFAULT_MAX_TOKENS = 256;

export interface LocalProvider extends Provider {
  /** Loads a model ahead of its first request (start-up preload); errors as a request's would. */
  load(model: string): Promise<OnnxCausalLM>;
  /** Releases every loaded session. */
  close(): Promise<void>;
}

/**
 * Decoder-only ONNX models in this process (DESIGN §3, `runtime: onnx`): the chat template
 * renders the prompt, the prompt runs in one step, then one token per step on the KV cache,
 * greedy (temperature 0, or no temperature and `do_sample: false` in generation_config.json)
 * or top-p sampling, ending at an end-of-sequence token, a stop sequence or the token limit.
 * Text streams token by token. A model loads on first use and stays loaded; a model that is
 * missing or malformed fails with UPSTREAM_UNAVAILABLE naming the file.
 */
export function createLocalProvider(options: LocalProviderOptions): LocalProvider {
  const models = new Map<string, Promise<OnnxCausalLM>>();
  const load = (model: string): Promise<OnnxCausalLM> => {
    const ref = parseLocalModel(model, options.modelsDir);
    const key = `${ref.dir}\u0000${ref.dtype}`;
    let loading = models.get(key);
    if (loading === undefined) {
      loading = readModelFiles(ref).then((files) => OnnxCausalLM.load(ref, files));
      // A failed load is not cached: the next request tries again (a model being copied in).
      loading.catch(() => models.delete(key));
      models.set(key, loading);
    }
    return loading;
  };
  return {
    name: 'local',
    load,
    async *stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<Chunk> {
      refuseUnsupported(request);
      const model = await load(request.model);
      signal.throwIfAborted();
      yield* generate(
        model,
        request,
        signal,
        options.random ?? Math.random,
        parseLocalModel(request.model, options.modelsDir),
      );
    },
    async close() {
      const loaded = await Promise.allSettled([...models.values()]);
      models.clear();
      const sessions = loaded.flatMap((result) =>
        result.status === 'fulfilled' ? [result.value] : [],
      );
      await Promise.all(sessions.map((model) => model.release()));
    },
  };
}

function refuseUnsupported(request: ProviderRequest): void {
  const refuse = (what: string) =>
    new ApiError('UPSTREAM_BAD_REQUEST', `The local provider takes no ${what}.`, {
      details: { provider: 'local' },
    });
  if (request.messages.some((message) => (message.images?.length ?? 0) > 0))
    throw refuse('image inputs');
  if ((request.tools?.length ?? 0) > 0) throw refuse('tools');
}

async function* generate(
  model: OnnxCausalLM,
  request: ProviderRequest,
  signal: AbortSignal,
  random: () => number,
  ref: LocalModelRef,
): AsyncIterable<Chunk> {
  const prompt = model.tokenizer.encode(
    model.tokenizer.renderChat(request.messages, request.prefix ?? ''),
  );
  const room = model.maxPositions - prompt.length;
  if (room <= 0) {
    throw new ApiError(
      'CONTEXT_LENGTH_EXCEEDED',
      `The prompt is ${prompt.length} tokens; local model ${ref.id} holds ${model.maxPositions}.`,
      {
        details: { provider: 'local', model: ref.id },
      },
    );
  }
  const maxTokens = Math.min(
    request.maxTokens ?? model.generation.max_new_tokens ?? DEFAULT_MAX_TOKENS,
    room,
  );
  const greedy =
    request.temperature === undefined
      ? model.generation.do_sample !== true
      : request.temperature === 0;
  const sampling = {
    temperature: greedy ? 0 : (request.temperature ?? model.generation.temperature ?? 1),
    topP: request.topP ?? model.generation.top_p ?? 1,
  };
  const text = new TextStream((ids) => model.tokenizer.decode(ids));
  const stops = new StopMatcher(request.stop ?? []);
  let cache: KvCache | undefined;
  let input: readonly number[] = prompt;
  let generated = 0;
  let finish: FinishReason = 'length';
  let cut = false;
  while (generated < maxTokens) {
    signal.throwIfAborted();
    const step = await model.step(input, cache);
    cache = step.cache;
    const token = pickToken(step.logits, sampling, random);
    generated++;
    if (model.eos.has(token)) {
      finish = 'stop';
      break;
    }
    const piece = stops.push(text.push(token));
    if (piece.text !== '') yield { type: 'text', text: piece.text };
    if (piece.stopped) {
      finish = 'stop';
      cut = true;
      break;
    }
    input = [token];
  }
  if (!cut) {
    // What was held back (an incomplete character, the start of a stop sequence) is owed.
    const rest = stops.push(text.flush());
    const tail = rest.text + (rest.stopped ? '' : stops.flush());
    if (tail !== '') yield { type: 'text', text: tail };
  }
  yield {
    type: 'done',
    finishReason: finish,
    usage: { inputTokens: prompt.length, outputTokens: generated, cachedTokens: 0 },
  };
}
