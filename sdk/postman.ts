/**
 * The Postman collection of the API, converted from docs/openapi.yaml by openapi-to-postmanv2,
 * and an environment for `make run`. The converter's random ids and its faked example
 * responses are left out, so the files are a function of the document (drift-checked); every
 * `x-request-id` is Postman's `{{$guid}}`, a fresh id per send.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format } from 'prettier';

const root = join(import.meta.dirname, '..');

/** make run's listener (PORT, 8080 by default) and the token it prints (`export TOKEN=…`). */
export const MAKE_RUN_ENVIRONMENT = {
  name: 'inference-service (make run)',
  values: [
    { key: 'baseUrl', value: 'http://127.0.0.1:8080', type: 'default', enabled: true },
    { key: 'bearerToken', value: '', type: 'secret', enabled: true },
  ],
};

type Json = Record<string, unknown>;

/**
 * mulberry32. The converter's json-schema-faker draws example bodies from the Math.random it
 * finds when it is loaded, so the converter is loaded under this seed: the bodies are then a
 * function of the document, for the one conversion a generator process makes.
 */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function convert(data: string): Promise<Json> {
  const random = Math.random;
  Math.random = seeded(26);
  const { default: Converter } = await import('openapi-to-postmanv2');
  Math.random = random;
  return new Promise<Json>((resolve, reject) => {
    Converter.convertV2(
      { type: 'string', data },
      { folderStrategy: 'Tags', parametersResolution: 'Schema', includeAuthInfoInExample: false },
      (error, result) => {
        const collection = result?.output?.[0]?.data as Json | undefined;
        if (error !== null || collection === undefined)
          reject(error instanceof Error ? error : new Error(result?.reason ?? 'conversion failed'));
        else resolve(collection);
      },
    );
  });
}

/** Drops ids and example responses, and gives each x-request-id header a fresh guid. */
function tidy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(tidy);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Json).filter(
    ([key]) => key !== 'id' && key !== '_postman_id' && key !== 'response',
  );
  const object = Object.fromEntries(entries.map(([key, inner]) => [key, tidy(inner)]));
  if (object['key'] === 'x-request-id' && 'value' in object) object['value'] = '{{$guid}}';
  return object;
}

export async function postmanCollection(): Promise<string> {
  const collection = tidy(await convert(await readFile(join(root, 'docs/openapi.yaml'), 'utf8')));
  return json(collection);
}

export const postmanEnvironment = (): Promise<string> => json(MAKE_RUN_ENVIRONMENT);

/** As `prettier --check` wants it (make lint). */
const json = (value: unknown): Promise<string> =>
  format(JSON.stringify(value), { parser: 'json', printWidth: 100 });
