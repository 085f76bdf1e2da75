/**
 * One loaded version of the model: its own local provider instance (so unloading it releases
 * exactly its sessions), a count of the requests it is serving, and the outcomes of its
 * answers (the swap's error-rate watch reads them). A request holds a lease from `acquire`
 * until its last chunk: `drain` waits for every lease to end, so an unload never cuts an answer.
 */
import type { Chunk } from '../core/types.ts';
import { isApiError } from '../errors/api-error.ts';
import type { EmbeddingRequest, EmbeddingResult, ProviderRequest } from '../providers/provider.ts';
import { createLocalProvider, type LocalProvider } from '../providers/local/local.ts';
import { UnsupportedParameter } from '../providers/unsupported.ts';
import {
  resolveModel,
  verifyChecksum,
  type ModelSpec,
  type ResolvedModel,
} from './model-source.ts';

/** The warm-up generation's message: a model is ready only once it has answered it. */
export const WARM_UP_MESSAGE = 'Warm-up.';

/** Which step of bringing a version up failed. */
export type LoadPhase = 'resolve' | 'verify' | 'load' | 'warm-up';

/** A version that could not be brought up; nothing of it stays loaded. */
export class ModelLoadError extends Error {
  readonly phase: LoadPhase;

  constructor(phase: LoadPhase, cause: unknown) {
    super(`${phase} failed: ${(cause as Error).message}`, { cause });
    this.name = 'ModelLoadError';
    this.phase = phase;
  }
}

/** How an answer ended, for the error-rate watch. */
export type Outcome = 'ok' | 'failed';

export interface LoadTimings {
  /** Checksum verification, ms (0 without a checksum). */
  verifyMs: number;
  /** Loading the weights, ms. */
  loadMs: number;
  /** The warm-up generation (or embedding), ms. */
  warmUpMs: number;
}

export class ServedModel {
  readonly spec: ModelSpec;
  readonly resolved: ResolvedModel;
  readonly timings: LoadTimings;
  readonly #provider: LocalProvider;
  #leases = 0;
  #idle: (() => void)[] = [];
  #outcomes: { at: number; outcome: Outcome }[] = [];
  #unloaded = false;

  private constructor(
    spec: ModelSpec,
    resolved: ResolvedModel,
    provider: LocalProvider,
    timings: LoadTimings,
  ) {
    this.spec = spec;
    this.resolved = resolved;
    this.#provider = provider;
    this.timings = timings;
  }

  /** Resolves, verifies, loads and warms up a version; nothing stays loaded when any step fails. */
  static async load(spec: ModelSpec): Promise<ServedModel> {
    const started = performance.now();
    const resolved = await resolveModel(spec).catch((error: unknown) => {
      throw new ModelLoadError('resolve', error);
    });
    if (spec.checksum !== undefined) {
      await verifyChecksum(resolved.weightsPath, spec.checksum).catch((error: unknown) => {
        throw new ModelLoadError('verify', error);
      });
    }
    const verified = performance.now();
    // Ids are absolute paths, so the models folder is never used.
    const provider = createLocalProvider({ modelsDir: '/' });
    try {
      if (resolved.runtime === 'onnx' && resolved.task === 'chat') {
        await provider.load(resolved.id).catch((error: unknown) => {
          throw new ModelLoadError('load', error);
        });
      }
      const loaded = performance.now();
      // A GGUF and an encoder load on their first call: the warm-up's.
      await warmUp(provider, resolved).catch((error: unknown) => {
        throw new ModelLoadError(
          resolved.task === 'chat' && resolved.runtime === 'onnx' ? 'warm-up' : 'load',
          error,
        );
      });
      const warm = performance.now();
      return new ServedModel(spec, resolved, provider, {
        verifyMs: verified - started,
        loadMs: loaded - verified,
        warmUpMs: warm - loaded,
      });
    } catch (error) {
      await provider.close();
      throw error;
    }
  }

  get version(): string {
    return this.spec.version;
  }

  /** Requests this version is serving now. */
  get leases(): number {
    return this.#leases;
  }

  /** Counts a request in until the returned function is called (exactly once). */
  acquire(): () => void {
    this.#leases++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#leases--;
      if (this.#leases === 0) for (const resolve of this.#idle.splice(0)) resolve();
    };
  }

  /** Resolves once no request holds a lease. */
  drain(): Promise<void> {
    if (this.#leases === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async *stream(
    request: Omit<ProviderRequest, 'model'>,
    signal: AbortSignal,
  ): AsyncIterable<Chunk> {
    try {
      yield* this.#provider.stream({ ...request, model: this.resolved.id }, signal);
      this.#record('ok');
    } catch (error) {
      if (!signal.aborted) this.#record(countsAsFailure(error) ? 'failed' : 'ok');
      throw error;
    }
  }

  async embed(
    request: Omit<EmbeddingRequest, 'model'>,
    signal: AbortSignal,
  ): Promise<EmbeddingResult> {
    try {
      const result = await embedWith(
        this.#provider,
        { ...request, model: this.resolved.id },
        signal,
      );
      this.#record('ok');
      return result;
    } catch (error) {
      this.#record(countsAsFailure(error) ? 'failed' : 'ok');
      throw error;
    }
  }

  /** Answers and failures since `sinceMs` (performance.now() time). */
  outcomesSince(sinceMs: number): { total: number; failed: number } {
    const recent = this.#outcomes.filter((entry) => entry.at >= sinceMs);
    return { total: recent.length, failed: recent.filter((e) => e.outcome === 'failed').length };
  }

  /** Releases the version's sessions; call after `drain`. */
  async unload(): Promise<void> {
    if (this.#unloaded) return;
    this.#unloaded = true;
    this.#outcomes = [];
    await this.#provider.close();
  }

  #record(outcome: Outcome): void {
    const now = performance.now();
    this.#outcomes.push({ at: now, outcome });
    // Five minutes is longer than any rollback window.
    while ((this.#outcomes[0]?.at ?? now) < now - 300_000) this.#outcomes.shift();
  }
}

/**
 * A failure of the model, not of the request: anything the runtime throws except a refused
 * parameter (tools, images, a JSON format the runtime cannot enforce) and a prompt longer than
 * the context. A chat template that refuses messages the old version took counts: it is the
 * regression a rollback is for.
 */
function countsAsFailure(error: unknown): boolean {
  if (error instanceof UnsupportedParameter) return false;
  return !(isApiError(error) && error.code === 'CONTEXT_LENGTH_EXCEEDED');
}

async function warmUp(provider: LocalProvider, resolved: ResolvedModel): Promise<void> {
  const signal = new AbortController().signal;
  if (resolved.task === 'embeddings') {
    await embedWith(provider, { model: resolved.id, input: [WARM_UP_MESSAGE] }, signal);
    return;
  }
  const request = {
    model: resolved.id,
    messages: [{ role: 'user' as const, content: WARM_UP_MESSAGE }],
    maxTokens: 4,
    temperature: 0,
  };
  for await (const chunk of provider.stream(request, signal)) if (chunk.type === 'done') return;
  throw new Error(`The warm-up generation of ${resolved.id} ended without an answer.`);
}

function embedWith(
  provider: LocalProvider,
  request: EmbeddingRequest,
  signal: AbortSignal,
): Promise<EmbeddingResult> {
  if (provider.embed === undefined) throw new Error('The local provider has no embeddings.');
  return provider.embed(request, signal);
}
