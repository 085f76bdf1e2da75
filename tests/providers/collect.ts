import type { Chunk } from '../../dataplane/src/core/types.ts';
import type { Provider, ProviderRequest } from '../../dataplane/src/providers/provider.ts';

export type Done = Extract<Chunk, { type: 'done' }>;

/** Runs one provider call to its end: the text pieces in order and the done chunk. */
export async function collectStream(
  provider: Provider,
  request: ProviderRequest,
  signal = new AbortController().signal,
): Promise<{ pieces: string[]; text: string; done: Done }> {
  const pieces: string[] = [];
  for await (const chunk of provider.stream(request, signal)) {
    if (chunk.type === 'text') pieces.push(chunk.text);
    else return { pieces, text: pieces.join(''), done: chunk };
  }
  throw new Error('the stream ended without a done chunk');
}

/** The error a provider call fails with (the test fails if it does not). */
export async function failure(provider: Provider, request: ProviderRequest): Promise<unknown> {
  try {
    await collectStream(provider, request);
  } catch (error) {
    return error;
  }
  throw new Error('the call succeeded');
}
