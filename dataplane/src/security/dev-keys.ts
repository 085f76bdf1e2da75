import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type JWK,
} from 'jose';

/** @default issuer of the development keys. */
export const DEV_ISSUER = 'https://inference-service.local/dev';
/** @default audience of the development keys. */
export const DEV_AUDIENCE = 'inference-service';

const PRIVATE_KEY_FILE = 'dev-signing-key.jwk.json';
const JWKS_FILE = 'dev-jwks.json';
const ALG = 'ES256';

export interface DevTokenClaims {
  tenant: string;
  scopes: readonly string[];
  /** Lifetime in seconds. @default 3600 */
  ttlS?: number;
  /** @default 'dev-user' */
  subject?: string;
}

export interface DevKeys {
  /** The public JWKS to verify development tokens with (also written to `dev-jwks.json`). */
  jwks: { keys: JWK[] };
  issuer: string;
  audience: string;
  /** A signed token for the development issuer and audience, scopes in `scope`. */
  mintToken(claims: DevTokenClaims): Promise<string>;
}

/**
 * The development signing key for `make run`: an ES256 key pair generated on first use and kept
 * under `dir` (private JWK mode 0600, public JWKS beside it), so tokens printed by one run still
 * work in the next. For development only: production JWKS come from the config contract, and
 * their private keys never reach the gateway.
 *
 * Safe against a concurrent first run: the key file appears atomically (hard link of a fully
 * written temporary file), and the loser of the race reads the winner's key.
 */
export async function ensureDevKeys(
  dir: string,
  options: { issuer?: string; audience?: string } = {},
): Promise<DevKeys> {
  const issuer = options.issuer ?? DEV_ISSUER;
  const audience = options.audience ?? DEV_AUDIENCE;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const privateJwk = await loadOrCreatePrivateKey(join(dir, PRIVATE_KEY_FILE));
  // Public members listed, not private ones removed: nothing secret can slip into the JWKS.
  const { kty, crv, x, y, kid } = privateJwk;
  const publicJwk: JWK = { kty, crv, x, y, kid, alg: ALG, use: 'sig' };
  const jwks = { keys: [publicJwk] };
  await writeFile(join(dir, JWKS_FILE), `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o644 });
  const signingKey = await importJWK(privateJwk, ALG);

  return {
    jwks,
    issuer,
    audience,
    async mintToken({ tenant, scopes, ttlS = 3600, subject = 'dev-user' }) {
      return new SignJWT({ tenant, scope: scopes.join(' ') })
        .setProtectedHeader({ alg: ALG, kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(subject)
        .setIssuedAt()
        .setExpirationTime(`${ttlS}s`)
        .sign(signingKey);
    },
  };
}

/** What the key file holds: a P-256 private JWK with its thumbprint as kid. */
interface DevPrivateJwk extends JWK {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  d: string;
  kid: string;
}

async function loadOrCreatePrivateKey(path: string): Promise<DevPrivateJwk> {
  const existing = await readPrivateKey(path);
  if (existing !== undefined) return existing;
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const withMeta = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: ALG, use: 'sig' };
  if (!isDevPrivateJwk(withMeta)) throw new Error('jose generated an unexpected ES256 JWK.');
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(withMeta, null, 2)}\n`, { mode: 0o600 });
  try {
    await link(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process created the key first; use theirs.
    const theirs = await readPrivateKey(path);
    if (theirs === undefined) throw error;
    return theirs;
  } finally {
    await unlink(temporary);
  }
  return withMeta;
}

/** The stored key, its mode tightened to 0600 if someone loosened it; undefined if absent. */
async function readPrivateKey(path: string): Promise<DevPrivateJwk | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  const jwk: unknown = JSON.parse(text);
  if (!isDevPrivateJwk(jwk)) {
    throw new Error(`${path} is not an ES256 private JWK with a kid; delete it to make a new one.`);
  }
  return jwk;
}

function isDevPrivateJwk(value: unknown): value is DevPrivateJwk {
  if (typeof value !== 'object' || value === null) return false;
  const jwk = value as Record<string, unknown>;
  return (
    jwk['kty'] === 'EC' &&
    jwk['crv'] === 'P-256' &&
    ['x', 'y', 'd', 'kid'].every((member) => typeof jwk[member] === 'string')
  );
}
