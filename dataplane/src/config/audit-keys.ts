import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import type { AuditKeysFile } from './contract.ts';
import { ConfigError } from './validate.ts';

/** The audit trail's keys, as `keys/audit.json` gives them (config/contract.ts). */
export interface AuditKeys {
  /** Signs checkpoints. */
  readonly active: { readonly kid: string; readonly key: KeyObject };
  /** Every key that verifies a checkpoint: the ring's and the retired signers'. */
  readonly verifiers: ReadonlyMap<string, KeyObject>;
  /** Keys the per-tenant content digests (`content_sha`). */
  readonly contentKey: Buffer;
}

/** Reads `keys/audit.json`; `where` names the file in errors. */
export function readAuditKeys(file: Static<typeof AuditKeysFile>, where: string): AuditKeys {
  const verifiers = new Map<string, KeyObject>();
  let active: AuditKeys['active'] | undefined;
  for (const { kid, privateKey } of file.keys) {
    const key = ed25519(
      () =>
        createPrivateKey({
          key: Buffer.from(privateKey, 'base64url'),
          format: 'der',
          type: 'pkcs8',
        }),
      `${where}: key ${kid}`,
    );
    verifiers.set(kid, createPublicKey(key));
    if (kid === file.active) active = { kid, key };
  }
  for (const { kid, publicKey } of file.retired ?? []) {
    if (verifiers.has(kid)) continue;
    verifiers.set(
      kid,
      ed25519(
        () =>
          createPublicKey({
            key: Buffer.from(publicKey, 'base64url'),
            format: 'der',
            type: 'spki',
          }),
        `${where}: retired key ${kid}`,
      ),
    );
  }
  if (active === undefined)
    throw new ConfigError(`${where}: the active key ${file.active} is not in keys.`);
  const contentKey = Buffer.from(file.contentKey, 'base64url');
  if (contentKey.length < 32) throw new ConfigError(`${where}: contentKey is under 32 bytes.`);
  return { active, verifiers, contentKey };
}

function ed25519(load: () => KeyObject, where: string): KeyObject {
  let key: KeyObject;
  try {
    key = load();
  } catch {
    throw new ConfigError(`${where} is not a DER key.`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ConfigError(`${where} is not an Ed25519 key.`);
  return key;
}
