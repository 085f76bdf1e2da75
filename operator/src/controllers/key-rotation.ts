/**
 * A keyring of the Secret `inference-keys` and its rotation, as a pure policy: the resume-token
 * HMAC keys (resume-keys.ts) and the audit checkpoint keys (audit-keys.ts).
 *
 * Every gateway replica verifies with every key of the ring and signs with `active`. Replicas
 * read a changed Secret at different times (kubelet's sync period), so a rotation has three
 * steps, each waiting out the propagation delay P:
 * 1. a new key is published verify-only (every `rotationPeriodMs`);
 * 2. P later it becomes `active`: by then every replica can verify what it signs;
 * 3. the old key is dropped P + T after that activation (T: `tokenTtlMs`): a replica that saw
 *    the activation late signed with the old key for at most P more, and what it signed must
 *    verify with the ring for T.
 */

/** A key of a ring: what it holds besides these is the ring's own business. */
export interface RingKey {
  kid: string;
  /** When the key was published (ISO 8601). */
  createdAt: string;
}

export interface Keyring<K extends RingKey> {
  active: string;
  keys: K[];
}

export interface RotationSettings {
  /** A new key every this long; 0 never rotates. */
  rotationPeriodMs: number;
  /** Longest time until every replica reads a changed Secret. */
  propagationMs: number;
  /**
   * How long what a key signed must still verify with the ring: a resume token's lifetime
   * (gateway.yaml streams.resumeTtlS); 0 for audit keys, whose public halves verify on.
   */
  tokenTtlMs: number;
}

export interface KeyringDecision<K extends RingKey> {
  keyring: Keyring<K>;
  /** When the ring next changes by itself (the reconcile's requeue); undefined: never. */
  nextChangeMs: number | undefined;
}

/** The keyring for `now`: kept, extended, activated or pruned, as the header describes. */
export function rotateKeyring<K extends RingKey>(
  existing: Keyring<K> | undefined,
  fresh: K,
  now: Date,
  settings: RotationSettings,
): KeyringDecision<K> {
  const nowMs = now.getTime();
  const at = (key: K) => Date.parse(key.createdAt);
  const { rotationPeriodMs: period, propagationMs: p, tokenTtlMs: ttl } = settings;
  if (existing === undefined) {
    // The first key: nothing is signed yet, so it signs at once.
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

  function decide(keyring: Keyring<K>): KeyringDecision<K> {
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
