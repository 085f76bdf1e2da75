/**
 * The resume-token keyring (`keys/resume.json`): HMAC keys, rotated by key-rotation.ts with T
 * the token lifetime (gateway.yaml streams.resumeTtlS).
 */
import type { Keyring, RingKey } from './key-rotation.ts';

export interface ResumeKey extends RingKey {
  /** base64url of at least 32 random bytes. */
  secret: string;
}

export type ResumeKeyring = Keyring<ResumeKey>;

/** Parses the `resume.json` of the existing Secret; undefined when absent or unusable. */
export function parseKeyring(text: string | undefined): ResumeKeyring | undefined {
  if (text === undefined) return undefined;
  try {
    const ring = JSON.parse(text) as { active?: unknown; keys?: unknown };
    if (typeof ring.active !== 'string' || !Array.isArray(ring.keys)) return undefined;
    const keys: ResumeKey[] = [];
    for (const key of ring.keys as { kid?: unknown; secret?: unknown; createdAt?: unknown }[]) {
      if (typeof key.kid !== 'string' || typeof key.secret !== 'string') return undefined;
      if (Buffer.from(key.secret, 'base64url').length < 32) return undefined;
      // A key from before rotation existed counts as published long ago.
      const createdAt =
        typeof key.createdAt === 'string' && !Number.isNaN(Date.parse(key.createdAt))
          ? key.createdAt
          : new Date(0).toISOString();
      keys.push({ kid: key.kid, secret: key.secret, createdAt });
    }
    return keys.some((key) => key.kid === ring.active) ? { active: ring.active, keys } : undefined;
  } catch {
    return undefined;
  }
}
