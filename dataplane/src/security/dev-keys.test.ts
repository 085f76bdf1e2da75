import { mkdtemp, readFile, rm, stat, chmod, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from './authn.ts';
import { DEV_AUDIENCE, DEV_ISSUER, ensureDevKeys } from './dev-keys.ts';

let dir: string;
beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'dev-keys-')), 'keys');
});
afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

describe('the development keys', () => {
  it('mint tokens that an authenticator over their JWKS accepts', async () => {
    const keys = await ensureDevKeys(dir);
    const auth = createAuthenticator({
      jwks: keys.jwks,
      issuer: keys.issuer,
      audience: keys.audience,
    });
    const jwt = await keys.mintToken({ tenant: 'dev', scopes: ['inference:invoke', 'admin'] });
    const principal = await auth.authenticate(`Bearer ${jwt}`);
    expect(principal).toEqual({
      subject: 'dev-user',
      tenant: 'dev',
      scopes: new Set(['inference:invoke', 'admin']),
    });
    expect([keys.issuer, keys.audience]).toEqual([DEV_ISSUER, DEV_AUDIENCE]);
  });

  it('keep the private key in a 0600 file and publish only public members', async () => {
    const keys = await ensureDevKeys(dir);
    const privateMode = (await stat(join(dir, 'dev-signing-key.jwk.json'))).mode;
    expect(privateMode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o077).toBe(0);
    const published = JSON.parse(await readFile(join(dir, 'dev-jwks.json'), 'utf8')) as unknown;
    expect(published).toEqual(keys.jwks);
    expect(Object.keys(keys.jwks.keys[0]!).sort()).toEqual([
      'alg',
      'crv',
      'kid',
      'kty',
      'use',
      'x',
      'y',
    ]);
  });

  it('are reused by a later run, so earlier tokens stay valid', async () => {
    const first = await ensureDevKeys(dir);
    const jwt = await first.mintToken({ tenant: 'dev', scopes: [], ttlS: 60, subject: 'me' });
    const second = await ensureDevKeys(dir);
    expect(second.jwks).toEqual(first.jwks);
    const auth = createAuthenticator({
      jwks: second.jwks,
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
    });
    expect((await auth.authenticate(`Bearer ${jwt}`)).subject).toBe('me');
  });

  it('are created once when two runs race', async () => {
    const [a, b] = await Promise.all([ensureDevKeys(dir), ensureDevKeys(dir)]);
    expect(a.jwks).toEqual(b.jwks);
  });

  it('tighten a loosened private key file back to 0600', async () => {
    await ensureDevKeys(dir);
    await chmod(join(dir, 'dev-signing-key.jwk.json'), 0o644);
    await ensureDevKeys(dir);
    expect((await stat(join(dir, 'dev-signing-key.jwk.json'))).mode & 0o777).toBe(0o600);
  });

  it('refuse a key file that is not an ES256 private key', async () => {
    await ensureDevKeys(dir);
    await writeFile(join(dir, 'dev-signing-key.jwk.json'), '{"kty":"RSA"}', { mode: 0o600 });
    await expect(ensureDevKeys(dir)).rejects.toThrow(/not an ES256 private JWK/);
  });

  it('accept another issuer and audience', async () => {
    const keys = await ensureDevKeys(dir, { issuer: 'https://me', audience: 'us' });
    expect([keys.issuer, keys.audience]).toEqual(['https://me', 'us']);
  });
});
