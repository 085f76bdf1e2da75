import OpenAI from 'openai';
import type { Chunk } from '../../engine/types.ts';
import type { EmbeddingRequest, EmbeddingResult, Provider, ProviderRequest } from '../provider.ts';
import { fromSdkError } from '../sdk-error.ts';
import { toChatParams, type OpenAIFormat } from './request.ts';
import { decodeChatStream } from './stream.ts';

/** OpenAI's public endpoint; a target's `baseURL` replaces it. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAIProviderOptions {
  format: OpenAIFormat;
  baseURL: string;
  /** Servers without authentication (a local vLLM) get a placeholder. */
  apiKey?: string | undefined;
  fetch?: typeof fetch | undefined;
}

export const OPENAI_FORMAT: OpenAIFormat = {
  provider: 'openai',
  maxTokensField: 'max_completion_tokens',
  images: true,
};

/**
 * Any OpenAI-format service through the official `openai` SDK: OpenAI itself and, with
 * another format and base URL, vLLM, TGI, Ollama or the dataplane's own model servers. One
 * client per provider instance (the registry keeps one instance per target identity); the SDK
 * never retries (the router does) and never reads its environment variables (a target's
 * configuration is the whole truth).
 */
export function createOpenAIProvider(options: OpenAIProviderOptions): Provider {
  const { format } = options;
  const client = new OpenAI({
    apiKey: options.apiKey ?? 'none',
    baseURL: options.baseURL,
    organization: null,
    project: null,
    maxRetries: 0,
    // The router's per-chunk timeout and the request deadline bound every call.
    timeout: 10 * 60_000,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  return {
    name: format.provider,
    async *stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<Chunk> {
      try {
        const stream = await client.chat.completions.create(toChatParams(request, format), {
          signal,
        });
        yield* decodeChatStream(stream, format.provider);
      } catch (error) {
        throw fromSdkError(error, format.provider, OpenAI);
      }
    },
    async embed(request: EmbeddingRequest, signal: AbortSignal): Promise<EmbeddingResult> {
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
        throw fromSdkError(error, format.provider, OpenAI);
      }
    },
  };
}
