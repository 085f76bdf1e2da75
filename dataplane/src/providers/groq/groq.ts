import type Groq from 'groq-sdk';
import type { ChatCompletionCreateParamsStreaming } from 'groq-sdk/resources/chat/completions';
import type { ApiError } from '../../errors/api-error.ts';
import type { Chunk } from '../../core/types.ts';
import { toChatParams, type OpenAIFormat } from '../openai/request.ts';
import { decodeChatStream } from '../openai/stream.ts';
import type { Provider, ProviderRequest } from '../provider.ts';
import { fromSdkError } from '../sdk-error.ts';
import { ProviderError, retryAfterMs } from '../upstream-error.ts';
import { groqWaitMs, RateLimitEscalation } from './rate-limit.ts';

/** Groq's public endpoint (the SDK adds `/openai/v1`); a target's `baseURL` replaces it. */
export const GROQ_BASE_URL = 'https://api.groq.com';

/** Groq's API documents `logprobs` and `top_logprobs` as not supported: refused by name. */
const GROQ_FORMAT: OpenAIFormat = {
  provider: 'groq',
  maxTokensField: 'max_tokens',
  images: true,
  logprobs: false,
};

/**
 * Groq through the official `groq-sdk`: the OpenAI wire format (shared request and stream
 * modules), model ids only from the target (the ProviderRoute, or an env var through
 * `modelFrom`: never from this code), and a backoff on its rate limits that is harsher than the
 * route's: Groq's limits are per minute and per day, and hammering them only extends the wait.
 */
export function createGroqProvider(options: {
  baseURL?: string | undefined;
  apiKey?: string | undefined;
  fetch?: typeof fetch | undefined;
  escalation?: RateLimitEscalation;
}): Provider {
  // The SDK loads with the first call: a dataplane without Groq targets never holds it.
  let sdk: Promise<{ Sdk: typeof Groq; client: Groq }> | undefined;
  const load = () =>
    (sdk ??= import('groq-sdk').then(({ default: Sdk }) => ({
      Sdk,
      client: new Sdk({
        apiKey: options.apiKey ?? 'none',
        baseURL: options.baseURL ?? GROQ_BASE_URL,
        maxRetries: 0,
        timeout: 10 * 60_000,
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      }),
    })));
  const escalation = options.escalation ?? new RateLimitEscalation();
  return {
    name: 'groq',
    async *stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<Chunk> {
      // Refusals (a parameter Groq cannot take) come before the SDK loads or any call.
      const params = toChatParams(
        request,
        GROQ_FORMAT,
      ) as unknown as ChatCompletionCreateParamsStreaming;
      const { Sdk, client } = await load();
      try {
        const stream = await client.chat.completions.create(params, { signal });
        for await (const chunk of decodeChatStream(stream, 'groq')) {
          if (chunk.type === 'done') escalation.reset();
          yield chunk;
        }
      } catch (error) {
        throw escalate(fromSdkError(error, 'groq', Sdk), error, escalation, Sdk);
      }
    },
  };
}

/** A Groq 429 waits at least what Groq's headers say and at least the escalating floor. */
function escalate(
  mapped: ApiError,
  raw: unknown,
  escalation: RateLimitEscalation,
  Sdk: typeof Groq,
): ApiError {
  if (mapped.code !== 'UPSTREAM_RATE_LIMITED') return mapped;
  const headers = raw instanceof Sdk.APIError ? (raw.headers as Headers | undefined) : undefined;
  const wait = Math.max(groqWaitMs(headers) ?? retryAfterMs(mapped) ?? 0, escalation.next());
  return new ProviderError(mapped.code, mapped.message, {
    ...(mapped.details === undefined ? {} : { details: mapped.details }),
    retryAfterMs: wait,
    cause: raw,
  });
}
