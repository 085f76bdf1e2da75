import type { Chunk, DoneChunk } from '../core/types.ts';
import { toApiError } from '../errors/to-api-error.ts';
import {
  chatCompletionChunk,
  finalChunks,
  textChunk,
  type CompletionIds,
} from '../formats/openai/output.ts';
import type { SseStream } from './sse.ts';

/**
 * One answer's chunks as `chat.completion.chunk` frames on an open SSE stream, from its first
 * (already read: it decided the status), ending with `[DONE]`; an error after the first frame
 * is an error frame. Says how the answer ended: its last chunk, or the error.
 */
export async function writeChatStream(
  sse: SseStream,
  ids: CompletionIds,
  first: IteratorResult<Chunk>,
  iterator: AsyncIterator<Chunk>,
  options: { includeUsage: boolean; requestId: string },
): Promise<{ done?: DoneChunk; failure?: unknown }> {
  let done: DoneChunk | undefined;
  try {
    await sse.data(chatCompletionChunk(ids, { role: 'assistant', content: '' }, null));
    for (let next = first; next.done !== true; next = await iterator.next()) {
      const chunk = next.value;
      if (chunk.type === 'text') {
        await sse.data(textChunk(ids, chunk));
        continue;
      }
      done = chunk;
      for (const frame of finalChunks(ids, chunk, options.includeUsage)) await sse.data(frame);
    }
    return done === undefined ? {} : { done };
  } catch (failure) {
    await sse.data(toApiError(failure).toBody(options.requestId));
    return { failure };
  } finally {
    await sse.literal('[DONE]');
    sse.end();
  }
}
