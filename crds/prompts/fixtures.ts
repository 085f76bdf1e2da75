/** Test data shared by this folder's tests. */
import { stringify } from 'yaml';
import { promptChecksum, type ChecksumInput } from '../checksum.ts';
import type { PromptManifestSpec } from '../prompt-manifest.ts';

/** Fields to change in a test spec; `undefined` drops the field. */
export type SpecOverrides = { [K in keyof ChecksumInput]?: ChecksumInput[K] | undefined };

/** A valid spec, `greet@1.0.0` unless overridden, with its correct checksum. */
export function makeSpec(overrides: SpecOverrides = {}): PromptManifestSpec {
  const spec = {
    id: 'greet',
    version: '1.0.0',
    slices: [
      { name: 'system', role: 'system', text: 'You greet people warmly.' },
      { name: 'user', role: 'user', text: 'Greet {{name}}.' },
    ],
    variables: {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string', minLength: 1 } },
    },
    ...overrides,
  };
  const defined = Object.fromEntries(
    Object.entries(spec).filter(([key, value]) => key !== 'checksum' && value !== undefined),
  ) as ChecksumInput;
  return { ...defined, checksum: promptChecksum(defined) };
}

/** A PromptManifest file holding `spec`, as YAML. */
export function manifestYaml(spec: unknown, name = 'greet-v1'): string {
  return stringify({
    apiVersion: 'inference.enis.io/v1alpha1',
    kind: 'PromptManifest',
    metadata: { name },
    spec,
  });
}
