import { isScalar, parseDocument } from 'yaml';
import { promptChecksum, type ChecksumInput } from '../../../crds/checksum.ts';
import { parseManifestObject } from '../../../crds/prompts/manifest.ts';

/**
 * The checksum a manifest file's spec should carry, whatever it carries now (a stale or absent
 * one included). Checks the envelope, not the spec: `parsePromptManifest` validates.
 */
export function computeManifestChecksum(text: string, source: string): string {
  return promptChecksum(parseManifestObject(text, source)['spec'] as ChecksumInput);
}

/**
 * The file's text with `spec.checksum` set to `checksum`. An existing value is replaced in
 * place, so comments, quoting and layout elsewhere stay byte for byte; an absent one is added
 * by re-serialising the document (comments survive, layout may not).
 */
export function withChecksum(text: string, checksum: string): string {
  const document = parseDocument(text);
  const node = document.getIn(['spec', 'checksum'], true);
  if (isScalar(node) && node.range !== undefined && node.range !== null) {
    const [start, end] = node.range;
    return text.slice(0, start) + checksum + text.slice(end);
  }
  document.setIn(['spec', 'checksum'], checksum);
  return document.toString();
}
