import type Anthropic from '@anthropic-ai/sdk';
import type { Chunk } from '../../core/types.ts';
import type { Provider, ProviderRequest } from '../provider.ts';
import { fromSdkError } from '../sdk-error.ts';
import { toMessageParams } from './request.ts';
import { decodeMessageStream } from './stream.ts';

/** Anthropic's public endpoint; a target's `baseURL` replaces it. */
export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';

/**
 * Anthropic's Messages API through the official `@anthropic-ai/sdk`: one client per provider
 * instance, no SDK retries (the router retries), no environment variables read. Errors,
 * `overloaded_error` (HTTP 529, or an `error` event mid-stream) included, map into the closed
 * vocabulary by the shared SDK mapping.
 */
export function createAnthropicProvider(options: {
  baseURL?: string | undefined;
  apiKey?: string | undefined;
  fetch?: typeof fetch | undefined;
}): Provider {
  // The SDK loads with the first call: a dataplane without Anthropic targets never holds it.
  let sdk: Promise<{ Sdk: typeof Anthropic; client: Anthropic }> | undefined;
  const load = () =>
    (sdk ??= import('@anthropic-ai/sdk').then(({ default: Sdk }) => ({
      Sdk,
      client: new Sdk({
        apiKey: options.apiKey ?? 'none',
        authToken: null,
        baseURL: options.baseURL ?? ANTHROPIC_BASE_URL,
        maxRetries: 0,
        timeout: 10 * 60_000,
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      }),
    })));
  return {
    name: 'anthropic',
    async *stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<Chunk> {
      const { Sdk, client } = await load();
      try {
        const events = await client.messages.create(toMessageParams(request), { signal });
        yield* decodeMessageStream(events);
      } catch (error) {
        throw fromSdkError(error, 'anthropic', Sdk);
      }
    },
  };
}
