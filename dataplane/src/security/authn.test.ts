import { performance } from 'node:perf_hooks';
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../errors/api-error.ts';
import { createAuthenticator, type AuthenticatorOptions } from './authn.ts';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'inference-service';
const T0 = Math.floor(Date.now() / 1000);

interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function makeKey(kid: string, alg: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid } };
}

let es256: TestKey;
let es256Next: TestKey;
let rs256: TestKey;
let eddsa: TestKey;
let es384: TestKey;
let stranger: TestKey;

beforeAll(async () => {
  [es256, es256Next, rs256, eddsa, es384, stranger] = await Promise.all([
    makeKey('es-1', 'ES256'),
    makeKey('es-2', 'ES256'),
    makeKey('rs-1', 'RS256'),
    makeKey('ed-1', 'EdDSA'),
    makeKey('es384-1', 'ES384'),
    makeKey('es-1', 'ES256'), // same kid as es256, different key: a forger's key
  ]);
});

interface TokenSpec {
  key?: TestKey;
  kid?: string | null;
  claims?: JWTPayload;
  omit?: readonly string[];
}

/** A token with valid defaults; `claims` override them and `omit` removes some. */
async function token({
  key = es256,
  kid,
  claims = {},
  omit = [],
}: TokenSpec = {}): Promise<string> {
  const payload: JWTPayload = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    tenant: 'acme',
    scope: 'inference:invoke inference:stream',
    iat: T0,
    exp: T0 + 600,
    ...claims,
  };
  for (const name of omit) Reflect.deleteProperty(payload, name);
  const header = kid === null ? { alg: key.alg } : { alg: key.alg, kid: kid ?? key.kid };
  return new SignJWT(payload).setProtectedHeader(header).sign(key.privateKey);
}

function authenticator(overrides: Partial<AuthenticatorOptions> = {}) {
  return createAuthenticator({
    jwks: { keys: [es256.publicJwk, es256Next.publicJwk, rs256.publicJwk, eddsa.publicJwk] },
    issuer: ISSUER,
    audience: AUDIENCE,
    now: () => T0 * 1000,
    ...overrides,
  });
}

async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string; reason: unknown; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { code: error.code, reason: error.details?.['reason'], message: error.message };
  }
  throw new Error('expected the promise to reject');
}

describe('a valid bearer token', () => {
  it('yields the subject, the tenant and the scopes', async () => {
    const principal = await authenticator().authenticate(`Bearer ${await token()}`);
    expect(principal.subject).toBe('user-1');
    expect(principal.tenant).toBe('acme');
    expect([...principal.scopes]).toEqual(['inference:invoke', 'inference:stream']);
  });

  it.each([
    ['a scope string', { scope: 'a  b' }, ['a', 'b']],
    ['an scp array', { scope: undefined, scp: ['a', 'b', 7] }, ['a', 'b']],
    ['an scp string', { scope: undefined, scp: 'a b' }, ['a', 'b']],
    ['both, merged', { scope: 'a', scp: ['b', 'a'] }, ['a', 'b']],
    ['neither', { scope: undefined }, []],
  ])('reads scopes from %s', async (_, claims, scopes) => {
    const principal = await authenticator().authenticate(`Bearer ${await token({ claims })}`);
    expect([...principal.scopes]).toEqual(scopes);
  });

  it.each(['ES256', 'RS256', 'EdDSA'])('is accepted when signed with %s', async (alg) => {
    const key = [es256, rs256, eddsa].find((candidate) => candidate.alg === alg)!;
    const principal = await authenticator().authenticate(`Bearer ${await token({ key })}`);
    expect(principal.tenant).toBe('acme');
  });

  it('is accepted under either key of a rotation', async () => {
    const auth = authenticator();
    await expect(
      auth.authenticate(`Bearer ${await token({ key: es256Next })}`),
    ).resolves.toMatchObject({
      tenant: 'acme',
    });
    await expect(auth.authenticate(`Bearer ${await token({ key: es256 })}`)).resolves.toMatchObject(
      {
        tenant: 'acme',
      },
    );
  });

  it.each([
    ['a lowercase scheme', (jwt: string) => `bearer ${jwt}`],
    ['extra spaces', (jwt: string) => `Bearer   ${jwt}  `],
  ])('is accepted with %s', async (_, header) => {
    await expect(authenticator().authenticate(header(await token()))).resolves.toMatchObject({
      subject: 'user-1',
    });
  });

  it('is accepted when aud is an array holding our audience', async () => {
    const jwt = await token({ claims: { aud: ['other', AUDIENCE] } });
    await expect(authenticator().authenticate(`Bearer ${jwt}`)).resolves.toMatchObject({
      tenant: 'acme',
    });
  });

  it.each([
    ['expired less than the tolerance ago', { exp: T0 - 20 }],
    ['valid from less than the tolerance ahead', { nbf: T0 + 20 }],
  ])('is accepted when %s', async (_, claims) => {
    await expect(
      authenticator().authenticate(`Bearer ${await token({ claims })}`),
    ).resolves.toMatchObject({
      tenant: 'acme',
    });
  });

  it('uses the configured tenant claim', async () => {
    const jwt = await token({ claims: { org: 'globex' } });
    const principal = await authenticator({ tenantClaim: 'org' }).authenticate(`Bearer ${jwt}`);
    expect(principal.tenant).toBe('globex');
  });
});

describe('an unacceptable Authorization header', () => {
  const cases: [string, () => Promise<string | undefined>, string][] = [
    ['no header', () => Promise.resolve(undefined), 'missing_token'],
    ['an empty header', () => Promise.resolve(''), 'missing_token'],
    ['another scheme', () => Promise.resolve('Basic dXNlcjpwYXNz'), 'malformed_token'],
    ['a token that is not a JWT', () => Promise.resolve('Bearer abc.def'), 'malformed_token'],
    ['an oversized header', () => Promise.resolve(`Bearer ${'a'.repeat(9000)}`), 'malformed_token'],
    [
      'an unsecured token (alg none)',
      () => Promise.resolve(`Bearer ${unsecured()}.`),
      'malformed_token',
    ],
    [
      'alg none with a dummy signature',
      () => Promise.resolve(`Bearer ${unsecured()}.AAAA`),
      'algorithm_not_allowed',
    ],
    ['an HS256 token', async () => `Bearer ${await hs256()}`, 'algorithm_not_allowed'],
    [
      'an algorithm outside the list',
      async () => `Bearer ${await token({ key: es384 })}`,
      'algorithm_not_allowed',
    ],
    ['a garbage JWT', () => Promise.resolve('Bearer aaaa.bbbb.cccc'), 'malformed_token'],
    ['a forged signature', async () => `Bearer ${await token({ key: stranger })}`, 'bad_signature'],
    ['a tampered payload', async () => `Bearer ${tamper(await token())}`, 'bad_signature'],
    ['an unknown kid', async () => `Bearer ${await token({ kid: 'retired' })}`, 'unknown_key'],
    [
      'no kid and two candidate keys',
      async () => `Bearer ${await token({ kid: null })}`,
      'ambiguous_key',
    ],
    [
      'an expired token',
      async () => `Bearer ${await token({ claims: { exp: T0 - 31 } })}`,
      'expired',
    ],
    [
      'a token not valid yet',
      async () => `Bearer ${await token({ claims: { nbf: T0 + 31 } })}`,
      'not_yet_valid',
    ],
    [
      'a wrong issuer',
      async () => `Bearer ${await token({ claims: { iss: 'https://evil' } })}`,
      'wrong_issuer',
    ],
    [
      'a wrong audience',
      async () => `Bearer ${await token({ claims: { aud: 'other' } })}`,
      'wrong_audience',
    ],
    ['no exp', async () => `Bearer ${await token({ omit: ['exp'] })}`, 'missing_claim'],
    ['no iss', async () => `Bearer ${await token({ omit: ['iss'] })}`, 'missing_claim'],
    ['no aud', async () => `Bearer ${await token({ omit: ['aud'] })}`, 'missing_claim'],
    ['no sub', async () => `Bearer ${await token({ omit: ['sub'] })}`, 'missing_claim'],
    [
      'a numeric sub',
      async () => `Bearer ${await token({ claims: { sub: 7 as unknown as string } })}`,
      'invalid_claim',
    ],
    [
      'a string exp',
      async () => `Bearer ${await token({ claims: { exp: 'soon' as unknown as number } })}`,
      'invalid_claim',
    ],
    ['no tenant', async () => `Bearer ${await token({ omit: ['tenant'] })}`, 'missing_tenant'],
    [
      'a tenant with a colon',
      async () => `Bearer ${await token({ claims: { tenant: 'a:b' } })}`,
      'invalid_tenant',
    ],
    [
      'a numeric tenant',
      async () => `Bearer ${await token({ claims: { tenant: 42 } })}`,
      'invalid_tenant',
    ],
  ];

  it.each(cases)(
    'is refused for %s, saying why and never echoing the token',
    async (_, header, reason) => {
      const value = await header();
      const result = await failure(authenticator().authenticate(value));
      expect(result).toMatchObject({ code: 'UNAUTHENTICATED', reason });
      const jwt = value?.split(' ').pop() ?? '';
      if (jwt.length > 0) expect(result.message).not.toContain(jwt);
    },
  );
});

function unsecured(): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none' })}.${encode({ iss: ISSUER, aud: AUDIENCE, sub: 'x', tenant: 'acme', exp: T0 + 60 })}`;
}

/** The classic confusion attack: HS256 keyed with the public key's bytes. */
async function hs256(): Promise<string> {
  const secret = new TextEncoder().encode(JSON.stringify(es256.publicJwk));
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'x', tenant: 'acme', exp: T0 + 60 })
    .setProtectedHeader({ alg: 'HS256', kid: es256.kid })
    .sign(secret);
}

function tamper(jwt: string): string {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as JWTPayload;
  const forged = Buffer.from(JSON.stringify({ ...claims, tenant: 'victim' })).toString('base64url');
  return `${header}.${forged}.${signature}`;
}

describe('an authenticator configuration', () => {
  it.each([
    ['the none algorithm', { algorithms: ['none'] }, /none is not allowed/],
    ['an HMAC algorithm', { algorithms: ['ES256', 'HS256'] }, /HS256 is not allowed/],
    ['no algorithm', { algorithms: [] }, /at least one/],
    ['an empty issuer', { issuer: '' }, /issuer/],
    ['an empty audience', { audience: '' }, /audience/],
    ['a negative clock tolerance', { clockToleranceS: -1 }, /clockToleranceS/],
    ['an excessive clock tolerance', { clockToleranceS: 3600 }, /clockToleranceS/],
    ['a negative cache TTL', { cacheTtlS: -1 }, /cacheTtlS/],
    ['an empty JWKS', { jwks: { keys: [] } }, /no key/],
    [
      'a symmetric key',
      { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } },
      /private or symmetric/,
    ],
  ] as const)('is refused with %s', (_, overrides, message) => {
    expect(() => authenticator(overrides as Partial<AuthenticatorOptions>)).toThrow(message);
  });

  it('is refused with a private key in the JWKS', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwks = { keys: [await exportJWK(privateKey)] };
    expect(() => authenticator({ jwks })).toThrow(/private or symmetric/);
  });

  it('is refused with a kid used twice', () => {
    const jwks = { keys: [es256.publicJwk, stranger.publicJwk] };
    expect(() => authenticator({ jwks })).toThrow(/kid es-1 appears twice/);
  });
});

describe('the verification cache', () => {
  it('answers a repeated token with the same principal', async () => {
    const auth = authenticator();
    const header = `Bearer ${await token()}`;
    const first = await auth.authenticate(header);
    expect(await auth.authenticate(header)).toBe(first);
  });

  it('never serves a token past its exp', async () => {
    let nowMs = T0 * 1000;
    const auth = authenticator({ now: () => nowMs, clockToleranceS: 0 });
    const header = `Bearer ${await token({ claims: { exp: T0 + 10 } })}`;
    await auth.authenticate(header);
    nowMs += 10_000;
    expect(await failure(auth.authenticate(header))).toMatchObject({ reason: 'expired' });
  });

  it('verifies again after the cache TTL', async () => {
    let nowMs = T0 * 1000;
    const auth = authenticator({ now: () => nowMs, cacheTtlS: 5 });
    const header = `Bearer ${await token()}`;
    const first = await auth.authenticate(header);
    nowMs += 4_000;
    expect(await auth.authenticate(header)).toBe(first);
    nowMs += 1_000;
    const again = await auth.authenticate(header);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });

  it('evicts the least recently used token when full', async () => {
    const auth = authenticator({ cacheMaxEntries: 2 });
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((sub) => token({ claims: { sub } })));
    const first = await auth.authenticate(`Bearer ${a}`);
    await auth.authenticate(`Bearer ${b}`);
    await auth.authenticate(`Bearer ${a}`); // a is now the most recent
    await auth.authenticate(`Bearer ${c}`); // evicts b
    expect(await auth.authenticate(`Bearer ${a}`)).toBe(first);
  });

  it('is off with cacheMaxEntries 0', async () => {
    const auth = authenticator({ cacheMaxEntries: 0 });
    const header = `Bearer ${await token()}`;
    expect(await auth.authenticate(header)).not.toBe(await auth.authenticate(header));
  });

  it('makes a repeated ES256 token far cheaper to authenticate', async () => {
    const header = `Bearer ${await token()}`;
    const rounds = 300;
    const uncached = authenticator({ cacheMaxEntries: 0 });
    const cached = authenticator();
    await uncached.authenticate(header); // import the key once, as in steady state
    await cached.authenticate(header);
    const missUs = await perCallMicros(rounds, () => uncached.authenticate(header));
    const hitUs = await perCallMicros(rounds, () => cached.authenticate(header));
    console.info(
      `ES256 authenticate: ${missUs.toFixed(1)} µs verified, ${hitUs.toFixed(2)} µs cached`,
    );
    expect(hitUs * 5).toBeLessThan(missUs);
  });
});

async function perCallMicros(rounds: number, call: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (let round = 0; round < rounds; round += 1) await call();
  return ((performance.now() - start) * 1000) / rounds;
}
