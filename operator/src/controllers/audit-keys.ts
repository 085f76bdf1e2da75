/**
 * The audit keys (`keys/audit.json`), as a pure policy:
 * - Ed25519 key pairs that sign audit checkpoints, rotated by key-rotation.ts with no token
 *   lifetime: a key that leaves the ring keeps verifying from `retired`;
 * - `retired`: the public half of each key that left the ring, with `retiredAt`, kept
 *   RETIRED_KEY_KEPT_MS (a checkpoint it signed anchors receipts for at most the longest audit
 *   retention, 180 days);
 * - `contentKey`, which keys per-tenant content digests: created once and never changed
 *   (another key would unlink new digests from old ones), so it is kept even when the rest of
 *   the file is unusable.
 * node:crypto only reads and derives keys here; what is new is drawn by the observe
 * (FreshAuditKeys), as the clock is.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import {
  rotateKeyring,
  type Keyring,
  type RingKey,
  type RotationSettings,
} from './key-rotation.ts';

export interface AuditKey extends RingKey {
  /** base64url of the PKCS#8 DER of an Ed25519 private key. */
  privateKey: string;
}

export interface RetiredAuditKey {
  kid: string;
  /** base64url of the SPKI DER of the Ed25519 public key. */
  publicKey: string;
  /** When it left the ring (ISO 8601). */
  retiredAt: string;
}

/** The file as the dataplane reads it (dataplane/src/config/contract.ts AuditKeysFile). */
export interface AuditKeys extends Keyring<AuditKey> {
  retired: RetiredAuditKey[];
  /** base64url of 32 random bytes. */
  contentKey: string;
}

/** The usable parts of an existing file; each part is undefined or empty on its own. */
export interface ExistingAuditKeys {
  ring: Keyring<AuditKey> | undefined;
  retired: RetiredAuditKey[];
  contentKey: string | undefined;
}

/** What a reconcile draws, used when there is no ring or content key yet or a rotation is due. */
export interface FreshAuditKeys {
  key: AuditKey;
  contentKey: string;
}

export interface AuditKeysDecision {
  auditKeys: AuditKeys;
  /** When the file next changes by itself (the reconcile's requeue); undefined: never. */
  nextChangeMs: number | undefined;
}

/** 181 days: one day more than the longest audit retention. */
export const RETIRED_KEY_KEPT_MS = 181 * 86_400_000;

/** The dataplane's `kid` pattern: a ring with another kid would make it refuse the contract. */
const KID = /^[A-Za-z0-9_.-]{1,64}$/;

/** The SPKI DER (base64url) of an Ed25519 private key's public half; throws for anything else. */
export function publicKeyOf(privateKey: string): string {
  const key = createPrivateKey({ key: der(privateKey), format: 'der', type: 'pkcs8' });
  return createPublicKey(ed25519(key))
    .export({ type: 'spki', format: 'der' })
    .toString('base64url');
}

/**
 * Parses the `audit.json` of the existing Secret part by part: an unusable ring (not JSON, an
 * invalid key, an active kid not among the keys) is undefined, but its keys that are valid on
 * their own are returned as retired now (they may have signed checkpoints), and so are valid
 * retired entries and a valid content key. A retired key without a usable `retiredAt` counts
 * as retired now.
 */
export function parseAuditKeys(text: string | undefined, now: Date): ExistingAuditKeys {
  const file = parseObject(text);
  const retiredAt = now.toISOString();
  const keys = list(file['keys']).map(auditKey);
  const valid = keys.filter((key) => key !== undefined);
  const active = file['active'];
  const ring =
    valid.length > 0 && valid.length === keys.length && valid.some((key) => key.kid === active)
      ? { active: active as string, keys: valid }
      : undefined;
  const retired = new Map<string, RetiredAuditKey>();
  for (const entry of list(file['retired'])) {
    const key = retiredKey(entry, retiredAt);
    if (key !== undefined && !retired.has(key.kid)) retired.set(key.kid, key);
  }
  if (ring === undefined) {
    for (const key of valid) {
      if (!retired.has(key.kid))
        retired.set(key.kid, { kid: key.kid, publicKey: publicKeyOf(key.privateKey), retiredAt });
    }
  }
  const contentKey = file['contentKey'];
  return {
    ring,
    retired: [...retired.values()],
    contentKey: typeof contentKey === 'string' && isKeyBytes(contentKey) ? contentKey : undefined,
  };
}

/**
 * The audit keys for `now`: the ring rotated (with T = 0), keys that left it retired now,
 * retired keys past RETIRED_KEY_KEPT_MS pruned, and the content key kept (drawn only when
 * there is none).
 */
export function rotateAuditKeys(
  existing: ExistingAuditKeys,
  fresh: FreshAuditKeys,
  now: Date,
  settings: Omit<RotationSettings, 'tokenTtlMs'>,
): AuditKeysDecision {
  const nowMs = now.getTime();
  const ring = rotateKeyring(existing.ring, fresh.key, now, { ...settings, tokenTtlMs: 0 });
  const inRing = new Set(ring.keyring.keys.map((key) => key.kid));
  const left = (existing.ring?.keys ?? [])
    .filter((key) => !inRing.has(key.kid))
    .map((key) => ({
      kid: key.kid,
      publicKey: publicKeyOf(key.privateKey),
      retiredAt: now.toISOString(),
    }));
  const prunedAt = (key: RetiredAuditKey) => Date.parse(key.retiredAt) + RETIRED_KEY_KEPT_MS;
  const retired = [...existing.retired, ...left].filter(
    (key) => !inRing.has(key.kid) && prunedAt(key) > nowMs,
  );
  const moments = [
    ...(ring.nextChangeMs === undefined ? [] : [ring.nextChangeMs]),
    ...retired.map((key) => prunedAt(key) - nowMs),
  ];
  return {
    auditKeys: {
      ...ring.keyring,
      retired,
      contentKey: existing.contentKey ?? fresh.contentKey,
    },
    nextChangeMs: moments.length === 0 ? undefined : Math.min(...moments),
  };
}

function parseObject(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : {};
  } catch {
    return {};
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

const isTime = (value: unknown): value is string =>
  typeof value === 'string' && !Number.isNaN(Date.parse(value));

/** A ring key whose private key is Ed25519; one without a usable createdAt: published long ago. */
function auditKey(value: unknown): AuditKey | undefined {
  if (!isObject(value) || typeof value['kid'] !== 'string' || !KID.test(value['kid']))
    return undefined;
  const privateKey = value['privateKey'];
  if (typeof privateKey !== 'string' || !canonical(privateKey)) return undefined;
  try {
    publicKeyOf(privateKey);
  } catch {
    return undefined;
  }
  const createdAt = isTime(value['createdAt']) ? value['createdAt'] : new Date(0).toISOString();
  return { kid: value['kid'], privateKey, createdAt };
}

function retiredKey(value: unknown, now: string): RetiredAuditKey | undefined {
  if (!isObject(value) || typeof value['kid'] !== 'string' || !KID.test(value['kid']))
    return undefined;
  const publicKey = value['publicKey'];
  if (typeof publicKey !== 'string' || !canonical(publicKey)) return undefined;
  try {
    ed25519(createPublicKey({ key: der(publicKey), format: 'der', type: 'spki' }));
  } catch {
    return undefined;
  }
  const retiredAt = isTime(value['retiredAt']) ? value['retiredAt'] : now;
  return { kid: value['kid'], publicKey, retiredAt };
}

function ed25519(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
  return key;
}

const der = (text: string): Buffer => Buffer.from(text, 'base64url');

/** base64url without padding or stray characters (Buffer.from skips what it cannot read). */
const canonical = (text: string): boolean =>
  text !== '' && der(text).toString('base64url') === text;

const isKeyBytes = (text: string): boolean => canonical(text) && der(text).length >= 32;
