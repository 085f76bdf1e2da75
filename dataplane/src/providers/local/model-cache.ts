import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's models/catalog.json: models fetched from registry packages, with checksums. */
export const CATALOG_PATH = fileURLToPath(
  new URL('../../../../models/catalog.json', import.meta.url),
);

interface CatalogModel {
  runtime: 'llama.cpp' | 'onnx';
  files: { package: string; path: string; bytes: number; sha256: string }[];
}

/**
 * Where scripts/fetch-models.py puts fetched models: $INFERENCE_MODEL_CACHE, or `.tmp/models`
 * in the repository.
 */
export function modelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env['INFERENCE_MODEL_CACHE'];
  return configured === undefined || configured === ''
    ? fileURLToPath(new URL('../../../../.tmp/models', import.meta.url))
    : configured;
}

/**
 * A catalog model's local model id once fetched: the absolute path of its GGUF file
 * (llama.cpp) or of its folder (ONNX), and the packages it comes from, for messages.
 */
export function cachedModel(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): { id: string; packages: string[]; bytes: number } {
  const catalog = JSON.parse(readFileSync(CATALOG_PATH, 'utf8')) as {
    models: Record<string, CatalogModel>;
  };
  const model = catalog.models[name];
  if (model === undefined) throw new Error(`${name} is not in ${CATALOG_PATH}`);
  const dir = join(modelCacheDir(env), name);
  const gguf = model.files.find((file) => file.path.endsWith('.gguf'));
  return {
    id: gguf === undefined ? dir : join(dir, gguf.path),
    packages: [...new Set(model.files.map((file) => file.package))],
    bytes: model.files.reduce((total, file) => total + file.bytes, 0),
  };
}
