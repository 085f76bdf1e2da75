/**
 * Where a model server's weights come from: an InferenceModel's `source.uri` as a local model
 * id of the local provider (providers/local), and the check of its `sha256:` checksum.
 * Only local paths are served (`file://…` or an absolute path, the weights mounted into the
 * pod); a remote URI is refused by name rather than fetched.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isGgufModel } from '../providers/local/gguf-ref.ts';
import { DTYPE_FILES, parseLocalModel } from '../providers/local/model-files.ts';

/** One version of the model, as the pod's env or a swap request names it. */
export interface ModelSpec {
  /** `file:///abs/path` or `/abs/path`: a GGUF file or an ONNX export folder; a query passes on. */
  uri: string;
  version: string;
  /** `sha256:<64 hex>` of the weights file; verified before loading when given. */
  checksum?: string;
  /** fp32, fp16, int8 or int4 (ONNX weight file). @default fp32 */
  quantization?: string;
  /** Declared bytes of the loaded model (the InferenceModel's modelBytes); sizes the mem_guard. */
  modelBytes?: number;
  /** chat or embeddings; read from config.json's architectures when absent. */
  task?: ModelTask;
}

export type ModelTask = 'chat' | 'embeddings';

/** A spec resolved on disk: the local provider's model id and the file the checksum covers. */
export interface ResolvedModel {
  /** The local provider's model id (an absolute path, with `?dtype=` for ONNX). */
  id: string;
  runtime: 'llama.cpp' | 'onnx';
  task: ModelTask;
  /** The weights file: the GGUF, or the ONNX graph of the quantization. */
  weightsPath: string;
  weightsBytes: number;
}

const QUANTIZATION_DTYPES: Readonly<Record<string, string>> = {
  fp32: 'fp32',
  fp16: 'fp16',
  int8: 'int8',
  int4: 'q4',
};

/** The spec's path and query; a URI this server cannot read from disk is an error naming it. */
export function localPath(uri: string): { path: string; query: string } {
  const [head = '', query = ''] = uri.split('?', 2);
  let path: string;
  if (head.startsWith('file://')) path = fileURLToPath(head);
  else if (isAbsolute(head)) path = head;
  else {
    throw new Error(
      `Model URI ${uri} is not a local path: the model server reads file:// URIs and absolute paths (mount the weights into the pod); fetching ${head.split(':', 1)[0] ?? ''} URIs is not built.`,
    );
  }
  return { path, query };
}

export async function resolveModel(spec: ModelSpec): Promise<ResolvedModel> {
  const { path, query } = localPath(spec.uri);
  if (isGgufModel(path)) {
    const info = await stat(path).catch(() => {
      throw new Error(`Model file ${path} does not exist.`);
    });
    return {
      id: query === '' ? path : `${path}?${query}`,
      runtime: 'llama.cpp',
      task: spec.task ?? 'chat',
      weightsPath: path,
      weightsBytes: info.size,
    };
  }
  const quantization = spec.quantization ?? 'fp32';
  const dtype = QUANTIZATION_DTYPES[quantization];
  if (dtype === undefined) throw new Error(`Quantization ${quantization} has no ONNX weight file.`);
  const params = new URLSearchParams(query);
  params.set('dtype', dtype);
  const id = `${path}?${params.toString()}`;
  const ref = parseLocalModel(id, '/');
  const weightsPath = join(ref.dir, 'onnx', DTYPE_FILES[ref.dtype]);
  const info = await stat(weightsPath).catch(() => {
    throw new Error(`Model weights ${weightsPath} do not exist.`);
  });
  return {
    id,
    runtime: 'onnx',
    task: spec.task ?? (await taskOf(ref.dir)),
    weightsPath,
    weightsBytes: info.size,
  };
}

/** A causal LM (`…ForCausalLM`, `…LMHeadModel`) chats; any other export is an encoder. */
async function taskOf(dir: string): Promise<ModelTask> {
  const text = await readFile(join(dir, 'config.json'), 'utf8').catch(() => {
    throw new Error(`${join(dir, 'config.json')} does not exist.`);
  });
  const config = JSON.parse(text) as { architectures?: string[] };
  const causal = (config.architectures ?? []).some((name) => /CausalLM|LMHead/.test(name));
  return causal ? 'chat' : 'embeddings';
}

/** Streams the weights through SHA-256 and fails unless they match `sha256:<hex>`. */
export async function verifyChecksum(path: string, checksum: string): Promise<void> {
  const match = /^sha256:([0-9a-f]{64})$/.exec(checksum);
  if (match === null) throw new Error(`Checksum ${checksum} is not sha256:<64 lowercase hex>.`);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  if (actual !== match[1]) {
    throw new Error(
      `Checksum mismatch for ${path}: expected sha256:${match[1]}, got sha256:${actual}.`,
    );
  }
}
