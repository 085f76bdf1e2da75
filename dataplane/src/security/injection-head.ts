/**
 * The `minilm_head` classifier: a logistic regression over the all-MiniLM-L6-v2 sentence
 * embedding, trained in this repository (scripts/train-injection-head.ts) on public attack and
 * benign texts from registry packages (scripts/fetch-injection-training.py), none from the
 * corpora it is measured on. Its weights are models/minilm-head/head.json, checked by sha256.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const MINILM_HEAD_WEIGHTS = fileURLToPath(
  new URL('../../../models/minilm-head/head.json', import.meta.url),
);
/** The committed file's sha256 (models/minilm-head/README.md); another file is refused. */
export const MINILM_HEAD_SHA256 =
  '5d39474aa9e74b1869adb932611273c539245deb39fb66dac68b81a9dc49ba9b';
/** all-MiniLM-L6-v2's width. */
export const MINILM_DIMENSIONS = 384;

/** What the trainer writes: the model, then how it was made (read by no code here). */
export interface HeadFile {
  weights: number[];
  bias: number;
  training: Record<string, unknown>;
}

/** σ(w·x + b) over an L2-normalised embedding. */
export class LogisticHead {
  readonly #weights: Float64Array;
  readonly #bias: number;

  constructor(weights: ArrayLike<number>, bias: number) {
    if (weights.length !== MINILM_DIMENSIONS) {
      throw new Error(`minilm_head weights: ${weights.length} of ${MINILM_DIMENSIONS}`);
    }
    this.#weights = Float64Array.from(weights);
    this.#bias = bias;
  }

  /**
   * Reads the weights, checking the sha256.
   * @throws Error naming the file when it is missing, altered or malformed.
   */
  static load(path = MINILM_HEAD_WEIGHTS, sha256 = MINILM_HEAD_SHA256): LogisticHead {
    const bytes = readFileSync(path);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) {
      throw new Error(`${path}: sha256 ${actual} is not the trained head's (${sha256})`);
    }
    const file = JSON.parse(bytes.toString('utf8')) as HeadFile;
    return new LogisticHead(file.weights, file.bias);
  }

  /** P(injection) of a text from its embedding. */
  probability(embedding: ArrayLike<number>): number {
    if (embedding.length !== MINILM_DIMENSIONS) {
      throw new Error(`minilm_head reads ${MINILM_DIMENSIONS}-dimension embeddings`);
    }
    let logit = this.#bias;
    for (let index = 0; index < MINILM_DIMENSIONS; index++) {
      logit += (this.#weights[index] ?? 0) * (embedding[index] ?? 0);
    }
    return 1 / (1 + Math.exp(-logit));
  }
}

let head: LogisticHead | undefined;

/** The committed head, read once per process. */
export function minilmHead(): LogisticHead {
  head ??= LogisticHead.load();
  return head;
}
