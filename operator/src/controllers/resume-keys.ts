/**
 * The resume-token keyring (`keys/resume.json`) and its rotation, as a pure policy.
 *
 * Every gateway replica verifies with every key of the ring and signs with `active`. Replicas
 * read a changed Secret at different times (kubelet's sync period), so a rotation has three
 * steps, each waiting out the propagation delay P:
 * 1. a new key is published verify-only (every `rotationPeriodMs`);
 * 2. P later it becomes `active`: by then every replica can verify what it signs;
 * 3. the old key is dropped P + T after that activation (T: the token lifetime): a replica that
 *    saw the activation late signed with the old key for at most P more, and those tokens live T.
 */

export interface ResumeKey {
  kid: string;
  /** base64url of at least 32 random bytes. */
  secret: string;
  /** When the key was published (ISO 8601). */
  createdAt: string;
}

export interface Keyring {
  active: string;
  keys: ResumeKey[];
}

export interface RotationSettings {
  /** A new key every this long; 0 never rotates. */
  rotationPeriodMs: number;
  /** Longest time until every replica reads a changed Secret. */
  propagationMs: number;
  /** Lifetime of a resume token (gateway.yaml streams.resumeTtlS). */
  tokenTtlMs: number;
}

export interface KeyringDecision {
  keyring: Keyring;
  /** When the ring next changes by itself (the reconcile's requeue); undefined: never. */
  nextChangeMs: number | undefined;
}

/** Parses the `resume.json` of the existing Secret; undefined when absent or unusable. */
export function parseKeyring(text: string | undefined): Keyring | undefined {
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

/** The keyring for `now`: kept, extended, activated or pruned, as the header describes. */
export function rotateKeyring(
  existing: Keyring | undefined,
  fresh: ResumeKey,
  now: Date,
  settings: RotationSettings,
): KeyringDecision {
  const nowMs = now.getTime();
  const at = (key: ResumeKey) => Date.parse(key.createdAt);
  const { rotationPeriodMs: period, propagationMs: p, tokenTtlMs: ttl } = settings;
  if (existing === undefined) {
    // The first key: no token exists yet, so it signs at once.
    return decide({ active: fresh.kid, keys: [fresh] });
  }

  let keys = [...existing.keys].sort((a, b) => at(a) - at(b));
  const newest = keys.at(-1);
  if (period > 0 && newest !== undefined && nowMs - at(newest) >= period) keys.push(fresh);

  const current = keys.find((key) => key.kid === existing.active);
  const publishedLongEnough = keys.filter((key) => at(key) + p <= nowMs);
  const candidate = publishedLongEnough.at(-1);
  const active =
    candidate !== undefined && current !== undefined && at(candidate) > at(current)
      ? candidate
      : (current ?? candidate ?? fresh);
  const retireAt = at(active) + p + p + ttl;
  keys = keys.filter((key) => at(key) >= at(active) || nowMs < retireAt);
  return decide({ active: active.kid, keys });

  function decide(keyring: Keyring): KeyringDecision {
    const activeKey = keyring.keys.find((key) => key.kid === keyring.active);
    const last = keyring.keys.at(-1);
    const moments: number[] = [];
    if (period > 0 && last !== undefined) moments.push(at(last) + period);
    for (const key of keyring.keys) {
      if (activeKey === undefined) continue;
      if (at(key) > at(activeKey)) moments.push(at(key) + p);
      if (at(key) < at(activeKey)) moments.push(at(activeKey) + p + p + ttl);
    }
    const future = moments.filter((moment) => moment > nowMs);
    return {
      keyring,
      nextChangeMs: future.length === 0 ? undefined : Math.min(...future) - nowMs,
    };
  }
}
