import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { TargetConfig } from '../core/route.ts';
import { createAnthropicProvider } from './anthropic/anthropic.ts';
import { createGroqProvider } from './groq/groq.ts';
import { createLocalProvider } from './local/local.ts';
import { createMockProvider } from './mock/mock.ts';
import { createOpenAICompatibleProvider } from './openai-compatible/openai-compatible.ts';
import { createOpenAIProvider, OPENAI_BASE_URL, OPENAI_FORMAT } from './openai/openai.ts';
import { createOutboundAgents, type OutboundAgents } from './outbound-tls.ts';
import type { Provider } from './provider.ts';

export interface RegistryOptions {
  /**
   * The fetch every SDK client uses, except those of targets with `tls`: theirs is always the
   * target's own (outbound-tls.ts), never a fetch without its certificate. @default globalThis.fetch
   */
  fetch?: typeof fetch;
  /** Where targets with `tls` get their fetch. @default one set of Agents per registry */
  outbound?: OutboundAgents;
  /**
   * Where in-process local models live: a target's model `tiny` is `<modelsDir>/tiny`.
   * @default $INFERENCE_MODELS_DIR, else the repository's `models/`
   */
  modelsDir?: string;
  /** Provider instances kept (one SDK client each). @default 256 */
  maxClients?: number;
}

/**
 * Provider instances per target identity (kind, base URL, credential, TLS material), so the hot
 * path never builds an SDK client: a config reload that keeps a target keeps its client and its
 * pooled connections; a rotated key makes a new one, and rotated TLS material new connections
 * (outbound-tls.ts). The oldest instance goes when the cache is full.
 */
export function createProviderRegistry(
  options: RegistryOptions = {},
): (target: TargetConfig) => Provider {
  const mock = createMockProvider();
  const local = createLocalProvider({
    modelsDir:
      options.modelsDir ??
      process.env['INFERENCE_MODELS_DIR'] ??
      fileURLToPath(new URL('../../../models', import.meta.url)),
  });
  const cache = new Map<string, Provider>();
  const maxClients = options.maxClients ?? 256;
  const outbound = options.outbound ?? createOutboundAgents();
  const build = (target: TargetConfig): Provider => {
    const { baseURL, apiKey } = target;
    const common = {
      fetch:
        target.tls === undefined
          ? options.fetch
          : outbound.fetchFor(`${target.provider}\u0000${baseURL ?? ''}`, target.tls),
    };
    switch (target.provider) {
      case 'openai':
        return createOpenAIProvider({
          format: OPENAI_FORMAT,
          baseURL: baseURL ?? OPENAI_BASE_URL,
          apiKey,
          ...common,
        });
      case 'anthropic':
        return createAnthropicProvider({ baseURL, apiKey, ...common });
      case 'groq':
        return createGroqProvider({ baseURL, apiKey, ...common });
      case 'openai-compatible':
        return createOpenAICompatibleProvider({ baseURL, apiKey, ...common });
      case 'local':
        // An InferenceModel's model server (runtime: onnx or container) speaks the OpenAI API;
        // without a baseURL the model runs in this process (single-process mode, `make run`).
        return baseURL === undefined
          ? local
          : createOpenAICompatibleProvider({
              baseURL,
              apiKey,
              ...common,
              format: { provider: 'local', maxTokensField: 'max_tokens', images: false },
            });
      case 'mock':
        return mock;
    }
  };
  // Targets are immutable parts of a config snapshot: the hot path is one WeakMap lookup.
  const byTarget = new WeakMap<TargetConfig, Provider>();
  return (target) => {
    const known = byTarget.get(target);
    if (known !== undefined) return known;
    const provider = lookup(target);
    byTarget.set(target, provider);
    return provider;
  };

  function lookup(target: TargetConfig): Provider {
    if (target.provider === 'mock') return mock;
    if (target.provider === 'local' && target.baseURL === undefined) return local;
    const key = identity(target);
    let provider = cache.get(key);
    if (provider === undefined) {
      provider = build(target);
      const oldest = cache.keys().next();
      if (cache.size >= maxClients && oldest.done !== true) cache.delete(oldest.value);
      cache.set(key, provider);
    }
    return provider;
  }
}

function identity(target: TargetConfig): string {
  const secret =
    target.apiKey === undefined
      ? ''
      : createHash('sha256').update(target.apiKey).digest('base64url');
  return `${target.provider}\u0000${target.baseURL ?? ''}\u0000${secret}\u0000${target.tls?.id ?? ''}`;
}

/** The process-wide registry the dataplane's router uses. */
export const providerFor: (target: TargetConfig) => Provider = createProviderRegistry();
