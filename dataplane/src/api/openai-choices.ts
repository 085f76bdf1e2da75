import type { InferenceInput } from '../core/inference-input.ts';
import type { Chunk, Usage } from '../core/types.ts';
import type { Services } from '../engine/services.ts';
import { toApiError } from '../errors/to-api-error.ts';
import {
  chatCompletionChunk,
  chatCompletionOf,
  finalChunks,
  textChunk,
  usageChunk,
  type CompletionIds,
} from '../formats/openai/output.ts';
import type { RequestContext } from '../stages/context.ts';
import type { SseStream } from './sse.ts';

/**
 * `n` choices of one chat completion: `n` answers through the pipeline, each its own request
 * (`<request id>-<index>`: its own budget charge, receipt and provider call), so that every
 * provider can serve `n`, not only those whose API has it. Each choice is aborted with the
 * request.
 */
function choiceContexts(context: RequestContext, n: number): RequestContext[] {
  return Array.from({ length: n }, (_, index) => ({
    ...context,
    requestId: `${context.requestId}-${index}`,
  }));
}

export async function completeChoices(
  services: Services,
  context: RequestContext,
  input: InferenceInput,
  ids: CompletionIds,
  n: number,
) {
  const answers = await Promise.all(
    choiceContexts(context, n).map((choice) => services.pipeline.complete(choice, input)),
  );
  return chatCompletionOf(ids, answers);
}

/**
 * The streams of `n` choices, opened together (a refusal of any one is the answer's HTTP
 * error, and the others are stopped before their first chunk) and interleaved as their chunks
 * come, each with its choice's index; with `include_usage`, a last chunk sums their usage.
 * A failure of one choice stops the others and ends the stream with its error.
 */
export async function streamChoices(
  services: Services,
  context: RequestContext,
  input: InferenceInput,
  n: number,
): Promise<(sse: SseStream, ids: CompletionIds, includeUsage: boolean) => Promise<void>> {
  const stop = new AbortController();
  const contexts = choiceContexts(context, n).map((choice) => ({
    ...choice,
    signal: AbortSignal.any([choice.signal, stop.signal]),
  }));
  const opened = await Promise.allSettled(
    contexts.map((choice) => services.pipeline.stream(choice, input)),
  );
  const refused = opened.find((result) => result.status === 'rejected');
  if (refused !== undefined) {
    // The opened ones end, cancelled: started (so that they run their end), then returned.
    stop.abort();
    await Promise.all(
      opened.map(async (result) => {
        if (result.status !== 'fulfilled') return;
        const iterator = result.value.chunks[Symbol.asyncIterator]();
        await iterator.next().catch(() => undefined);
        await iterator.return?.();
      }),
    );
    throw refused.reason;
  }
  const iterators = opened.map((result) =>
    (result as PromiseFulfilledResult<{ chunks: AsyncIterable<Chunk> }>).value.chunks[
      Symbol.asyncIterator
    ](),
  );
  return async (sse, ids, includeUsage) => {
    const usages: Usage[] = [];
    try {
      for (let index = 0; index < n; index++)
        await sse.data(
          chatCompletionChunk(ids, { role: 'assistant', content: '' }, null, undefined, index),
        );
      for await (const [index, chunk] of merge(iterators)) {
        if (chunk.type === 'text') {
          await sse.data(textChunk(ids, chunk, index));
          continue;
        }
        usages.push(chunk.usage);
        for (const frame of finalChunks(ids, chunk, false, index)) await sse.data(frame);
      }
      if (includeUsage) await sse.data(usageChunk(ids, usages));
    } catch (error) {
      stop.abort();
      await sse.data(toApiError(error).toBody(context.requestId));
    } finally {
      // Each choice's request ends (settled, sealed, its slot released), however this did.
      await Promise.all(
        iterators.map(async (iterator) => {
          await iterator.return?.().catch(() => undefined);
        }),
      );
    }
  };
}

/**
 * The items of several iterators as they come, each with its iterator's index. A failure of one
 * is thrown here; the pulls still in flight then settle without an unhandled rejection.
 */
async function* merge<T>(iterators: readonly AsyncIterator<T>[]): AsyncGenerator<[number, T]> {
  type Pulled = [number, { result: IteratorResult<T> } | { error: unknown }];
  const pending = new Map<number, Promise<Pulled>>();
  const pull = (iterator: AsyncIterator<T>, index: number) => {
    pending.set(
      index,
      iterator.next().then(
        (result): Pulled => [index, { result }],
        (error: unknown): Pulled => [index, { error }],
      ),
    );
  };
  iterators.forEach(pull);
  while (pending.size > 0) {
    const [index, pulled] = await Promise.race(pending.values());
    if ('error' in pulled) throw pulled.error;
    if (pulled.result.done === true) {
      pending.delete(index);
      continue;
    }
    const iterator = iterators[index];
    if (iterator !== undefined) pull(iterator, index);
    yield [index, pulled.result.value];
  }
}
