import { isAbsolute, join } from 'node:path';
import { unavailable } from './model-files.ts';

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
  if (!isAbsolute(name) && name.split('/').some((part) => part === '..' || part === '')) {
    throw unavailable(id, 'a relative GGUF path stays inside the models folder (no `..`)');
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
