/** Reads the sample of a kind, `crds/samples/<kind-file-name>.yaml`, for tests and tools. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { kindFileName, type KindDescriptor } from './common.ts';

export const SAMPLES_DIR = new URL('./samples/', import.meta.url);

export function samplePath(kind: KindDescriptor): URL {
  return new URL(`${kindFileName(kind.kind)}.yaml`, SAMPLES_DIR);
}

/** The sample object as written: apiVersion, kind, metadata and spec, no defaults applied. */
export function readSample(kind: KindDescriptor): {
  kind: string;
  metadata: object;
  spec: unknown;
} {
  return parse(readFileSync(samplePath(kind), 'utf8')) as {
    kind: string;
    metadata: object;
    spec: unknown;
  };
}
