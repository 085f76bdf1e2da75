import { access, readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { ApiError } from '../../errors/api-error.ts';

/** Weight formats of the common export layout, and the file each lives in under `onnx/`. */
export const DTYPE_FILES = {
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  int8: 'model_int8.onnx',
  q4: 'model_q4.onnx',
} as const;
export type Dtype = keyof typeof DTYPE_FILES;

/** Other names the same formats go by in exports and InferenceModel specs. */
const DTYPE_ALIASES: Readonly<Record<string, Dtype>> = {
  fp32: 'fp32',
  float32: 'fp32',
  fp16: 'fp16',
  float16: 'fp16',
  int8: 'int8',
  q8: 'int8',
  quantized: 'int8',
  q4: 'q4',
  int4: 'q4',
};

/** A local target's model id: `<name>` or `<name>?dtype=<fp32|fp16|int8|q4>`, or an absolute path. */
export interface LocalModelRef {
  dir: string;
  dtype: Dtype;
  /** The id as configured, for messages. */
  id: string;
}

export function parseLocalModel(id: string, modelsDir: string): LocalModelRef {
  const [name = '', query = ''] = id.split('?', 2);
  const options = new URLSearchParams(query);
  const requested = options.get('dtype') ?? 'fp32';
  const dtype = DTYPE_ALIASES[requested.toLowerCase()];
  if (dtype === undefined) {
    throw unavailable(
      id,
      `dtype ${requested} is not one of ${Object.keys(DTYPE_ALIASES).join(', ')}`,
    );
  }
  if (!isAbsolute(name) && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw unavailable(id, 'a model name is letters, digits, `.`, `_` and `-`, or an absolute path');
  }
  return { dir: isAbsolute(name) ? name : join(modelsDir, name), dtype, id };
}

/** What the loader reads besides the graph; the JSON files of a Hugging Face export. */
export interface ModelFiles {
  onnxPath: string;
  config: ModelConfig;
  generation: GenerationConfig;
  tokenizer: object;
  tokenizerConfig: TokenizerConfig;
}

export interface ModelConfig {
  num_hidden_layers?: number;
  num_attention_heads?: number;
  num_key_value_heads?: number;
  hidden_size?: number;
  head_dim?: number;
  max_position_embeddings?: number;
  eos_token_id?: number | number[] | null;
}

export interface GenerationConfig {
  eos_token_id?: number | number[] | null;
  do_sample?: boolean;
  temperature?: number;
  top_p?: number;
  max_new_tokens?: number;
}

export interface TokenizerConfig {
  chat_template?: string | { name: string; template: string }[] | null;
  bos_token?: string | { content: string } | null;
  eos_token?: string | { content: string } | null;
}

/**
 * Reads a model folder, failing with a message that names the missing or malformed file (the
 * local target then falls through like any unavailable target).
 */
export async function readModelFiles(ref: LocalModelRef): Promise<ModelFiles> {
  const onnxPath = join(ref.dir, 'onnx', DTYPE_FILES[ref.dtype]);
  await access(onnxPath).catch(() => {
    throw unavailable(
      ref.id,
      `${onnxPath} does not exist (run scripts/build-tiny-model.py for the tiny model)`,
    );
  });
  const read = async (file: string): Promise<object | undefined> => {
    const path = join(ref.dir, file);
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
    } catch {
      // Reported below, with the path.
    }
    throw unavailable(ref.id, `${path} is not a JSON object`);
  };
  const required = async (file: string): Promise<object> => {
    const value = await read(file);
    if (value === undefined) throw unavailable(ref.id, `${join(ref.dir, file)} does not exist`);
    return value;
  };
  return {
    onnxPath,
    tokenizer: await required('tokenizer.json'),
    config: await required('config.json'),
    generation: (await read('generation_config.json')) ?? {},
    tokenizerConfig: (await read('tokenizer_config.json')) ?? {},
  };
}

export function unavailable(id: string, reason: string): ApiError {
  return new ApiError('UPSTREAM_UNAVAILABLE', `Local model ${id}: ${reason}.`, {
    details: { provider: 'local', model: id },
  });
}
