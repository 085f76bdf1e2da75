import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { stringify } from 'yaml';

export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'inference-service';
export const ALL_SCOPES = [
  'inference:invoke',
  'inference:stream',
  'batch:submit',
  'batch:admin',
  'usage:read',
  'audit:read',
  'audit:admin',
  'admin',
];

export interface ConfigDir {
  dir: string;
  /**
   * A signed token for tenant `tenant` (default `acme`) with the given scopes (default all),
   * for subject `sub` (default `tester`).
   */
  token(claims?: {
    tenant?: string;
    scopes?: string[];
    ttlS?: number;
    sub?: string;
    /** Further claims (an agent type's, docs/agents.md). */
    extra?: Record<string, unknown>;
  }): Promise<string>;
  /** Writes (or replaces) a file of the contract, as an operator's render would. */
  write(path: string, content: string | object): Promise<void>;
  /** The public key of the audit signing key `a1` in keys/audit.json (checkpoints). */
  auditKey: KeyObject;
  cleanup(): Promise<void>;
}

const defaultGateway = {
  auth: { issuer: ISSUER, audience: AUDIENCE },
  defaultModel: 'chat',
  streams: { heartbeatMs: 60_000 },
};

const defaultRoutes = {
  routes: [
    { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
    {
      alias: 'fallback',
      targets: [
        { name: 'broken', provider: 'mock', model: 'fail?code=UPSTREAM_UNAVAILABLE' },
        { name: 'echo', provider: 'mock', model: 'echo' },
      ],
      retry: { maxAttempts: 1 },
    },
  ],
};

/** A temporary config contract directory with its own signing key, resume and audit keyrings. */
export async function makeConfigDir(
  options: { gateway?: object; routes?: object; prompts?: boolean } = {},
): Promise<ConfigDir> {
  const dir = await mkdtemp(join(tmpdir(), 'inference-config-'));
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  const write = async (path: string, content: string | object) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    const text =
      typeof content === 'string'
        ? content
        : path.endsWith('.json')
          ? JSON.stringify(content)
          : stringify(content);
    await writeFile(join(dir, path), text);
  };
  await write('gateway.yaml', { ...defaultGateway, ...options.gateway });
  await write('routes.yaml', options.routes ?? defaultRoutes);
  await write('keys/jwks.json', { keys: [jwk] });
  await write('keys/resume.json', {
    active: 'r1',
    keys: [{ kid: 'r1', secret: randomBytes(32).toString('base64url') }],
  });
  const audit = generateKeyPairSync('ed25519');
  await write('keys/audit.json', {
    active: 'a1',
    keys: [
      {
        kid: 'a1',
        privateKey: audit.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64url'),
      },
    ],
    contentKey: randomBytes(32).toString('base64url'),
  });
  if (options.prompts ?? true)
    await cp(join(import.meta.dirname, '../../prompts'), join(dir, 'prompts'), { recursive: true });
  return {
    dir,
    token: (claims = {}) => sign(privateKey, claims),
    write,
    auditKey: audit.publicKey,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

function sign(
  key: CryptoKey,
  claims: {
    tenant?: string;
    scopes?: string[];
    ttlS?: number;
    sub?: string;
    extra?: Record<string, unknown>;
  },
): Promise<string> {
  return new SignJWT({
    ...claims.extra,
    tenant: claims.tenant ?? 'acme',
    scope: (claims.scopes ?? ALL_SCOPES).join(' '),
  })
    .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(claims.sub ?? 'tester')
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlS ?? 600}s`)
    .sign(key);
}
