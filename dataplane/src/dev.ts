import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDevKeys } from './security/dev-keys.ts';

/**
 * The development overlay for `make run`: a config directory holding only `keys/` (the JWKS of
 * a local signing key and a resume-token keyring), layered over the embedded config. Returns a
 * ready token, so that authentication stays on in development.
 */
export async function prepareDevOverlay(dir: string): Promise<{ configDir: string; token: string }> {
  const keys = await ensureDevKeys(join(dir, 'signing'));
  const configDir = join(dir, 'config');
  await mkdir(join(configDir, 'keys'), { recursive: true, mode: 0o700 });
  await writeFile(join(configDir, 'keys', 'jwks.json'), `${JSON.stringify(keys.jwks, null, 2)}\n`);
  const resumePath = join(configDir, 'keys', 'resume.json');
  const existing = await readFile(resumePath, 'utf8').catch(() => undefined);
  if (existing === undefined) {
    const keyring = { active: 'dev-1', keys: [{ kid: 'dev-1', secret: randomBytes(32).toString('base64url') }] };
    await writeFile(resumePath, `${JSON.stringify(keyring, null, 2)}\n`, { mode: 0o600 });
  }
  const token = await keys.mintToken({
    tenant: 'dev',
    scopes: ['inference:invoke', 'inference:stream', 'batch:submit'],
    ttlS: 7 * 24 * 3600,
  });
  return { configDir, token };
}
