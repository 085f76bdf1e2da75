/**
 * The `jailguard` classifier: the MLP head of the crate `jailguard` 0.1.2 (MIT OR Apache-2.0,
 * vendored in models/jailguard/ with its sha256) over the all-MiniLM-L6-v2 sentence embedding.
 * The head is plain arithmetic and runs here; the embedding is an ONNX run, which is
 * asynchronous, so the engine embeds a request's texts before the synchronous sanitiser runs
 * (engine/injection-scores.ts) and hands it their probabilities: {@link scoredClassifier}.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const JAILGUARD_WEIGHTS = fileURLToPath(
  new URL('../../../models/jailguard/neural_binary_200k.json', import.meta.url),
);
/** The vendored file's sha256 (models/jailguard/README.md); another file is refused. */
export const JAILGUARD_SHA256 = 'de9c688c110c09ec69c465661d85251d66433849b57871ebf9a56cfbcffbc517';
/** The embedding the head reads: all-MiniLM-L6-v2's width. */
export const JAILGUARD_DIMENSIONS = 384;
/** jailguard's own tokens per text (embedded.rs `MAX_SEQ_LENGTH`). */
export const JAILGUARD_MAX_TOKENS = 256;

interface HeadJson {
  w_h1: number[][];
  b_h1: number[];
  w_h2: number[][];
  b_h2: number[];
  w_out: number[][];
  b_out: number[];
}

/** One dense layer, row-major (one row of weights per output unit), in float32 as the crate. */
class Dense {
  readonly #weights: Float32Array;
  readonly #bias: Float32Array;
  readonly inputs: number;

  constructor(rows: number[][], bias: number[], inputs: number) {
    if (rows.length !== bias.length || rows.some((row) => row.length !== inputs)) {
      throw new Error(`jailguard weights: a ${rows.length}×${inputs} layer has the wrong shape`);
    }
    this.#weights = Float32Array.from(rows.flat());
    this.#bias = Float32Array.from(bias);
    this.inputs = inputs;
  }

  /** W·x + b, through ReLU when `relu`. */
  apply(input: Float32Array, relu: boolean): Float32Array {
    const output = new Float32Array(this.#bias.length);
    for (let unit = 0; unit < output.length; unit++) {
      let sum = this.#bias[unit] ?? 0;
      const offset = unit * this.inputs;
      for (let index = 0; index < this.inputs; index++) {
        sum += (this.#weights[offset + index] ?? 0) * (input[index] ?? 0);
      }
      output[unit] = relu ? Math.max(0, sum) : sum;
    }
    return output;
  }
}

/** The 384 → 256 → 128 → 1 network of jailguard's `NeuralBinaryNetwork::forward_eval`. */
export class JailguardHead {
  readonly #layers: [Dense, Dense, Dense];

  private constructor(json: HeadJson) {
    const first = new Dense(json.w_h1, json.b_h1, JAILGUARD_DIMENSIONS);
    const second = new Dense(json.w_h2, json.b_h2, json.b_h1.length);
    const out = new Dense(json.w_out, json.b_out, json.b_h2.length);
    this.#layers = [first, second, out];
  }

  /**
   * Reads the weights, checking the sha256.
   * @throws Error naming the file when it is missing, altered or malformed.
   */
  static load(path = JAILGUARD_WEIGHTS, sha256 = JAILGUARD_SHA256): JailguardHead {
    const bytes = readFileSync(path);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) {
      throw new Error(`${path}: sha256 ${actual} is not jailguard 0.1.2's (${sha256})`);
    }
    return new JailguardHead(JSON.parse(bytes.toString('utf8')) as HeadJson);
  }

  /** P(injection) of a text from its L2-normalised embedding. */
  probability(embedding: ArrayLike<number>): number {
    if (embedding.length !== JAILGUARD_DIMENSIONS) {
      throw new Error(`jailguard reads ${JAILGUARD_DIMENSIONS}-dimension embeddings`);
    }
    const [first, second, out] = this.#layers;
    const hidden = second.apply(first.apply(Float32Array.from(embedding), true), true);
    const logit = out.apply(hidden, false)[0] ?? 0;
    return 1 / (1 + Math.exp(-logit));
  }
}

let head: JailguardHead | undefined;

/** The vendored head, read once per process (1.6 MB of JSON, some 50 ms). */
export function jailguardHead(): JailguardHead {
  head ??= JailguardHead.load();
  return head;
}
