import {
  createLocalJWKSet,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type JWTVerifyOptions,
} from 'jose';
import { AGENT_TYPE_PATTERN } from '../../../crds/agent-settings.ts';
import { authnError, fromJoseError } from './authn-errors.ts';
import { ExpiringLru } from './expiring-lru.ts';
import { isValidTenant, type Principal } from './principal.ts';

export type { AuthnFailure } from './authn-errors.ts';
export type { Principal } from './principal.ts';

/**
 * The asymmetric JWS algorithms an authenticator may be configured with. `none` and the HMAC
 * family are absent on purpose: with a JWKS of public keys, accepting HS256 would let anyone
 * who has the public key (everyone) forge tokens.
 */
export const ASYMMETRIC_ALGORITHMS: ReadonlySet<string> = new Set([
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
  'Ed25519',
]);

export const DEFAULT_ALGORITHMS: readonly string[] = ['ES256', 'RS256', 'EdDSA'];

/** Members that only private or symmetric JWKs have; a JWKS in config must hold none of them. */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;

/** Tokens longer than this are refused before any parsing. */
const MAX_AUTHORIZATION_LENGTH = 8192;

/** `Bearer <header>.<payload>.<signature>`, the scheme case-insensitive (RFC 7235 §2.1). */
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+) *$/i;

const SCOPE_SEPARATOR = / +/;

/** An agent type (crds/agent-settings.ts `AGENT_TYPE_PATTERN`): safe in a label and a header. */
const AGENT_TYPE = new RegExp(AGENT_TYPE_PATTERN);

export interface AuthenticatorOptions {
  /** The public keys, from the config contract; several keys with distinct `kid`s rotate. */
  jwks: { keys: JWK[] };
  /** The only accepted `iss`. */
  issuer: string;
  /** `aud` must be, or contain, this value. */
  audience: string;
  /** Accepted signing algorithms, asymmetric only. @default ['ES256', 'RS256', 'EdDSA'] */
  algorithms?: readonly string[];
  /** Clock skew allowed on `exp` and `nbf`, in seconds. @default 30 */
  clockToleranceS?: number;
  /** The claim that names the tenant. @default 'tenant' */
  tenantClaim?: string;
  /** The claim that names the agent type (docs/agents.md). @default 'agent_type' */
  agentClaim?: string;
  /** Verified tokens remembered at once. 0 turns the cache off. @default 4096 */
  cacheMaxEntries?: number;
  /** How long a verified token is remembered, never past its `exp`. @default 60 */
  cacheTtlS?: number;
  /** The clock, in epoch milliseconds. @default Date.now */
  now?: () => number;
}

export interface Authenticator {
  /**
   * The principal of an `Authorization` header value.
   * @throws ApiError `UNAUTHENTICATED` with `details.reason` (an {@link AuthnFailure}) when the
   *   header is missing or malformed or the token fails any check.
   */
  authenticate(authorization: string | undefined): Promise<Principal>;
}

/**
 * Verifies bearer JWTs against a fixed JWKS. Build a new authenticator when the JWKS changes:
 * the verification cache lives and dies with it, so a key removed from the JWKS stops being
 * accepted at once rather than when cached entries expire.
 *
 * Verified tokens are cached by the exact header value for `cacheTtlS`, never past `exp`, in a
 * bounded LRU, because this is the hot path: on a development machine an ES256 verification
 * cost about 125 µs and a cache hit about 0.6 µs (`authn.test.ts` prints both on every run).
 * Failures are not cached.
 *
 * @throws TypeError at construction when an option is unsafe or malformed: an algorithm that is
 *   not asymmetric (`none`, `HS256` ...), a JWKS with a private or symmetric key, duplicate kids.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const algorithms = [...(options.algorithms ?? DEFAULT_ALGORITHMS)];
  const clockToleranceS = options.clockToleranceS ?? 30;
  const tenantClaim = options.tenantClaim ?? 'tenant';
  const agentClaim = options.agentClaim ?? 'agent_type';
  const cacheTtlMs = (options.cacheTtlS ?? 60) * 1000;
  const now = options.now ?? Date.now;
  validateOptions(options, algorithms, clockToleranceS, cacheTtlMs);

  const keys = createLocalJWKSet(options.jwks);
  const cache = new ExpiringLru<Principal>(options.cacheMaxEntries ?? 4096);
  const verifyOptions: JWTVerifyOptions = {
    algorithms,
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: clockToleranceS,
    requiredClaims: ['exp', 'sub'],
  };

  /** The principal and the token's expiry in epoch milliseconds. */
  async function verify(
    authorization: string,
    nowMs: number,
  ): Promise<{ principal: Principal; expMs: number }> {
    if (authorization.length > MAX_AUTHORIZATION_LENGTH) {
      throw authnError('malformed_token', 'Authorization header is too long.');
    }
    const token = BEARER.exec(authorization)?.[1];
    if (token === undefined) {
      throw authnError('malformed_token', "Authorization header is not 'Bearer <JWT>'.");
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        ...verifyOptions,
        currentDate: new Date(nowMs),
      }));
    } catch (error) {
      throw fromJoseError(error);
    }
    // exp is present and a number: jose checked both (requiredClaims, NumericDate).
    return {
      principal: principalFromClaims(payload, tenantClaim, agentClaim),
      expMs: (payload.exp ?? 0) * 1000,
    };
  }

  return {
    async authenticate(authorization) {
      if (authorization === undefined || authorization === '') {
        throw authnError('missing_token', 'Authorization header is missing.');
      }
      const nowMs = now();
      const cached = cache.get(authorization, nowMs);
      if (cached !== undefined) return cached;
      const { principal, expMs } = await verify(authorization, nowMs);
      const expiresAtMs = Math.min(nowMs + cacheTtlMs, expMs);
      if (expiresAtMs > nowMs) cache.set(authorization, principal, expiresAtMs);
      return principal;
    },
  };
}

function principalFromClaims(
  payload: JWTPayload,
  tenantClaim: string,
  agentClaim: string,
): Principal {
  const { sub } = payload;
  if (typeof sub !== 'string' || sub === '') {
    throw authnError('invalid_claim', 'Token sub claim is invalid.');
  }
  const tenant = payload[tenantClaim];
  if (tenant === undefined) {
    throw authnError('missing_tenant', `Token has no ${tenantClaim} claim.`);
  }
  if (!isValidTenant(tenant)) {
    throw authnError('invalid_tenant', `Token ${tenantClaim} claim is not a valid tenant id.`);
  }
  const agent = payload[agentClaim];
  if (agent !== undefined && !(typeof agent === 'string' && AGENT_TYPE.test(agent))) {
    throw authnError('invalid_claim', `Token ${agentClaim} claim is not a valid agent type.`);
  }
  return Object.freeze({
    subject: sub,
    tenant,
    scopes: scopesFromClaims(payload),
    ...(agent === undefined ? {} : { agent }),
  });
}

/**
 * Scopes from `scope` (RFC 8693: a space-separated string) and `scp` (an array, as Okta and
 * others send it, or a string, as Entra ID does); both are merged. Entries that are not strings
 * are ignored: dropping a scope can only take access away.
 */
function scopesFromClaims(payload: JWTPayload): ReadonlySet<string> {
  const scopes = new Set<string>();
  addScopes(scopes, payload['scope']);
  addScopes(scopes, payload['scp']);
  return scopes;
}

function addScopes(scopes: Set<string>, claim: unknown): void {
  if (typeof claim === 'string') {
    for (const scope of claim.split(SCOPE_SEPARATOR)) if (scope !== '') scopes.add(scope);
  } else if (Array.isArray(claim)) {
    for (const scope of claim) if (typeof scope === 'string' && scope !== '') scopes.add(scope);
  }
}

function validateOptions(
  options: AuthenticatorOptions,
  algorithms: readonly string[],
  clockToleranceS: number,
  cacheTtlMs: number,
): void {
  if (algorithms.length === 0) throw new TypeError('algorithms must name at least one algorithm.');
  for (const algorithm of algorithms) {
    if (!ASYMMETRIC_ALGORITHMS.has(algorithm)) {
      throw new TypeError(
        `Algorithm ${algorithm} is not allowed: only asymmetric signature algorithms are.`,
      );
    }
  }
  if (options.issuer === '') throw new TypeError('issuer must not be empty.');
  if (options.audience === '') throw new TypeError('audience must not be empty.');
  if (!(clockToleranceS >= 0 && clockToleranceS <= 300)) {
    throw new TypeError(`clockToleranceS must be between 0 and 300, got ${clockToleranceS}.`);
  }
  if (!(cacheTtlMs >= 0)) throw new TypeError('cacheTtlS must not be negative.');
  const kids = new Set<string>();
  if (options.jwks.keys.length === 0) throw new TypeError('The JWKS holds no key.');
  for (const [index, jwk] of options.jwks.keys.entries()) {
    if (jwk.kty === 'oct' || SECRET_MEMBERS.some((member) => member in jwk)) {
      throw new TypeError(`JWKS key ${index} is private or symmetric; a JWKS holds public keys.`);
    }
    if (jwk.kid !== undefined) {
      if (kids.has(jwk.kid)) throw new TypeError(`JWKS kid ${jwk.kid} appears twice.`);
      kids.add(jwk.kid);
    }
  }
}
