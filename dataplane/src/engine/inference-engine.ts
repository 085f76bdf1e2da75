import type { InferenceInput } from '../core/inference-input.ts';
import { ApiError } from '../errors/api-error.ts';
import type { ConfigSnapshot } from '../config/snapshot.ts';
import type { ProviderRequest } from '../providers/provider.ts';
import type { Router, RouteEvents } from './routing/router.ts';
import type { RouteConfig } from '../core/route.ts';
import type { Semaphore } from './routing/semaphore.ts';
import type { ChatMessage, Chunk } from '../core/types.ts';

/** Prompt resolution as the engine needs it: trusted messages plus the prompt's defaults. */
export interface PromptSource {
  render(
    id: string,
    version: string | undefined,
    variables: Record<string, unknown>,
  ): {
    messages: ChatMessage[];
    model?: string;
    temperature?: number;
    topP?: number;
    maxTokens?: number;
  };
}

/** Input and output safety as the engine needs it; findings are metadata, never content. */
export interface Safety {
  /** Sanitises client-supplied messages and applies the input PII policy. */
  checkInput(messages: ChatMessage[]): { messages: ChatMessage[]; findings: number };
  /** The same for prompt variables: every string in them is client content. */
  checkVariables(variables: Record<string, unknown>): {
    variables: Record<string, unknown>;
    findings: number;
  };
  /** A per-stream output filter: text in, text out, holding back what may still be PII. */
  outputFilter(): { push(text: string): string; flush(): string };
}

export interface Prepared {
  route: RouteConfig;
  request: Omit<ProviderRequest, 'model'>;
  findings: number;
}

export interface EngineDeps {
  config: () => ConfigSnapshot;
  router: Router;
  semaphore: Semaphore;
  prompts: PromptSource;
  safety: Safety;
}

/**
 * The realtime pipeline after authentication: prompt resolution, input safety, route lookup,
 * then (in `run`) the concurrency limit, the router's fallback chain, and output safety.
 */
export class InferenceEngine {
  readonly #deps: EngineDeps;

  constructor(deps: EngineDeps) {
    this.#deps = deps;
  }

  prepare(input: InferenceInput): Prepared {
    if (
      input.prompt === undefined &&
      (input.messages === undefined || input.messages.length === 0)
    ) {
      throw new ApiError('BAD_REQUEST', 'body must name a prompt or carry messages', {
        details: { path: 'body.messages' },
      });
    }
    const variables =
      input.prompt === undefined
        ? undefined
        : this.#deps.safety.checkVariables(input.prompt.variables ?? {});
    const rendered =
      input.prompt === undefined || variables === undefined
        ? undefined
        : this.#deps.prompts.render(input.prompt.id, input.prompt.version, variables.variables);
    const client = this.#deps.safety.checkInput(input.messages ?? []);
    const alias = input.model ?? rendered?.model ?? this.#deps.config().gateway.defaultModel;
    if (alias === undefined) {
      throw new ApiError(
        'BAD_REQUEST',
        'body.model is required (no prompt or gateway default names one)',
        {
          details: { path: 'body.model' },
        },
      );
    }
    const route = this.#deps.config().routes.get(alias);
    if (route === undefined)
      throw new ApiError('MODEL_NOT_FOUND', `No route serves model ${alias}.`, {
        details: { model: alias },
      });
    const parameters = input.parameters ?? {};
    const temperature = parameters.temperature ?? rendered?.temperature;
    const topP = parameters.top_p ?? rendered?.topP;
    const maxTokens = parameters.max_tokens ?? rendered?.maxTokens;
    return {
      route,
      findings: client.findings + (variables?.findings ?? 0),
      request: {
        messages: [...(rendered?.messages ?? []), ...client.messages],
        ...(temperature === undefined ? {} : { temperature }),
        ...(topP === undefined ? {} : { topP }),
        ...(maxTokens === undefined ? {} : { maxTokens }),
        ...(parameters.stop === undefined ? {} : { stop: parameters.stop }),
      },
    };
  }

  /**
   * Takes a concurrency slot (or fails with OVERLOADED), then returns the answer's stream. The
   * slot is held until the stream ends; the caller must iterate it (or call `return`).
   */
  async open(
    prepared: Prepared,
    signal: AbortSignal,
    events: RouteEvents = {},
  ): Promise<AsyncIterable<Chunk>> {
    const release = await this.#deps.semaphore.acquire(signal);
    return this.#run(prepared, signal, events, release);
  }

  async *#run(
    prepared: Prepared,
    signal: AbortSignal,
    events: RouteEvents,
    release: () => void,
  ): AsyncIterable<Chunk> {
    const filter = this.#deps.safety.outputFilter();
    try {
      for await (const chunk of this.#deps.router.stream(
        prepared.route,
        prepared.request,
        signal,
        events,
      )) {
        if (chunk.type === 'text') {
          const text = filter.push(chunk.text);
          if (text !== '') yield { type: 'text', text };
        } else {
          const rest = filter.flush();
          if (rest !== '') yield { type: 'text', text: rest };
          yield chunk;
        }
      }
    } catch (error) {
      // What the filter held back was produced and is owed to the client, redacted.
      const rest = filter.flush();
      if (rest !== '') yield { type: 'text', text: rest };
      throw error;
    } finally {
      release();
    }
  }
}

/** Collects a stream into one answer, for the synchronous endpoints. */
export async function collect(
  chunks: AsyncIterable<Chunk>,
): Promise<{ text: string; done: Extract<Chunk, { type: 'done' }> }> {
  let text = '';
  for await (const chunk of chunks) {
    if (chunk.type === 'text') text += chunk.text;
    else return { text, done: chunk };
  }
  throw new ApiError('UPSTREAM_UNAVAILABLE', 'The provider ended the stream without finishing.');
}
