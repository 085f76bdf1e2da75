import * as ort from 'onnxruntime-node';
import { ChatTokenizer } from './chat-tokenizer.ts';
import { hardware } from './hardware.ts';
import {
  unavailable,
  type GenerationConfig,
  type LocalModelRef,
  type ModelFiles,
} from './model-files.ts';

/** The key/value cache between steps: the last step's `present.*` tensors, fed as `past_key_values.*`. */
export interface KvCache {
  length: number;
  tensors: Record<string, ort.Tensor>;
}

interface PastInput {
  name: string;
  /** The output that feeds it next step: `past_key_values.0.key` ← `present.0.key`. */
  present: string;
  type: 'float32' | 'float16';
  dims: [number, number, number, number];
}

/**
 * A decoder-only model in the common export layout (input_ids, attention_mask, position_ids,
 * past_key_values.* → logits, present.*), on one onnxruntime session (sessions are safe for
 * concurrent runs, so every generation shares it). One step feeds the new tokens and the cache
 * and returns the last position's logits and the grown cache.
 */
export class OnnxCausalLM {
  readonly tokenizer: ChatTokenizer;
  readonly generation: GenerationConfig;
  readonly eos: ReadonlySet<number>;
  readonly maxPositions: number;
  /** The execution provider the session was created with. */
  readonly executionProvider: 'cuda' | 'cpu';
  readonly #session: ort.InferenceSession;
  readonly #inputs: ReadonlySet<string>;
  readonly #past: readonly PastInput[];

  private constructor(
    session: ort.InferenceSession,
    executionProvider: 'cuda' | 'cpu',
    files: ModelFiles,
    past: PastInput[],
  ) {
    this.#session = session;
    this.executionProvider = executionProvider;
    this.#inputs = new Set(session.inputNames);
    this.#past = past;
    this.tokenizer = new ChatTokenizer(files.tokenizer, files.tokenizerConfig);
    this.generation = files.generation;
    const eos = [files.generation.eos_token_id, files.config.eos_token_id].flat();
    const eosToken = this.tokenizer.tokenId(this.tokenizer.eosToken);
    this.eos = new Set([
      ...eos.filter((id): id is number => typeof id === 'number'),
      ...(eosToken === undefined ? [] : [eosToken]),
    ]);
    this.maxPositions = files.config.max_position_embeddings ?? 2048;
  }

  static async load(ref: LocalModelRef, files: ModelFiles): Promise<OnnxCausalLM> {
    const { session, executionProvider } = await createSession(ref, files.onnxPath);
    const names = new Set(session.inputNames);
    if (!names.has('input_ids') || !session.outputNames.includes('logits')) {
      await session.release();
      throw unavailable(
        ref.id,
        `${files.onnxPath} is not a decoder-only export (it needs input_ids and logits)`,
      );
    }
    const past: PastInput[] = [];
    const heads = files.config.num_key_value_heads ?? files.config.num_attention_heads ?? 0;
    const headDim =
      files.config.head_dim ??
      Math.floor((files.config.hidden_size ?? 0) / (files.config.num_attention_heads ?? 1));
    for (const meta of session.inputMetadata) {
      if (!meta.name.startsWith('past_key_values.')) continue;
      const present = meta.name.replace('past_key_values.', 'present.');
      const type = meta.isTensor ? meta.type : undefined;
      if (!session.outputNames.includes(present) || (type !== 'float32' && type !== 'float16')) {
        await session.release();
        throw unavailable(ref.id, `${meta.name} has no float ${present} output to feed it`);
      }
      const shape = meta.isTensor ? meta.shape : [];
      const dim = (index: number, fallback: number) =>
        typeof shape[index] === 'number' ? shape[index] : fallback;
      past.push({ name: meta.name, present, type, dims: [1, dim(1, heads), 0, dim(3, headDim)] });
    }
    return new OnnxCausalLM(session, executionProvider, files, past);
  }

  /** Runs the new tokens after the cache; returns the logits of the last one and the new cache. */
  async step(
    ids: readonly number[],
    cache: KvCache | undefined,
  ): Promise<{ logits: Float32Array; cache: KvCache }> {
    const pastLength = cache?.length ?? 0;
    const total = pastLength + ids.length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
    };
    if (this.#inputs.has('attention_mask')) {
      feeds['attention_mask'] = new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [
        1,
        total,
      ]);
    }
    if (this.#inputs.has('position_ids')) {
      const positions = BigInt64Array.from({ length: ids.length }, (_, index) =>
        BigInt(pastLength + index),
      );
      feeds['position_ids'] = new ort.Tensor('int64', positions, [1, ids.length]);
    }
    for (const past of this.#past) {
      feeds[past.name] =
        cache?.tensors[past.name] ??
        (past.type === 'float16'
          ? float16Input(new Uint16Array(0), past.dims)
          : new ort.Tensor('float32', new Float32Array(0), past.dims));
    }
    const outputs = await this.#session.run(feeds);
    const output = (name: string): ort.Tensor => {
      const tensor = outputs[name];
      if (tensor === undefined) throw new Error(`the model returned no ${name}`);
      return tensor;
    };
    const logits = output('logits');
    const vocab = logits.dims.at(-1) ?? 0;
    const positions = logits.dims.length === 3 ? (logits.dims[1] ?? 1) : 1;
    const tensors: Record<string, ort.Tensor> = {};
    for (const past of this.#past) tensors[past.name] = reusable(output(past.present));
    const last = (positions - 1) * vocab;
    return { logits: toFloat32(logits.data, last, vocab), cache: { length: total, tensors } };
  }

  release(): Promise<void> {
    return this.#session.release();
  }
}

async function createSession(
  ref: LocalModelRef,
  path: string,
): Promise<{ session: ort.InferenceSession; executionProvider: 'cuda' | 'cpu' }> {
  const options = { graphOptimizationLevel: 'all' as const };
  if (hardware().executionProvider === 'cuda') {
    try {
      return {
        session: await ort.InferenceSession.create(path, {
          ...options,
          executionProviders: ['cuda', 'cpu'],
        }),
        executionProvider: 'cuda',
      };
    } catch {
      // The CUDA provider failed to initialise (driver or library mismatch): the CPU serves.
    }
  }
  try {
    return {
      session: await ort.InferenceSession.create(path, { ...options, executionProviders: ['cpu'] }),
      executionProvider: 'cpu',
    };
  } catch (error) {
    throw unavailable(
      ref.id,
      `onnxruntime could not load ${path} (${(error as Error).message.split('\n')[0] ?? ''})`,
    );
  }
}

/**
 * A float16 input from its bits. onnxruntime-common turns a Uint16Array into a Float16Array
 * wherever the runtime has one (Node 24), but onnxruntime-node 1.30's binding reads no
 * Float16Array (it sees 0 bytes: "not enough space"). Keeping the tensor's data the Uint16Array
 * of bits is what the binding reads correctly.
 */
function float16Input(bits: Uint16Array, dims: readonly number[]): ort.Tensor {
  const tensor = new ort.Tensor('float16', bits, dims);
  (tensor as unknown as { cpuData: Uint16Array }).cpuData = bits;
  return tensor;
}

/** An output fed back as an input next step. */
function reusable(tensor: ort.Tensor): ort.Tensor {
  if (tensor.type !== 'float16') return tensor;
  const data = tensor.data as unknown as {
    buffer: ArrayBufferLike;
    byteOffset: number;
    length: number;
  };
  return float16Input(new Uint16Array(data.buffer, data.byteOffset, data.length), tensor.dims);
}

/** One row of logits as float32, from float32, Float16Array or float16 bits (Uint16Array) data. */
function toFloat32(data: ort.Tensor['data'], offset: number, length: number): Float32Array {
  if (data instanceof Float32Array) return data.subarray(offset, offset + length);
  const row = new Float32Array(length);
  if (data instanceof Uint16Array) {
    for (let index = 0; index < length; index++)
      row[index] = halfToFloat(data[offset + index] ?? 0);
  } else {
    const values = data as ArrayLike<number>;
    for (let index = 0; index < length; index++) row[index] = Number(values[offset + index]);
  }
  return row;
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
