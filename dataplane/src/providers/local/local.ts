import type { Chunk } from '../../core/types.ts';
import type { EmbeddingRequest, EmbeddingResult, Provider, ProviderRequest } from '../provider.ts';
import { isGgufModel, parseGgufModel } from './gguf-ref.ts';
import type { LlamaLocalModel } from './llama-model.ts';
import { parseLocalModel, readModelFiles } from './model-files.ts';
import { OnnxEncoder } from './onnx-encoder.ts';
import { generateWithOnnx } from './onnx-generate.ts';
import { OnnxCausalLM } from './onnx-model.ts';

export { hardware, type HardwareReport } from './hardware.ts';

export interface LocalProviderOptions {
  /** Where model folders live: model `tiny` is `<modelsDir>/tiny`. */
  modelsDir: string;
  /** Uniform in [0, 1); injectable so sampling tests are deterministic. */
  random?: () => number;
}

/**
 * @default 256 when neither the request nor generation_config.json's `max_new_tokens` says.
 */
export const DEFAULT_MAX_TOKENS = 256;

export interface LocalProvider extends Provider {
  /** Loads an ONNX model ahead of its first request (start-up preload); errors as a request's would. */
  load(model: string): Promise<OnnxCausalLM>;
  /** Releases every loaded model. */
  close(): Promise<void>;
}

interface Releasable {
  release(): Promise<void>;
}

/**
 * Models in this process, on two runtimes behind one provider (DESIGN §3): a model id that
 * names a `.gguf` file runs on llama.cpp (llama-generate.ts), any other names a folder in the
 * common ONNX export layout and runs on onnxruntime (onnx-generate.ts); embeddings come from an
 * ONNX encoder folder (onnx-encoder.ts). A model loads on first use and stays loaded; a model
 * that is missing or malformed fails with UPSTREAM_UNAVAILABLE naming the file, so a route
 * falls through to its next target.
 */
export function createLocalProvider(options: LocalProviderOptions): LocalProvider {
  const loaded = new Map<string, Promise<Releasable>>();
  /** One load per key; a failed load is not kept, so the next request tries again. */
  const once = <T extends Releasable>(key: string, loader: () => Promise<T>): Promise<T> => {
    let loading = loaded.get(key) as Promise<T> | undefined;
    if (loading === undefined) {
      loading = loader();
      loading.catch(() => loaded.delete(key));
      loaded.set(key, loading);
    }
    return loading;
  };
  const load = (model: string): Promise<OnnxCausalLM> => {
    const ref = parseLocalModel(model, options.modelsDir);
    return once(`causal\u0000${ref.dir}\u0000${ref.dtype}`, () =>
      readModelFiles(ref).then((files) => OnnxCausalLM.load(ref, files)),
    );
  };
  const loadGguf = (model: string): Promise<LlamaLocalModel> => {
    const ref = parseGgufModel(model, options.modelsDir);
    // node-llama-cpp loads on first use: importing it costs a process ~0.6 s and ~45 MiB.
    return once(`gguf\u0000${model}`, async () =>
      (await import('./llama-model.ts')).LlamaLocalModel.load(ref),
    );
  };
  const loadEncoder = (model: string): Promise<OnnxEncoder> => {
    const ref = parseLocalModel(model, options.modelsDir);
    return once(`encoder\u0000${ref.dir}\u0000${ref.dtype}`, () =>
      readModelFiles(ref).then((files) => OnnxEncoder.load(ref, files)),
    );
  };
  return {
    name: 'local',
    load,
    async *stream(request: ProviderRequest, signal: AbortSignal): AsyncIterable<Chunk> {
      if (isGgufModel(request.model)) {
        const model = await loadGguf(request.model);
        const { generateWithLlama } = await import('./llama-generate.ts');
        signal.throwIfAborted();
        yield* generateWithLlama(model, request, signal, {
          model: request.model,
          defaultMaxTokens: DEFAULT_MAX_TOKENS,
        });
        return;
      }
      const model = await load(request.model);
      signal.throwIfAborted();
      yield* generateWithOnnx(
        model,
        request,
        signal,
        options.random ?? Math.random,
        parseLocalModel(request.model, options.modelsDir),
        DEFAULT_MAX_TOKENS,
      );
    },
    async embed(request: EmbeddingRequest, signal: AbortSignal): Promise<EmbeddingResult> {
      const encoder = await loadEncoder(request.model);
      signal.throwIfAborted();
      return encoder.embed(request.input, request.dimensions);
    },
    async close() {
      const settled = await Promise.allSettled([...loaded.values()]);
      loaded.clear();
      await Promise.all(
        settled.flatMap((result) =>
          result.status === 'fulfilled' ? [result.value.release()] : [],
        ),
      );
    },
  };
}
