import type OpenAI from 'openai';
import type * as OpenAISdk from 'openai';
import type { Chunk, FullAnswer } from '../../core/types.ts';
import type { EmbeddingRequest, EmbeddingResult, Provider, ProviderRequest } from '../provider.ts';
import { fromSdkError } from '../sdk-error.ts';
import { toUpstreamError } from '../upstream-error.ts';
import { createChatHttp } from './http.ts';
import { decodeChatCompletion, type WireCompletion } from './completion.ts';
import { toChatParams, toWholeChatParams, type OpenAIFormat } from './request.ts';
import { decodeChatStream } from './stream.ts';

/** OpenAI's public endpoint; a target's `baseURL` replaces it. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAIProviderOptions {
  format: OpenAIFormat;
  baseURL: string;
  /** Servers without authentication (a local vLLM) get a placeholder. */
  apiKey?: string | undefined;
  /** A fetch for the SDK: given, every call goes through the SDK with it (tests, proxies). */
  fetch?: typeof fetch | undefined;
}

export const OPENAI_FORMAT: OpenAIFormat = {
  provider: 'openai',
  maxTokensField: 'max_completion_tokens',
  images: true,
  userField: 'safety_identifier',
};

type OpenAIModule = typeof OpenAISdk;

/**
 * Any OpenAI-format service: OpenAI itself and, with another format and base URL, vLLM, TGI,
 * Ollama or the dataplane's own model servers. Chat calls (streamed, and whole for the
 * synchronous surfaces) go over a lean undici pool
 * (`http.ts`: one per provider instance; the registry keeps one instance per target identity)
 * with the SDK's error mapping; embeddings (and every call when a `fetch` is given) use the
 * official `openai` SDK, loaded on first use. Nothing retries here (the router does) and
 * nothing reads environment variables (a target's configuration is the whole truth).
 */
export function createOpenAIProvider(options: OpenAIProviderOptions): Provider {
  const { format } = options;
  const apiKey = options.apiKey ?? 'none';
  const http =
    options.fetch === undefined
      ? createChatHttp({ provider: format.provider, baseURL: options.baseURL, apiKey })
      : undefined;
  let sdk: Promise<{ module: OpenAIModule; client: OpenAI }> | undefined;
  const loadSdk = () =>
    (sdk ??= import('openai').then((module) => ({
      module,
      client: new module.OpenAI({
        apiKey,
        baseURL: options.baseURL,
        organization: null,
        project: null,
        maxRetries: 0,
        // The router's per-chunk timeout and the request deadline bound every call.
        timeout: 10 * 60_000,
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      }),
    })));
  return {
    name: format.provider,
    async *stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<Chunk> {
      const params = toChatParams(request, format);
      const asked = { logprobs: request.logprobs !== undefined };
      if (http !== undefined) {
        try {
          yield* decodeChatStream(await http.chat(params, signal), format.provider, asked);
        } catch (error) {
          throw toUpstreamError(error);
        }
        return;
      }
      const { module, client } = await loadSdk();
      try {
        const stream = await client.chat.completions.create(params, { signal });
        yield* decodeChatStream(stream, format.provider, asked);
      } catch (error) {
        throw fromSdkError(error, format.provider, module.OpenAI);
      }
    },
    async complete(request: ProviderRequest, signal: AbortSignal): Promise<FullAnswer> {
      const params = toWholeChatParams(request, format);
      const asked = { logprobs: request.logprobs !== undefined };
      if (http !== undefined) {
        try {
          return decodeChatCompletion(
            (await http.complete(params, signal)) as WireCompletion,
            format.provider,
            asked,
          );
        } catch (error) {
          throw toUpstreamError(error);
        }
      }
      const { module, client } = await loadSdk();
      let answer: WireCompletion;
      try {
        answer = await client.chat.completions.create(params, { signal });
      } catch (error) {
        throw fromSdkError(error, format.provider, module.OpenAI);
      }
      return decodeChatCompletion(answer, format.provider, asked);
    },
    async embed(request: EmbeddingRequest, signal: AbortSignal): Promise<EmbeddingResult> {
      const { module, client } = await loadSdk();
      try {
        const answer = await client.embeddings.create(
          {
            model: request.model,
            input: request.input,
            encoding_format: 'float',
            ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
          },
          { signal },
        );
        const vectors = [...answer.data]
          .sort((a, b) => a.index - b.index)
          .map((item) => item.embedding);
        return { vectors, inputTokens: answer.usage.prompt_tokens };
      } catch (error) {
        throw fromSdkError(error, format.provider, module.OpenAI);
      }
    },
  };
}
