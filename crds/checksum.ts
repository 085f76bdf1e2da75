import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import type { PromptManifestSpec } from './prompt-manifest.ts';

/** A PromptManifest spec whose `checksum` may be absent, stale or present: it is ignored. */
export type ChecksumInput = Omit<PromptManifestSpec, 'checksum'> & { readonly checksum?: string };

/**
 * The checksum a PromptManifest must carry: `sha256:` and the lowercase hex SHA-256 of the RFC
 * 8785 canonical JSON (UTF-8) of the spec without its `checksum` field. Defaults applied by the
 * API server would change it, which is why the PromptManifest schema declares none.
 */
export function promptChecksum(spec: ChecksumInput): string {
  const rest: Record<string, unknown> = { ...spec };
  delete rest['checksum'];
  return `sha256:${sha256Hex(canonicalJson(rest))}`;
}

/** Lowercase hex SHA-256 of a string's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
