import type { Chunk, FinishReason, TokenLogprob } from '../../core/types.ts';
import { ApiError } from '../../errors/api-error.ts';
import type { ProviderRequest } from '../provider.ts';
import type { LocalModelRef } from './model-files.ts';
import type { KvCache, OnnxCausalLM } from './onnx-model.ts';
import { LogprobAligner, logSoftmaxAt, tokenProbability } from './logprobs.ts';
import { pickToken, seededRandom } from './sampler.ts';
import { UnsupportedParameter } from '../unsupported.ts';
import { StopMatcher } from './stop-matcher.ts';
import { TextStream } from './text-stream.ts';

/**
 * One answer of a decoder-only ONNX model (DESIGN §3, `runtime: onnx`): the chat template
 * renders the prompt, the prompt runs in one step, then one token per step on the KV cache,
 * greedy (temperature 0, or no temperature and `do_sample: false` in generation_config.json)
 * or top-p sampling (from `seed` when the request gives one), ending at an end-of-sequence
 * token, a stop sequence or the token limit. Text streams token by token. A JSON
 * `response_format` is refused: this runtime has no constrained decoding. With `logprobs`, each
 * token's log-probability under the distribution the sampler draws from (logprobs.ts) rides on
 * the chunk that carries its text.
 */
export async function* generateWithOnnx(
  model: OnnxCausalLM,
  request: ProviderRequest,
  signal: AbortSignal,
  random: () => number,
  ref: LocalModelRef,
  defaultMaxTokens: number,
): AsyncIterable<Chunk> {
  refuseUnsupported(request);
  yield* generate(
    model,
    request,
    signal,
    request.seed === undefined ? random : seededRandom(request.seed),
    ref,
    defaultMaxTokens,
  );
}

function refuseUnsupported(request: ProviderRequest): void {
  const refuse = (parameter: string, what: string) =>
    new UnsupportedParameter('local', parameter, `The local provider takes no ${what}.`);
  if (request.messages.some((message) => (message.images?.length ?? 0) > 0))
    throw refuse('image_url', 'image inputs');
  if ((request.tools?.length ?? 0) > 0) throw refuse('tools', 'tools');
  if (request.responseFormat !== undefined && request.responseFormat.type !== 'text') {
    throw new UnsupportedParameter(
      'local',
      'response_format',
      `The local ONNX runtime cannot enforce response_format ${request.responseFormat.type} (it has no constrained decoding); use a GGUF model on llama.cpp.`,
    );
  }
}

async function* generate(
  model: OnnxCausalLM,
  request: ProviderRequest,
  signal: AbortSignal,
  random: () => number,
  ref: LocalModelRef,
  defaultMaxTokens: number,
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
    request.maxTokens ?? model.generation.max_new_tokens ?? defaultMaxTokens,
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
  const asked = request.logprobs;
  const aligner = asked === undefined ? undefined : new LogprobAligner();
  const logprobs: TokenLogprob[] = [];
  /** A text chunk, with its tokens when they were asked for. */
  const chunk = (value: string, tokens: TokenLogprob[] | undefined): Chunk => {
    if (tokens === undefined) return { type: 'text', text: value };
    logprobs.push(...tokens);
    return { type: 'text', text: value, logprobs: tokens };
  };
  const decodeOne = (id: number) => model.tokenizer.decode([id]);
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
    const released = text.push(token);
    if (asked !== undefined && aligner !== undefined) {
      const { logprob, top } = logSoftmaxAt(
        step.logits,
        token,
        asked.topLogprobs,
        sampling.temperature,
      );
      aligner.token(
        {
          ...tokenProbability(decodeOne(token), logprob),
          topLogprobs: top.map((each) => tokenProbability(decodeOne(each.id), each.logprob)),
        },
        released,
      );
    }
    const piece = stops.push(released);
    if (piece.stopped) {
      if (piece.text !== '') yield chunk(piece.text, aligner?.last(piece.text, true));
      finish = 'stop';
      cut = true;
      break;
    }
    if (piece.text !== '') yield chunk(piece.text, aligner?.sent(piece.text));
    input = [token];
  }
  if (!cut) {
    // What was held back (an incomplete character, the start of a stop sequence) is owed.
    const flushed = text.flush();
    aligner?.released(flushed);
    const rest = stops.push(flushed);
    const tail = rest.text + (rest.stopped ? '' : stops.flush());
    if (tail !== '') yield chunk(tail, aligner?.last(tail, rest.stopped));
  }
  yield {
    type: 'done',
    finishReason: finish,
    usage: { inputTokens: prompt.length, outputTokens: generated, cachedTokens: 0 },
    ...(asked === undefined ? {} : { logprobs }),
  };
}
