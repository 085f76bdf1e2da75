import { access } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import {
  JinjaTemplateChatWrapper,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
} from 'node-llama-cpp';
import { llamaRuntime, type LlamaRuntimeReport } from './llama-runtime.ts';
import type { GgufModelRef } from './gguf-ref.ts';
import { unavailable } from './model-files.ts';
import { SlotPool } from './slot-pool.ts';

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
