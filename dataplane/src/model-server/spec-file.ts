/**
 * The swap trigger a ConfigMap gives: MODEL_SPEC_FILE names a JSON file holding the version to
 * serve (`{"uri", "version", "checksum"?, "quantization"?, "modelBytes"?, "task"?}`). Its
 * content is polled (kubelet replaces a mounted ConfigMap by a symlink swap, which events on
 * the file miss); a change swaps the model. A content that was tried is not tried again until
 * it changes, so a refused or failed version does not loop.
 */
import { readFile } from 'node:fs/promises';
import type { FastifyBaseLogger } from 'fastify';
import { isApiError } from '../errors/api-error.ts';
import type { ModelSpec } from './model-source.ts';
import type { SwapEvent } from './swap.ts';

export interface SpecFileWatch {
  stop(): void;
}

/** The file's spec and its text, or undefined when it does not exist (yet). */
export async function readSpecFile(
  path: string,
): Promise<{ spec: ModelSpec; text: string } | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  return { spec: parseSpec(text, path), text };
}

export function parseSpec(text: string, path: string): ModelSpec {
  const value = JSON.parse(text) as Partial<Record<keyof ModelSpec, unknown>>;
  const string = (key: keyof ModelSpec, required: boolean): string | undefined => {
    const field = value[key];
    if (field === undefined && !required) return undefined;
    if (typeof field !== 'string' || field === '')
      throw new Error(`${path}: ${key} must be a non-empty string.`);
    return field;
  };
  const bytes = value.modelBytes;
  if (bytes !== undefined && (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 1))
    throw new Error(`${path}: modelBytes must be a positive integer.`);
  const task = string('task', false);
  if (task !== undefined && task !== 'chat' && task !== 'embeddings')
    throw new Error(`${path}: task must be chat or embeddings.`);
  const checksum = string('checksum', false);
  const quantization = string('quantization', false);
  return {
    uri: string('uri', true) ?? '',
    version: string('version', true) ?? '',
    ...(checksum === undefined ? {} : { checksum }),
    ...(quantization === undefined ? {} : { quantization }),
    ...(bytes === undefined ? {} : { modelBytes: bytes }),
    ...(task === undefined ? {} : { task }),
  };
}

export function watchSpecFile(
  path: string,
  initialText: string | undefined,
  options: {
    swap: (spec: ModelSpec) => Promise<SwapEvent>;
    log: FastifyBaseLogger;
    everyMs?: number;
  },
): SpecFileWatch {
  let tried = initialText;
  let running = false;
  const poll = async () => {
    if (running) return;
    running = true;
    try {
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (text === undefined || text === tried) return;
      const before = tried;
      tried = text;
      const spec = parseSpec(text, path);
      options.log.info({ path, version: spec.version }, 'Read a new model spec');
      await options.swap(spec).catch((error: unknown) => {
        // A swap still in its window is not a verdict on this spec: the next poll tries again.
        if (isApiError(error) && error.details?.['reason'] === 'SwapInProgress') tried = before;
        throw error;
      });
    } catch (error) {
      options.log.warn(
        { path, reason: (error as Error).message },
        'Did not swap to the model spec',
      );
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void poll(), options.everyMs ?? 1000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
    },
  };
}
