import { access } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { isAbsolute, join } from 'node:path';
import {
  JinjaTemplateChatWrapper,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
} from 'node-llama-cpp';
import { llamaRuntime, type LlamaRuntimeReport } from './llama-runtime.ts';
import { unavailable } from './model-files.ts';
import { SlotPool } from './slot-pool.ts';

/**
 * A GGUF target's model id: a path ending in `.gguf` (relative to the models folder, or
 * absolute), with optional settings as a query: `…/model.gguf?parallel=4&queue=16&context=2048`.
 */
export interface GgufModelRef {
  path: string;
  /** The id as configured, for messages. */
  id: string;
  /** Sequences generating at once (one llama.cpp context, evaluated in one batch). @default 4 */
  parallel: number;
  /** Requests that may wait for a sequence; one more is refused. @default 16 */
  maxQueue: number;
  /** Tokens each sequence holds, prompt and answer together. @default 2048 */
  contextSize: number;
}

const SETTINGS = {
  parallel: { fallback: 4, min: 1, max: 64 },
  queue: { fallback: 16, min: 0, max: 10_000 },
  context: { fallback: 2048, min: 256, max: 131_072 },
} as const;

/** Whether a local model id names a GGUF file (the llama.cpp runtime) rather than an ONNX folder. */
export function isGgufModel(id: string): boolean {
  return (id.split('?', 1)[0] ?? '').toLowerCase().endsWith('.gguf');
}

export function parseGgufModel(id: string, modelsDir: string): GgufModelRef {
  const [name = '', query = ''] = id.split('?', 2);
  const options = new URLSearchParams(query);
  for (const key of options.keys()) {
    if (!(key in SETTINGS)) {
      throw unavailable(
        id,
        `${key} is not a GGUF model setting (${Object.keys(SETTINGS).join(', ')})`,
      );
    }
  }
  const setting = (key: keyof typeof SETTINGS): number => {
    const { fallback, min, max } = SETTINGS[key];
    const text = options.get(key);
    if (text === null) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw unavailable(id, `${key}=${text} is not an integer from ${min} to ${max}`);
    }
    return value;
  };
  return {
    path: isAbsolute(name) ? name : join(modelsDir, name),
    id,
    parallel: setting('parallel'),
    maxQueue: setting('queue'),
    contextSize: setting('context'),
  };
}

/**
 * A GGUF model on llama.cpp: the weights, one context with `parallel` sequences, and the pool
 * that lends them. The context's `threads` are set to the machine's parallelism: left to
 * node-llama-cpp's default, a 2-vCPU VM took ~25 s per short answer instead of ~0.1 s.
 */
export class LlamaLocalModel {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly sequences: SlotPool<LlamaContextSequence>;
  readonly contextSize: number;
  readonly runtime: LlamaRuntimeReport;
  /**
   * The GGUF's own Jinja chat template (its default system prompt included); node-llama-cpp's
   * built-in wrapper for the template's family when the file has none.
   */
  readonly chatWrapper: ChatWrapper | 'auto';
  readonly #context: LlamaContext;

  private constructor(
    llama: Llama,
    runtime: LlamaRuntimeReport,
    model: LlamaModel,
    context: LlamaContext,
    maxQueue: number,
  ) {
    this.llama = llama;
    this.runtime = runtime;
    this.model = model;
    this.#context = context;
    this.contextSize = context.contextSize;
    const template = model.fileInfo.metadata.tokenizer.chat_template;
    this.chatWrapper =
      typeof template === 'string' ? new JinjaTemplateChatWrapper({ template }) : 'auto';
    const sequences = Array.from({ length: context.totalSequences }, () => context.getSequence());
    this.sequences = new SlotPool(sequences, maxQueue);
  }

  static async load(ref: GgufModelRef): Promise<LlamaLocalModel> {
    await access(ref.path).catch(() => {
      throw unavailable(ref.id, `${ref.path} does not exist (run \`make models\` to fetch it)`);
    });
    const { llama, report } = await llamaRuntime();
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: ref.path });
    } catch (error) {
      throw unavailable(ref.id, `llama.cpp could not load ${ref.path} (${firstLine(error)})`);
    }
    try {
      const context = await model.createContext({
        contextSize: ref.contextSize,
        sequences: ref.parallel,
        threads: availableParallelism(),
      });
      return new LlamaLocalModel(llama, report, model, context, ref.maxQueue);
    } catch (error) {
      await model.dispose();
      throw unavailable(ref.id, `llama.cpp could not create its context (${firstLine(error)})`);
    }
  }

  async release(): Promise<void> {
    await this.#context.dispose();
    await this.model.dispose();
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
