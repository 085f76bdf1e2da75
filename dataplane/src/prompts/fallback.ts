import { promptChecksum } from '../../../crds/checksum.ts';
import type { PromptManifestSpec } from '../../../crds/prompt-manifest.ts';

const spec = {
  id: 'embedded-fallback',
  version: '1.0.0',
  description:
    'Served in place of a prompt that could not be resolved within its time budget, or of an ' +
    'unknown prompt when the caller asked for the fallback. It takes any variables.',
  slices: [
    {
      name: 'instructions',
      role: 'system',
      text:
        'You are a careful, helpful assistant. The prompt prepared for this request was not ' +
        'available, so you receive its inputs as JSON instead. Work out what they ask for, do ' +
        'it as well as you can, answer concisely, and say so when the inputs are not enough.',
    },
    { name: 'inputs', role: 'user', text: 'Inputs (JSON):\n{{.}}' },
  ],
} satisfies Omit<PromptManifestSpec, 'checksum'>;

/**
 * The prompt compiled into the gateway, so that something sensible can be served when the
 * configured prompts cannot be: it has no variables schema and renders every variable as JSON
 * in a user message, so it renders whatever variables the requested prompt was given.
 */
export const EMBEDDED_FALLBACK_PROMPT: PromptManifestSpec = Object.freeze({
  ...spec,
  slices: Object.freeze(
    spec.slices.map((slice) => Object.freeze(slice)),
  ) as PromptManifestSpec['slices'],
  checksum: promptChecksum(spec),
});
