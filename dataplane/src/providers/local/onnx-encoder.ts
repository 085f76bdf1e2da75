import * as tokenizers from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { availableParallelism } from 'node:os';
import type { EmbeddingResult } from '../provider.ts';
import { UnsupportedParameter } from '../unsupported.ts';
import { unavailable, type LocalModelRef, type ModelFiles } from './model-files.ts';

/** The part of @huggingface/tokenizers' Tokenizer an encoder uses (see chat-tokenizer.ts). */
interface WordPieceTokenizer {
  encode(text: string): { ids: number[] };
}
const { Tokenizer } = tokenizers as unknown as {
  Tokenizer: new (tokenizerJson: object, config: object) => WordPieceTokenizer;
};

/**
 * A sentence-embedding encoder in the common export layout (BERT-style: input_ids,
 * attention_mask, token_type_ids → last_hidden_state), such as all-MiniLM-L6-v2: texts are
 * tokenised with the special tokens, cut at the tokenizer's truncation length (else the
 * model's positions), padded into one batch, and the hidden states mean-pooled over the mask
 * and L2-normalised, as sentence-transformers does, so a dot product is the cosine.
 */
export class OnnxEncoder {
  readonly dimensions: number;
  readonly #session: ort.InferenceSession;
  readonly #tokenizer: WordPieceTokenizer;
  readonly #maxTokens: number;
  readonly #padId: number;
  readonly #id: string;

  private constructor(
    session: ort.InferenceSession,
    files: ModelFiles,
    id: string,
    dimensions: number,
  ) {
    this.#session = session;
    this.#tokenizer = new Tokenizer(files.tokenizer, files.tokenizerConfig);
    const json = files.tokenizer as {
      truncation?: { max_length?: number } | null;
      padding?: { pad_id?: number } | null;
    };
    this.#maxTokens = json.truncation?.max_length ?? files.config.max_position_embeddings ?? 512;
    this.#padId = json.padding?.pad_id ?? 0;
    this.#id = id;
    this.dimensions = dimensions;
  }

  static async load(ref: LocalModelRef, files: ModelFiles): Promise<OnnxEncoder> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(files.onnxPath, {
        graphOptimizationLevel: 'all',
        executionProviders: ['cpu'],
        intraOpNumThreads: availableParallelism(),
      });
    } catch (error) {
      throw unavailable(
        ref.id,
        `onnxruntime could not load ${files.onnxPath} (${(error as Error).message.split('\n')[0] ?? ''})`,
      );
    }
    if (
      !session.inputNames.includes('input_ids') ||
      !session.outputNames.includes('last_hidden_state')
    ) {
      await session.release();
      throw unavailable(
        ref.id,
        `${files.onnxPath} is not an encoder export (it needs input_ids and last_hidden_state)`,
      );
    }
    const hidden = files.config.hidden_size;
    if (hidden === undefined) throw unavailable(ref.id, 'config.json has no hidden_size');
    return new OnnxEncoder(session, files, ref.id, hidden);
  }

  async embed(texts: readonly string[], dimensions: number | undefined): Promise<EmbeddingResult> {
    if (dimensions !== undefined && dimensions !== this.dimensions) {
      throw new UnsupportedParameter(
        'local',
        'dimensions',
        `Local model ${this.#id} makes ${this.dimensions}-dimension vectors; it cannot make ${dimensions}.`,
      );
    }
    if (texts.length === 0) return { vectors: [], inputTokens: 0 };
    const encoded = texts.map((text) => this.#truncate(this.#tokenizer.encode(text).ids));
    const width = Math.max(...encoded.map((ids) => ids.length));
    const ids = new BigInt64Array(texts.length * width).fill(BigInt(this.#padId));
    const mask = new BigInt64Array(texts.length * width);
    for (const [row, tokens] of encoded.entries()) {
      for (const [column, token] of tokens.entries()) {
        ids[row * width + column] = BigInt(token);
        mask[row * width + column] = 1n;
      }
    }
    const dims = [texts.length, width];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
    };
    if (this.#session.inputNames.includes('token_type_ids')) {
      feeds['token_type_ids'] = new ort.Tensor('int64', new BigInt64Array(ids.length), dims);
    }
    const outputs = await this.#session.run(feeds);
    const hidden = outputs['last_hidden_state']?.data as Float32Array;
    const size = this.dimensions;
    const vectors = encoded.map((tokens, row) => {
      const vector = new Float64Array(size);
      for (let column = 0; column < tokens.length; column++) {
        const offset = (row * width + column) * size;
        for (let index = 0; index < size; index++) {
          vector[index] = (vector[index] ?? 0) + (hidden[offset + index] ?? 0);
        }
      }
      const norm = Math.hypot(...vector) || 1;
      return Array.from(vector, (value) => value / norm);
    });
    return { vectors, inputTokens: encoded.reduce((total, tokens) => total + tokens.length, 0) };
  }

  release(): Promise<void> {
    return this.#session.release();
  }

  /** At most the truncation length, keeping the closing special token ([SEP]). */
  #truncate(ids: number[]): number[] {
    if (ids.length <= this.#maxTokens) return ids;
    return [...ids.slice(0, this.#maxTokens - 1), ids.at(-1) ?? this.#padId];
  }
}
