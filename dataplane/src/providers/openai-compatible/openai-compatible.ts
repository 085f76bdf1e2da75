import { ApiError } from '../../errors/api-error.ts';
import type { Provider } from '../provider.ts';
import { createOpenAIProvider } from '../openai/openai.ts';
import type { OpenAIFormat } from '../openai/request.ts';

/** Servers that speak the OpenAI API (vLLM, TGI, Ollama, the dataplane's model servers). */
export const OPENAI_COMPATIBLE_FORMAT: OpenAIFormat = {
  provider: 'openai-compatible',
  maxTokensField: 'max_tokens',
  images: true,
};

/**
 * Configuration on the OpenAI base (STYLE §11): the target's `baseURL` (required: the CRD's
 * CEL rule says so, and a config that slipped past it fails every call clearly) and an optional
 * key.
 */
export function createOpenAICompatibleProvider(options: {
  baseURL?: string | undefined;
  apiKey?: string | undefined;
  fetch?: typeof fetch | undefined;
  format?: OpenAIFormat;
}): Provider {
  const format = options.format ?? OPENAI_COMPATIBLE_FORMAT;
  if (options.baseURL === undefined) {
    return {
      name: format.provider,
      stream() {
        throw new ApiError('UPSTREAM_UNAVAILABLE', `Provider ${format.provider} needs a baseURL.`);
      },
    };
  }
  return createOpenAIProvider({
    format,
    baseURL: options.baseURL,
    apiKey: options.apiKey,
    fetch: options.fetch,
  });
}
