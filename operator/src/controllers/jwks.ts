/**
 * The JWKS the gateway verifies client tokens with (`keys/jwks.json`), as a pure policy over
 * its source: the namespace's Secret `inference-auth-jwks` (key `jwks.json`) when it exists,
 * else the operator's own INFERENCE_AUTH_JWKS. No restart anywhere: a changed Secret is a
 * reconcile, and the dataplane reloads the contract.
 * - A key the source holds is published at once. An issuer publishes a new key before it
 *   signs with it; the operator adds only the propagation delay P (kubelet) to that head start.
 * - A key that leaves the source stays published `retentionMs` + P after the pass that first
 *   saw it gone, so every token it signed expires before it stops verifying (`retentionMs`
 *   must be at least the longest token lifetime). When it left is kept in
 *   `keys/jwks-removed.json` (`{id: ISO time}`, only while any key is retained).
 * A source that is not a usable JWKS changes nothing: the last published keys stay.
 */

/** The Secret a namespace may hold its JWKS in (key `jwks.json`); the operator only reads it. */
export const JWKS_SECRET = 'inference-auth-jwks';

/** How long a removed key stays published, unless set. @default one day */
export const DEFAULT_JWKS_RETENTION_MS = 86_400_000;

/** A public JWK; `kid` names it (a key without one is named by its members). */
export type Jwk = Readonly<Record<string, unknown>> & { kty: string; kid?: string };

export interface JwksDecision {
  /** `keys/jwks.json`. */
  jwks: string;
  /** `keys/jwks-removed.json`; undefined while no removed key is retained. */
  removed: string | undefined;
  /** When a retained key drops (the reconcile's requeue); undefined: none is retained. */
  nextChangeMs: number | undefined;
}

export interface JwksObserved {
  /** The source's text: the namespace's Secret's `jwks.json`, else the operator's setting. */
  source: string | undefined;
  /** `jwks.json` and `jwks-removed.json` of the rendered `inference-keys`, decoded. */
  previous: { jwks: string | undefined; removed: string | undefined };
  now: Date;
  retentionMs: number;
  propagationMs: number;
}

/** Members only private or symmetric keys have: a source holding one is not used. */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];

export function publishJwks(o: JwksObserved): JwksDecision {
  const nowMs = o.now.getTime();
  const keep = o.retentionMs + o.propagationMs;
  const previous = parseJwks(o.previous.jwks) ?? [];
  const removedAt = parseRemoved(o.previous.removed);
  const source = parseJwks(o.source);
  if (source === undefined) {
    return decide(previous, removedAt);
  }
  const current = new Set(source.map(identity));
  const published = [...source];
  const stillRemoved: Record<string, string> = {};
  for (const key of previous) {
    const id = identity(key);
    if (current.has(id)) continue;
    const since = removedAt[id] ?? o.now.toISOString();
    if (Date.parse(since) + keep > nowMs) {
      published.push(key);
      stillRemoved[id] = since;
    }
  }
  return decide(published, stillRemoved);

  function decide(keys: Jwk[], removed: Record<string, string>): JwksDecision {
    const ids = new Set(keys.map(identity));
    const kept = Object.fromEntries(Object.entries(removed).filter(([id]) => ids.has(id)));
    const drops = Object.values(kept)
      .map((since) => Date.parse(since) + keep - nowMs)
      .filter((ms) => ms > 0);
    return {
      jwks: JSON.stringify({ keys }),
      removed: Object.keys(kept).length === 0 ? undefined : JSON.stringify(kept),
      nextChangeMs: drops.length === 0 ? undefined : Math.min(...drops),
    };
  }
}

/** The keys of a JWKS text; undefined when it is not one, or holds a private or symmetric key. */
export function parseJwks(text: string | undefined): Jwk[] | undefined {
  if (text === undefined) return undefined;
  try {
    const keys = (JSON.parse(text) as { keys?: unknown }).keys;
    if (!Array.isArray(keys) || keys.length === 0) return undefined;
    for (const key of keys as unknown[]) {
      if (typeof key !== 'object' || key === null) return undefined;
      const members = key as Record<string, unknown>;
      if (typeof members['kty'] !== 'string' || members['kty'] === 'oct') return undefined;
      if (SECRET_MEMBERS.some((member) => member in members)) return undefined;
    }
    return keys as Jwk[];
  } catch {
    return undefined;
  }
}

function parseRemoved(text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter(
        (entry): entry is [string, string] =>
          typeof entry[1] === 'string' && !Number.isNaN(Date.parse(entry[1])),
      ),
    );
  } catch {
    return {};
  }
}

/** A key's identity: its `kid`, else its members in a fixed order. */
function identity(key: Jwk): string {
  if (typeof key.kid === 'string') return `kid:${key.kid}`;
  return `jwk:${JSON.stringify(Object.entries(key).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
}
